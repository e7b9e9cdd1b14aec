"""``/v1/Account/{auth_id}/``: getAccountDetails and updateAccount."""

from __future__ import annotations

from dataclasses import replace

from starlette.responses import Response
from starlette.routing import BaseRoute

from plivo_blocks.sandbox.models.accounts import AccountDocument
from plivo_blocks.sandbox.models.base import fetch, modify
from plivo_blocks.sandbox.responses import bad_request, changed, ok
from plivo_blocks.sandbox.routing import ApiContext, api_route

UPDATABLE = ("name", "city", "address", "state", "timezone")


async def get_account(ctx: ApiContext) -> Response:
    # An account's document is owned by its main account (a main account owns its own).
    account = await fetch(ctx.store, AccountDocument, ctx.account.auth_id, [ctx.account.main_id])
    assert account is not None  # authentication just found it
    return ok(account.render())


async def update_account(ctx: ApiContext) -> Response:
    changes = {name: ctx.params[name] for name in UPDATABLE if ctx.params.get(name) is not None}
    if not any(changes.get(name) for name in ("name", "city", "address")):
        raise bad_request("one parameter of name, city and address is required")

    def change(account: AccountDocument) -> AccountDocument:
        return replace(
            account,
            name=changes.get("name", account.name),
            city=changes.get("city", account.city),
            address=changes.get("address", account.address),
            state=changes.get("state", account.state),
            timezone=changes.get("timezone", account.timezone),
        )

    await ctx.store.transaction(
        lambda tx: modify(tx, AccountDocument, ctx.account.auth_id, [ctx.account.main_id], change)
    )
    return changed()


routes: list[BaseRoute] = [
    api_route("GET", "", get_account),
    api_route("POST", "", update_account),
]
