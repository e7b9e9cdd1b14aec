"""What every account owns, in one read, for the inspector's account page (``GET /_sandbox/resources``).

Accounts (the main one and its subaccounts), rented numbers, applications, endpoints and the newest
recordings, each as Plivo shows it plus ``auth_id`` (its owner). Secrets stay out: no account
carries its auth token (subaccount tokens are never shown) and endpoints never carry passwords.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from starlette.responses import Response
from starlette.routing import BaseRoute

from plivo_blocks.sandbox.models.accounts import AccountDocument
from plivo_blocks.sandbox.models.applications import Application, render_application
from plivo_blocks.sandbox.models.base import load_all
from plivo_blocks.sandbox.models.endpoints import Endpoint, render_endpoint
from plivo_blocks.sandbox.models.numbers import RentedNumber, render_number
from plivo_blocks.sandbox.responses import ok
from plivo_blocks.sandbox.routing import ApiContext, control_route
from plivo_blocks.sandbox.store import ANY_OWNER, Tx
from plivo_blocks.sandbox.voice.recording_document import Recording

#: At most this many of each kind (newest first): the page is an overview, the API pages through.
LIMIT = 500
RECORDINGS_LIMIT = 100
_SECRETS = ("auth_token", "new_auth_token", "password")


def _account(account: AccountDocument) -> dict[str, Any]:
    return {**account.render(), "parent_auth_id": account.parent}


class _Owned(Protocol):
    @property
    def owner(self) -> str: ...


Item = TypeVar("Item", bound=_Owned)


def _owned(
    tx: Tx, items: Sequence[Item], render: Callable[[Tx, Item], dict[str, Any]]
) -> list[dict[str, Any]]:
    return [{**render(tx, item), "auth_id": item.owner} for item in items]


def _without_secrets(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in _SECRETS}


async def resources(ctx: ApiContext) -> Response:
    """Every account's numbers, applications, endpoints and newest recordings (no secrets)."""

    def read(tx: Tx) -> dict[str, list[dict[str, Any]]]:
        accounts = load_all(tx, AccountDocument, ANY_OWNER, newest_first=False, limit=LIMIT)
        shown: dict[str, list[dict[str, Any]]] = {"accounts": [_account(a) for a in accounts]}
        shown["numbers"] = _owned(tx, load_all(tx, RentedNumber, ANY_OWNER, limit=LIMIT), render_number)
        shown["applications"] = _owned(
            tx, load_all(tx, Application, ANY_OWNER, limit=LIMIT), render_application
        )
        shown["endpoints"] = _owned(tx, load_all(tx, Endpoint, ANY_OWNER, limit=LIMIT), render_endpoint)
        recordings = load_all(tx, Recording, ANY_OWNER, limit=RECORDINGS_LIMIT)
        shown["recordings"] = _owned(tx, recordings, lambda tx, r: r.render())
        return {key: [_without_secrets(item) for item in items] for key, items in shown.items()}

    return ok(await ctx.store.transaction(read))


routes: list[BaseRoute] = [control_route("GET", "resources", resources)]
