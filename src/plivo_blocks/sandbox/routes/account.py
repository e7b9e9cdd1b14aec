"""``/v1/Account/{auth_id}/``: getAccountDetails and updateAccount."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute

from plivo_blocks.sandbox.models.accounts import render_account
from plivo_blocks.sandbox.models.common import ACCOUNT
from plivo_blocks.sandbox.responses import bad_request, changed, ok
from plivo_blocks.sandbox.routing import ApiContext, api_route

UPDATABLE = ("name", "city", "address", "state", "timezone")


async def get_account(ctx: ApiContext) -> Response:
    # An account's document is owned by its main account (a main account owns its own).
    doc = await ctx.store.get(ACCOUNT, ctx.account.auth_id, [ctx.account.main_id])
    assert doc is not None  # authentication just found it
    return ok(render_account(doc))


async def update_account(ctx: ApiContext) -> Response:
    changes = {name: ctx.params[name] for name in UPDATABLE if ctx.params.get(name) is not None}
    if not any(changes.get(name) for name in ("name", "city", "address")):
        raise bad_request("one parameter of name, city and address is required")
    await ctx.store.update(ACCOUNT, ctx.account.auth_id, changes, [ctx.account.main_id])
    return changed()


routes: list[BaseRoute] = [
    api_route("GET", "", get_account),
    api_route("POST", "", update_account),
]
