"""``Subaccount/``: a main account's subaccounts (create, list, get, update, delete).

Only a main account manages subaccounts (a subaccount gets 403), so a subaccount's auth_token is
only ever shown to its parent. Deleting hands the subaccount's numbers, endpoints and applications
to the parent, or deletes them with ``cascade=true``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from plivo_blocks.sandbox.models.accounts import (
    HANDED_TO_PARENT,
    AccountDocument,
    create_subaccount,
    delete_subaccount,
    subaccounts_of,
)
from plivo_blocks.sandbox.models.base import fetch, modify
from plivo_blocks.sandbox.responses import PlivoError, changed, created, no_content, ok
from plivo_blocks.sandbox.routing import ApiContext, api_route
from plivo_blocks.sandbox.store import Tx
from plivo_blocks.sandbox.times import format_date


def _main_only(ctx: ApiContext) -> str:
    if not ctx.account.is_main:
        raise PlivoError(403, "subaccounts cannot manage subaccounts")
    return ctx.account.auth_id


async def _own_subaccount(ctx: ApiContext) -> AccountDocument:
    main = _main_only(ctx)
    sub = await fetch(ctx.store, AccountDocument, ctx.path["sub_id"], [main])
    if sub is None or sub.parent != main:
        raise PlivoError(404, "subaccount not found")
    return sub


async def create(ctx: ApiContext) -> Response:
    main = _main_only(ctx)
    name = ctx.require("name")
    enabled = ctx.flag("enabled", False)
    sub = await ctx.store.transaction(lambda tx: create_subaccount(tx, main, name, enabled))
    return created({"auth_id": sub.id, "auth_token": sub.auth_token, "message": "created"})


async def list_subaccounts(ctx: ApiContext) -> Response:
    main = _main_only(ctx)
    return await ctx.list_documents(
        AccountDocument, lambda tx, sub: sub.render_subaccount(), filters=subaccounts_of(main), owners=[main]
    )


async def get_subaccount(ctx: ApiContext) -> Response:
    return ok((await _own_subaccount(ctx)).render_subaccount())


async def update(ctx: ApiContext) -> Response:
    sub = await _own_subaccount(ctx)
    changes: dict[str, Any] = {
        "name": ctx.require("name"),
        "modified": format_date(ctx.state.clock.datetime()),
    }
    if ctx.text("enabled") is not None:
        changes["enabled"] = ctx.flag("enabled", False)
    await ctx.store.transaction(
        lambda tx: modify(tx, AccountDocument, sub.id, [sub.owner], lambda s: replace(s, **changes))
    )
    return changed()


async def delete(ctx: ApiContext) -> Response:
    sub = await _own_subaccount(ctx)
    cascade = ctx.flag("cascade", False)

    def remove(tx: Tx) -> None:
        if cascade:
            for kind in HANDED_TO_PARENT:
                tx.delete_where(kind, [sub.id])
        delete_subaccount(tx, sub)

    await ctx.store.transaction(remove)
    return no_content()


routes: list[BaseRoute] = [
    api_route("POST", "Subaccount/", create),
    api_route("GET", "Subaccount/", list_subaccounts),
    api_route("GET", "Subaccount/{sub_id}/", get_subaccount),
    api_route("POST", "Subaccount/{sub_id}/", update),
    api_route("DELETE", "Subaccount/{sub_id}/", delete),
]
