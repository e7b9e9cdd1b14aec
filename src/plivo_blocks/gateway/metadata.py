"""The RapidAPI package metadata (``GET /api/Plivo``), generated from the catalog.

The shape follows the original RapidAPI Plivo package's ``metadata.json``: package facts,
``accounts``, ``steps``, and per block its ``args`` (the two credentials first) and ``callbacks``.
It describes what may be sent; it never holds a credential value.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from plivo_blocks.catalog import BLOCKS, Block
from plivo_blocks.catalog.types import CUSTOM_DATATYPES, Select

PACKAGE = "Plivo"

#: The block arguments the gateway itself consumes; they never reach the block's validation.
CREDENTIAL_ARGS: tuple[tuple[str, str], ...] = (
    ("authId", "Valid authId."),
    ("authToken", "Valid authToken."),
)
RENAME_ARG = "to"

#: The seed's examples for its custom datatypes (descriptions come from the catalog).
DATATYPE_EXAMPLES: dict[str, str] = {
    "Datepicker": "2016-05-28 00:00:00",
    "Map": "50.37, 26.56",
    "List": '["123", "sample"]',
    "Select": "sample",
    "Array": '[{"Second name":"123","Age":"12","Photo":"sdf","Draft":"sdfsdf"},'
    '{"name":"adi","Second name":"bla","Age":"4","Photo":"asfserwe","Draft":"sdfsdf"}]',
}

CALLBACKS: tuple[dict[str, Any], ...] = (
    {"name": "error", "info": "Error", "required": False},
    {"name": "success", "info": "Success", "required": False},
)


def block_args(block: Block) -> list[dict[str, Any]]:
    """A block's metadata ``args``: credentials first, then the block's own arguments."""
    out: list[dict[str, Any]] = [
        {"name": name, "type": "credentials", "info": info, "required": True}
        for name, info in CREDENTIAL_ARGS
    ]
    for arg in block.args:
        entry: dict[str, Any] = {
            "name": arg.name,
            "type": arg.datatype,
            "info": arg.info,
            "required": arg.required,
        }
        if isinstance(arg.type, Select):
            entry["options"] = list(arg.type.options)
        out.append(entry)
    return out


def block_metadata(block: Block) -> dict[str, Any]:
    return {
        "name": block.name,
        "description": block.description,
        "args": block_args(block),
        "callbacks": [dict(c) for c in CALLBACKS],
    }


@cache
def build_metadata() -> dict[str, Any]:
    """The whole metadata document. Cached: the catalog is immutable; callers must not mutate it."""
    return {
        "package": PACKAGE,
        "tagline": "Plivo API Package",
        "description": "Global SMS & Voice calls for businesses of all sizes",
        "image": "http://logo.clearbit.com/plivo.com",
        "repo": "https://github.com/RapidSoftwareSolutions/Marketplace-Plivo-Package",
        "keywords": ["API", "call", "calling", "calls", "messaging", "phone", "smb", "sms", "text", "voice"],
        "accounts": {"domain": "plivo.com", "credentials": [name for name, _ in CREDENTIAL_ARGS]},
        "steps": [
            "Go to the Plivo dashboard: https://manage.plivo.com/dashboard/",
            "Copy and save your AUTH ID and AUTH TOKEN.",
        ],
        "datatypes": [
            {"name": name, "description": description, "example": DATATYPE_EXAMPLES[name]}
            for name, description in CUSTOM_DATATYPES.items()
        ],
        "blocks": [block_metadata(block) for block in BLOCKS],
    }
