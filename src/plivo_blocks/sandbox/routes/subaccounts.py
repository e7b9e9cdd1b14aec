"""``Subaccount/``: a main account's subaccounts (create, list, get, update, delete).

Only a main account manages subaccounts (a subaccount gets 403), so a subaccount's auth_token is
only ever shown to its parent. Deleting hands the subaccount's numbers, endpoints and applications
to the parent, or deletes them with ``cascade=true``.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute

from plivo_blocks.sandbox.models.accounts import (
    HANDED_TO_PARENT,
    create_subaccount,
    delete_subaccount,
    render_subaccount,
)
from plivo_blocks.sandbox.models.common import ACCOUNT
from plivo_blocks.sandbox.responses import PlivoError, changed, created, no_content, ok
from plivo_blocks.sandbox.routing import ApiContext, api_route
from plivo_blocks.sandbox.store import Document, Tx
from plivo_blocks.sandbox.times import format_date


def _main_only(ctx: ApiContext) -> str:
    if not ctx.account.is_main:
        raise PlivoError(403, "subaccounts cannot manage subaccounts")
    return ctx.account.auth_id


async def _own_subaccount(ctx: ApiContext) -> Document:
    main = _main_only(ctx)
    doc = await ctx.store.get(ACCOUNT, ctx.path["sub_id"], [main])
    if doc is None or doc.data.get("_parent") != main:
        raise PlivoError(404, "subaccount not found")
    return doc


async def create(ctx: ApiContext) -> Response:
    main = _main_only(ctx)
    name = ctx.require("name")
    enabled = ctx.flag("enabled", False)
    doc = await ctx.store.transaction(lambda tx: create_subaccount(tx, main, name, enabled))
    return created({"auth_id": doc.id, "auth_token": doc.data["_auth_token"], "message": "created"})


async def list_subaccounts(ctx: ApiContext) -> Response:
    main = _main_only(ctx)
    return await ctx.list_documents(
        ACCOUNT, lambda tx, d: render_subaccount(d), filters={"_parent": main}, owners=[main]
    )


async def get_subaccount(ctx: ApiContext) -> Response:
    return ok(render_subaccount(await _own_subaccount(ctx)))


async def update(ctx: ApiContext) -> Response:
    doc = await _own_subaccount(ctx)
    changes: dict[str, object] = {
        "name": ctx.require("name"),
        "modified": format_date(ctx.state.clock.datetime()),
    }
    if ctx.text("enabled") is not None:
        changes["enabled"] = ctx.flag("enabled", False)
    await ctx.store.update(ACCOUNT, doc.id, changes, [doc.owner])
    return changed()


async def delete(ctx: ApiContext) -> Response:
    doc = await _own_subaccount(ctx)
    cascade = ctx.flag("cascade", False)

    def remove(tx: Tx) -> None:
        if cascade:
            for kind in HANDED_TO_PARENT:
                tx.delete_where(kind, [doc.id])
        delete_subaccount(tx, doc)

    await ctx.store.transaction(remove)
    return no_content()


routes: list[BaseRoute] = [
    api_route("POST", "Subaccount/", create),
    api_route("GET", "Subaccount/", list_subaccounts),
    api_route("GET", "Subaccount/{sub_id}/", get_subaccount),
    api_route("POST", "Subaccount/{sub_id}/", update),
    api_route("DELETE", "Subaccount/{sub_id}/", delete),
]
