"""The OpenAPI schema of every argument agrees with the rule that parses it (hypothesis).

The gateway's OpenAPI document used to understate several patterns: its schemas were written apart
from ``parse``. Now both come from one rule per type; this checks, for the value type of every
argument of every block (34 distinct types cover all 217 arguments):

- **sound**: every string ``parse`` accepts, the published schema accepts. A client that trusts the
  document never refuses a value the gateway would take.
- **exact** (for types whose pattern is the whole rule): every string the schema accepts, ``parse``
  accepts too. For the others (ranges, URLs' hosts, calendar dates, duplicates, JSON in a string)
  the schema is a necessary condition and the description says the rest.

The schema is validated by jsonschema-rs, which reads patterns as ECMA-262 does (JSON Schema's
dialect: ``$`` does not match before a final newline, ``[0-9]`` never matches ``٣``), so a
pattern that only Python reads the intended way fails here. Strings are what RapidAPI clients send;
the typed forms (integers, booleans, lists) are checked on examples.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plivo_blocks.catalog import BLOCKS
from plivo_blocks.catalog.examples import example_args
from plivo_blocks.catalog.types import Invalid, ValueType
from plivo_blocks.gateway.openapi import args_schema

#: Each distinct value type, with an example value from a block argument that has it.
TYPES: dict[str, tuple[ValueType, list[Any]]] = {}
for _block in BLOCKS:
    _examples = example_args(_block)
    for _arg in _block.args:
        _type, _examples_of = TYPES.setdefault(repr(_arg.type), (_arg.type, []))
        if _arg.name in _examples:
            _examples_of.append(_examples[_arg.name])


def test_every_argument_of_every_block_is_covered() -> None:
    assert {repr(arg.type) for block in BLOCKS for arg in block.args} == set(TYPES)
    # ...and the document publishes exactly each type's schema for each argument.
    for block in BLOCKS:
        properties = args_schema(block)["properties"]
        for arg in block.args:
            published = {k: v for k, v in properties[arg.name].items() if k != "description"}
            assert published == arg.type.schema(), f"{block.name}.{arg.name}"


@cache
def validator(key: str) -> Any:
    return jsonschema_rs.validator_for(TYPES[key][0].schema())


def accepts(value_type: ValueType, value: Any) -> bool:
    try:
        value_type.parse(value)
    except Invalid:
        return False
    return True


_PADDING = st.sampled_from(["", " ", "\t", "\n", "  ", "\u00a0", "\x1c", "\r\n"])


@st.composite
def near(draw: st.DrawFn, examples: list[Any]) -> str:
    """An example, perhaps padded, re-cased, cut or with a character changed."""
    base = str(draw(st.sampled_from(examples))) if examples else draw(st.text(max_size=20))
    mutation = draw(st.sampled_from(["pad", "case", "cut", "change", "none"]))
    if mutation == "pad":
        return draw(_PADDING) + base + draw(_PADDING)
    if mutation == "case":
        return base.swapcase()
    if mutation == "cut" and base:
        at = draw(st.integers(0, len(base) - 1))
        return base[:at] + base[at + 1 :]
    if mutation == "change" and base:
        at = draw(st.integers(0, len(base) - 1))
        return base[:at] + draw(st.characters(codec="utf-8")) + base[at + 1 :]
    return base


def candidates(value_type: ValueType, examples: list[Any]) -> st.SearchStrategy[str]:
    options = [st.text(max_size=30), near([e for e in examples if isinstance(e, str | int)])]
    rule = value_type.rule()
    if rule is not None:
        options.append(st.from_regex(rule, fullmatch=True).filter(lambda s: len(s) < 2000))
    return st.one_of(*options)


@pytest.mark.parametrize("key", sorted(TYPES))
@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_what_parse_accepts_the_schema_accepts(key: str, data: st.DataObject) -> None:
    value_type, examples = TYPES[key]
    value = data.draw(candidates(value_type, examples))
    if accepts(value_type, value):
        assert validator(key).is_valid(value), f"{value_type!r} accepts {value!r}, its schema refuses it"


EXACT = sorted(key for key, (value_type, _) in TYPES.items() if value_type.exact)


@pytest.mark.parametrize("key", EXACT)
@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_what_an_exact_schema_accepts_parse_accepts(key: str, data: st.DataObject) -> None:
    value_type, examples = TYPES[key]
    value = data.draw(candidates(value_type, examples))
    if validator(key).is_valid(value):
        assert accepts(value_type, value), f"the schema of {value_type!r} accepts {value!r}, parse refuses it"


def test_examples_in_every_form_are_accepted_by_both() -> None:
    for key, (value_type, examples) in TYPES.items():
        for example in examples:
            assert accepts(value_type, example), (key, example)
            assert validator(key).is_valid(example), (key, example)


def test_the_formerly_understated_patterns() -> None:
    """Values the old schemas refused though parse took them (or the other way round)."""
    by_name = {arg.name: arg.type for block in BLOCKS for arg in block.args}
    cases = {
        "subauthId": ("SAXXXXXXXXXXXXXXXXXX", "SAxx"),  # the schema had no pattern at all
        "digits": ("12A4#@200", "12x4"),  # DTMF on sendDigits
        "memberId": ("all", "1,\u0663"),  # an Arabic-Indic 3 is a digit to Python's \\d, not to the schema
        "voice": ("woman", "robot"),  # the schema's enum refused the lower case parse takes
        "countryIso": (" us ", "XX"),
        "callFrom": (" +14155551234", "1415555123x"),
    }
    for name, (good, bad) in cases.items():
        value_type = by_name[name]
        schema = jsonschema_rs.validator_for(value_type.schema())
        assert accepts(value_type, good) and schema.is_valid(good), (name, good)
        assert not accepts(value_type, bad) and not schema.is_valid(bad), (name, bad)
