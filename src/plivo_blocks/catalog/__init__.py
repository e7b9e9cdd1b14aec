"""The catalog: all 68 blocks as data, and the value types their arguments use."""

from __future__ import annotations

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
        raise UnknownBlockError(name)
    return block


__all__ = [
    "BLOCKS",
    "BLOCKS_BY_NAME",
    "Arg",
    "Block",
    "PlivoRequest",
    "encode_segment",
    "get_block",
    "snake_case",
]
