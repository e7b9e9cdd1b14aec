"""plivo_blocks._json: orjson where it agrees with the standard library, json where it does not."""

from __future__ import annotations

import json
import math

import pytest

from plivo_blocks import _json


@pytest.mark.parametrize(
    "document",
    [
        b'{"args": {"authId": "MA", "n": 3, "x": 1.5, "ok": true, "none": null, "list": [1, "a"]}}',
        b'{"big": 1180591620717411303424}',  # 2**70: orjson would read a float
        b'{"low": -9223372036854775809, "high": 18446744073709551616}',  # just past 64 bits
        b'{"huge": 1e400}',  # past a double: json reads inf, orjson refuses
        b'{"text": "\\ud800 alone"}',  # a lone surrogate: orjson refuses it
        b'{"n": NaN, "i": -Infinity}',  # not JSON, but json accepts it
        '{"caf\u00e9": "\u0663\u0664\u0665"}'.encode(),
        b'{"a": 1, "a": 2}',
    ],
    ids=["plain", "2**70", "past 64 bits", "1e400", "lone surrogate", "NaN", "non-ASCII", "duplicate key"],
)
def test_loads_decodes_what_json_decodes_to_the_same_values(document: bytes) -> None:
    expected = json.loads(document)
    decoded = _json.loads(document)
    assert repr(decoded) == repr(expected)  # NaN != NaN; the reprs agree


@pytest.mark.parametrize("document", [b"", b"{", b'{"a": }', b"\xff", b"[" * 5000 + b"]" * 5000])
def test_loads_refuses_what_json_refuses(document: bytes) -> None:
    with pytest.raises((ValueError, RecursionError)):
        json.loads(document)
    with pytest.raises((ValueError, RecursionError)):
        _json.loads(document)


@pytest.mark.parametrize(
    "value",
    [
        {"src": "14155550100", "text": "Hello", "n": 3, "ok": False, "x": None, "l": [1, 2]},
        {"text": "caf\u00e9 \u0663 \U0001f600"},
        {"big": 2**70},
    ],
    ids=["plain", "non-ASCII", "2**70"],
)
def test_dumps_writes_compact_utf8_as_json_does(value: object) -> None:
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    assert _json.dumps(value) == expected


def test_dumps_escapes_lone_surrogates_which_utf8_cannot_carry() -> None:
    encoded = _json.dumps({"text": "\ud800 alone", "other": "caf\u00e9"})
    assert encoded.isascii()
    assert json.loads(encoded) == {"text": "\ud800 alone", "other": "caf\u00e9"}


def test_dumps_writes_nan_as_null() -> None:
    assert _json.dumps({"x": math.nan, "y": math.inf}) == b'{"x":null,"y":null}'
