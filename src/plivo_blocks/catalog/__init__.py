"""The catalog: all 68 blocks as data, and the value types their arguments use."""

from __future__ import annotations

import difflib

from plivo_blocks.catalog.blocks import BLOCKS
from plivo_blocks.catalog.model import Arg, Block, PlivoRequest, encode_segment, snake_case
from plivo_blocks.errors import UnknownBlockError

BLOCKS_BY_NAME: dict[str, Block] = {block.name: block for block in BLOCKS}
BLOCKS_BY_PYTHON_NAME: dict[str, Block] = {block.python_name: block for block in BLOCKS}


def get_block(name: str) -> Block:
    """The block called ``name`` (its catalog name, its snake_case name, or ``Plivo.name``)."""
    key = name.removeprefix("Plivo.")
    block = BLOCKS_BY_NAME.get(key) or BLOCKS_BY_PYTHON_NAME.get(key)
    if block is None:
        raise UnknownBlockError(name, close_block_names(key))
    return block


_MAX_SUGGESTED_FROM = 100  # a longer name is no typo; difflib's cost grows with it


def close_block_names(name: str) -> list[str]:
    """Block names that ``name`` may be a misspelling of, best first (at most three)."""
    if len(name) > _MAX_SUGGESTED_FROM:
        return []
    return difflib.get_close_matches(name, list(BLOCKS_BY_NAME), n=3)


__all__ = [
    "BLOCKS",
    "BLOCKS_BY_NAME",
    "Arg",
    "Block",
    "PlivoRequest",
    "close_block_names",
    "encode_segment",
    "get_block",
    "snake_case",
]
