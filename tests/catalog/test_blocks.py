"""The catalog against the seed (names, arguments) and against the real Plivo API (the mapping)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from plivo_blocks.catalog import BLOCKS, BLOCKS_BY_NAME, get_block
from plivo_blocks.catalog.examples import example_args
from plivo_blocks.errors import UnknownBlockError
from plivo_reference import REFERENCE, REQUIRED

SEED = Path(__file__).resolve().parents[1] / "data" / "plivo-package.md"


def _seed_blocks() -> dict[str, list[str]]:
    """Block name -> argument names, read from the seed README's tables."""
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in SEED.read_text().splitlines():
        heading = re.match(r"^## Plivo\.(\w+)", line)
        if heading:
            current = blocks.setdefault(heading.group(1), [])
            continue
        row = re.match(r"^\|\s*(\w+)\s*\|", line)
        if current is not None and row and row.group(1) not in ("Field", "authId", "authToken"):
            current.append(row.group(1))
    return blocks


def test_catalog_has_the_68_seed_blocks_in_seed_order() -> None:
    seed = _seed_blocks()
    assert len(seed) == 68
    assert [b.name for b in BLOCKS] == list(seed)


@pytest.mark.parametrize("name", list(_seed_blocks()))
def test_every_seed_argument_keeps_its_public_name(name: str) -> None:
    block = get_block(name)
    names = [a.name for a in block.args]
    for arg in _seed_blocks()[name]:
        assert arg in names, f"{name} lost the seed argument {arg}"
    # Only two documented additions beyond the seed.
    extra = set(names) - set(_seed_blocks()[name])
    assert extra <= {"messageState", "limit", "offset"}
    if extra:
        assert name in ("getMessages", "getEndpoints")


@pytest.mark.parametrize("name", list(REFERENCE))
def test_mapping_matches_the_real_plivo_call(name: str) -> None:
    block = get_block(name)
    expected = REFERENCE[name]
    assert block.method == expected.method
    assert block.path == expected.path
    in_path = set(block.path_args)
    actual = {a.name: a.param for a in block.args if a.name not in in_path}
    assert actual == expected.params
    assert dict(block.fixed_params) == expected.fixed


@pytest.mark.parametrize("name", list(REFERENCE))
def test_required_arguments_match_plivo(name: str) -> None:
    block = get_block(name)
    expected = REQUIRED.get(name, set()) | set(block.path_args)
    assert set(block.required) == expected


def test_corrections_over_the_seed() -> None:
    assert get_block("unrentNumber").method == "DELETE"
    assert get_block("getRentedNumbers").arg("numberStartsWith").param == "number_startswith"  # type: ignore[union-attr]
    assert get_block("sendMessage").arg("destination").required  # type: ignore[union-attr]
    assert get_block("sendMessage").arg("destination").param == "dst"  # type: ignore[union-attr]
    assert get_block("playMusicFile").arg("urls").required  # type: ignore[union-attr]
    update_endpoint = get_block("updateEndpoint")
    assert not update_endpoint.arg("password").required  # type: ignore[union-attr]
    assert not update_endpoint.arg("alias").required  # type: ignore[union-attr]
    assert "memberId" in get_block("kickMember").path_args
    for name in ("getSubaccounts", "updateApplication", "updateEndpoint", "deleteEndpoint"):
        assert all(a.datatype != "credentials" for a in get_block(name).args)


def test_status_codes_follow_plivo_conventions() -> None:
    for block in BLOCKS:
        if block.method == "GET":
            assert block.status == 200, block.name
        elif block.method == "DELETE":
            assert block.status == 204, block.name
        else:
            assert block.status in (201, 202), block.name


def test_lookup_by_any_spelling() -> None:
    assert get_block("Plivo.sendMessage") is get_block("send_message") is BLOCKS_BY_NAME["sendMessage"]
    with pytest.raises(UnknownBlockError, match="sendMesage"):
        get_block("sendMesage")


def test_paginated_blocks_are_exactly_those_with_limit_and_offset() -> None:
    paginated = {b.name for b in BLOCKS if b.paginated}
    assert paginated == {
        "getSubaccounts", "getApplications", "getCallsDetails", "getEndpoints", "getMessages",
        "getRentedNumbers", "searchNewNumbers", "getRecordings", "listIncomingCarriers",
    }  # fmt: skip


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.name)
def test_examples_are_valid_for_every_block(block: object) -> None:
    from plivo_blocks.catalog import Block

    assert isinstance(block, Block)
    request = block.prepare(example_args(block))
    assert request.method == block.method
    assert block.prepare(example_args(block, required_only=True)).path == request.path
