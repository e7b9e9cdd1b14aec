"""Helpers shared by the resource models."""

from __future__ import annotations

from collections.abc import Callable

from plivo_blocks.sandbox import ids
from plivo_blocks.sandbox.models.base import D, insert
from plivo_blocks.sandbox.store import Conflict, Tx

ACCOUNT = "account"


def account_uri(auth_id: str) -> str:
    return f"/v1/Account/{auth_id}/"


def resource_uri(auth_id: str, path: str) -> str:
    return f"/v1/Account/{auth_id}/{path}"


def insert_new(tx: Tx, digits: int, build: Callable[[str], D]) -> D:
    """Insert the document ``build`` makes for a fresh numeric id (retrying on the rare collision)."""
    for _ in range(20):
        item = build(ids.new_numeric_id(digits))
        try:
            return insert(tx, item)
        except Conflict:
            continue
    raise RuntimeError(f"could not find a free {item.KIND} id")  # pragma: no cover
