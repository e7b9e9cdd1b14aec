"""The main account and its subaccounts (documents of kind ``account``): :class:`AccountDocument`.

A subaccount's ``parent`` is the main account's auth_id, and the main account owns its document
(a main account owns its own). Deleting a subaccount hands its numbers, endpoints and applications
(and anything else it owns except its history: messages, calls and recordings stay with it) to the
parent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from plivo_blocks.sandbox import ids
from plivo_blocks.sandbox.models.base import insert, load, modify, stored_fields
from plivo_blocks.sandbox.models.common import ACCOUNT, account_uri, resource_uri
from plivo_blocks.sandbox.store import ANY_OWNER, Conflict, Document, Tx
from plivo_blocks.sandbox.tariffs import format_rate
from plivo_blocks.sandbox.times import format_date

#: Kinds a deleted subaccount hands over to its parent.
HANDED_TO_PARENT = ("number", "endpoint", "application")

#: The name the sandbox gives the main accounts it makes.
MAIN_ACCOUNT_NAME = "Sandbox Account"


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountDocument:
    """A main account or a subaccount, as stored.

    ``auth_token`` is a subaccount's token (or an adopted main account's); the sandbox's own main
    account keeps its token out of the document (see :mod:`plivo_blocks.sandbox.accounts`), so it is
    ``None`` there. It never shows in a repr."""

    KIND: ClassVar[str] = ACCOUNT
    STORED_AS: ClassVar[Mapping[str, str]] = {"parent": "_parent", "auth_token": "_auth_token"}

    id: str  # the auth_id
    owner: str  # the main account (itself, for a main account)
    name: str = ""
    enabled: bool = True
    created: str | None = None  # YYYY-MM-DD
    modified: str | None = None
    parent: str | None = None  # a subaccount's main account
    auth_token: str | None = field(default=None, repr=False)
    account_type: str = "standard"
    address: str = ""
    auto_recharge: bool = False
    billing_mode: str = "prepaid"
    cash_credits: str = "0.00000"  # a main account's balance (subaccounts spend their parent's)
    city: str = ""
    state: str = ""
    timezone: str = "UTC"

    @classmethod
    def new_main(cls, auth_id: str, created: datetime, auth_token: str | None = None) -> AccountDocument:
        """A new main account, with the sandbox's starting credit."""
        return cls(
            id=auth_id,
            owner=auth_id,
            name=MAIN_ACCOUNT_NAME,
            created=format_date(created),
            auth_token=auth_token,
            cash_credits="100.00000",
        )

    @property
    def main_id(self) -> str:
        return self.parent or self.id

    def render(self) -> dict[str, Any]:
        """A main account or (on its own path) a subaccount, as ``GET /v1/Account/{id}/`` shows it."""
        return {
            "account_type": self.account_type,
            "address": self.address,
            "auth_id": self.id,
            "auto_recharge": self.auto_recharge,
            "billing_mode": self.billing_mode,
            "cash_credits": self.cash_credits,
            "city": self.city,
            "name": self.name,
            "resource_uri": account_uri(self.id),
            "state": self.state,
            "timezone": self.timezone,
        }

    def render_subaccount(self) -> dict[str, Any]:
        """A subaccount as its main account sees it (``GET Subaccount/{id}/``), token included."""
        parent = str(self.parent)
        return {
            "account": account_uri(parent),
            "auth_id": self.id,
            "auth_token": self.auth_token,
            "created": self.created,
            "enabled": self.enabled,
            "modified": self.modified,
            "name": self.name,
            "new_auth_token": self.auth_token,
            "resource_uri": resource_uri(parent, f"Subaccount/{self.id}/"),
        }

    @classmethod
    def from_document(cls, doc: Document) -> AccountDocument:
        data = doc.data
        parent = data.get("_parent")
        token = data.get("_auth_token")
        return cls(
            id=doc.id,
            owner=doc.owner,
            name=str(data.get("name") or ""),
            # A main account is enabled unless it says otherwise; a subaccount says.
            enabled=bool(data.get("enabled", not parent)),
            created=data.get("created"),
            modified=data.get("modified"),
            parent=str(parent) if parent else None,
            auth_token=str(token) if token else None,
            account_type=str(data.get("account_type", "standard")),
            address=str(data.get("address", "")),
            auto_recharge=bool(data.get("auto_recharge", False)),
            billing_mode=str(data.get("billing_mode", "prepaid")),
            cash_credits=str(data.get("cash_credits") or "0.00000"),
            city=str(data.get("city", "")),
            state=str(data.get("state", "")),
            timezone=str(data.get("timezone", "UTC")),
        )

    def to_data(self) -> dict[str, Any]:
        return {
            "_parent": self.parent,
            "_auth_token": self.auth_token,
            "account_type": self.account_type,
            "address": self.address,
            "auto_recharge": self.auto_recharge,
            "billing_mode": self.billing_mode,
            "cash_credits": self.cash_credits,
            "city": self.city,
            "state": self.state,
            "timezone": self.timezone,
            "name": self.name,
            "enabled": self.enabled,
            "created": self.created,
            "modified": self.modified,
        }


def subaccounts_of(main_id: str) -> dict[str, Any]:
    """The store's filter for the subaccounts of ``main_id``."""
    return stored_fields(AccountDocument, {"parent": main_id})


def subaccount_ref(tx: Tx, owner: str) -> str | None:
    """What ``sub_account`` shows: ``None`` for the main account's resources, else the subaccount's URI."""
    account = load(tx, AccountDocument, owner, ANY_OWNER)
    if account is None or account.parent is None:
        return None
    return resource_uri(account.parent, f"Subaccount/{owner}/")


def create_subaccount(tx: Tx, parent: str, name: str, enabled: bool) -> AccountDocument:
    today = format_date(tx.now())
    token = ids.new_auth_token()
    for _ in range(20):
        sub = AccountDocument(
            id=ids.new_auth_id("SA"),
            owner=parent,
            name=name,
            enabled=enabled,
            created=today,
            parent=parent,
            auth_token=token,
        )
        try:
            return insert(tx, sub)
        except Conflict:
            continue
    raise RuntimeError("could not find a free subaccount id")  # pragma: no cover


def delete_subaccount(tx: Tx, sub: AccountDocument) -> None:
    for kind in HANDED_TO_PARENT:
        tx.reassign(kind, sub.id, sub.main_id)
    tx.delete(ACCOUNT, sub.id, [sub.main_id])


def charge(tx: Tx, owner: str, amount: Decimal) -> None:
    """Take ``amount`` from the ``cash_credits`` of ``owner``'s main account (subaccounts spend
    their parent's credit, as on Plivo). The balance may go negative: the sandbox never refuses."""
    if not amount:
        return
    account = load(tx, AccountDocument, owner, ANY_OWNER)
    main_id = account.main_id if account else owner

    def spend(main: AccountDocument) -> AccountDocument:
        return replace(main, cash_credits=format_rate(Decimal(main.cash_credits) - amount))

    modify(tx, AccountDocument, main_id, [main_id], spend)
