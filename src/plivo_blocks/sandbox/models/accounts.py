"""The main account and its subaccounts (documents of kind ``account``).

A subaccount's document has ``_parent`` = the main account's auth_id and is owned by it. Deleting
a subaccount hands its numbers, endpoints and applications (and anything else it owns except its
history: messages, calls and recordings stay with it) to the parent.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from plivo_blocks.sandbox import ids
from plivo_blocks.sandbox.models.common import ACCOUNT, account_uri, resource_uri
from plivo_blocks.sandbox.store import ANY_OWNER, Document, Tx
from plivo_blocks.sandbox.tariffs import format_rate
from plivo_blocks.sandbox.times import format_date

#: Kinds a deleted subaccount hands over to its parent.
HANDED_TO_PARENT = ("number", "endpoint", "application")

ACCOUNT_FIELDS = (
    "account_type",
    "address",
    "auth_id",
    "auto_recharge",
    "billing_mode",
    "cash_credits",
    "city",
    "name",
    "resource_uri",
    "state",
    "timezone",
)


_ACCOUNT_DEFAULTS: dict[str, Any] = {
    "account_type": "standard",
    "address": "",
    "auto_recharge": False,
    "billing_mode": "prepaid",
    "cash_credits": "0.00000",
    "city": "",
    "state": "",
    "timezone": "UTC",
}


def main_account_data(name: str, created: datetime) -> dict[str, Any]:
    """A new main account's document (its token is not in it: see ``sandbox.accounts``)."""
    return {
        "_parent": None,
        **_ACCOUNT_DEFAULTS,
        "cash_credits": "100.00000",
        "name": name,
        "enabled": True,
        "created": format_date(created),
    }


def render_account(doc: Document) -> dict[str, Any]:
    """A main account or (on its own path) a subaccount, as ``GET /v1/Account/{id}/`` shows it."""
    shown = {k: doc.data.get(k, _ACCOUNT_DEFAULTS.get(k)) for k in ACCOUNT_FIELDS}
    shown["auth_id"] = doc.id
    shown["resource_uri"] = account_uri(doc.id)
    return shown


def render_subaccount(doc: Document) -> dict[str, Any]:
    parent = str(doc.data["_parent"])
    token = doc.data["_auth_token"]
    return {
        "account": account_uri(parent),
        "auth_id": doc.id,
        "auth_token": token,
        "created": doc.data.get("created"),
        "enabled": bool(doc.data.get("enabled")),
        "modified": doc.data.get("modified"),
        "name": doc.data.get("name"),
        "new_auth_token": token,
        "resource_uri": resource_uri(parent, f"Subaccount/{doc.id}/"),
    }


def create_subaccount(tx: Tx, parent: str, name: str, enabled: bool) -> Document:
    today = format_date(tx.now())
    data = {
        "_auth_token": ids.new_auth_token(),
        "_parent": parent,
        "name": name,
        "enabled": enabled,
        "created": today,
        "modified": None,
    }
    for _ in range(20):
        auth_id = ids.new_auth_id("SA")
        if tx.get(ACCOUNT, auth_id, ANY_OWNER) is None:
            return tx.insert(ACCOUNT, auth_id, parent, data)
    raise RuntimeError("could not find a free subaccount id")  # pragma: no cover


def delete_subaccount(tx: Tx, sub: Document) -> None:
    parent = str(sub.data["_parent"])
    for kind in HANDED_TO_PARENT:
        tx.reassign(kind, sub.id, parent)
    tx.delete(ACCOUNT, sub.id, [parent])


def charge(tx: Tx, owner: str, amount: Decimal) -> None:
    """Take ``amount`` from the ``cash_credits`` of ``owner``'s main account (subaccounts spend
    their parent's credit, as on Plivo). The balance may go negative: the sandbox never refuses."""
    if not amount:
        return
    doc = tx.get(ACCOUNT, owner, ANY_OWNER)
    main_id = str(doc.data.get("_parent") or owner) if doc else owner
    main = tx.get(ACCOUNT, main_id, [main_id])
    if main is None:
        return
    balance = Decimal(str(main.data.get("cash_credits") or "0")) - amount
    tx.update(ACCOUNT, main_id, {"cash_credits": format_rate(balance)}, [main_id])
