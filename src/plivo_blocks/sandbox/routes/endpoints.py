"""``Endpoint/``: SIP endpoints (create, list, get, update, delete)."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from plivo_blocks.sandbox.models.applications import default_app_id
from plivo_blocks.sandbox.models.endpoints import ENDPOINT, new_endpoint, render_endpoint
from plivo_blocks.sandbox.responses import bad_request, changed, created, no_content, ok
from plivo_blocks.sandbox.routes.applications import linked_app_id
from plivo_blocks.sandbox.routing import ApiContext, api_route
from plivo_blocks.sandbox.store import Tx

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$")


async def create(ctx: ApiContext) -> Response:
    username = ctx.require("username")
    if not _USERNAME.match(username):
        raise bad_request("username may only contain letters, digits, '_', '.' and '-' (at most 50)")
    password = ctx.require("password")
    alias = ctx.require("alias")
    app_id = await linked_app_id(ctx)
    owner = ctx.account.auth_id

    def insert(tx: Tx) -> Any:
        chosen = app_id or default_app_id(tx, owner, "default_endpoint_app")
        return new_endpoint(tx, owner, username, password, alias, chosen)

    doc = await ctx.store.transaction(insert)
    return created(
        {"alias": alias, "endpoint_id": doc.id, "message": "created", "username": doc.data["username"]}
    )


async def list_endpoints(ctx: ApiContext) -> Response:
    return await ctx.list_documents(ENDPOINT, render_endpoint)


async def get_endpoint(ctx: ApiContext) -> Response:
    return ok(await ctx.show_document(ENDPOINT, ctx.path["endpoint_id"], "endpoint", render_endpoint))


async def update(ctx: ApiContext) -> Response:
    doc = await ctx.get_document(ENDPOINT, ctx.path["endpoint_id"], "endpoint")
    changes: dict[str, Any] = {}
    if ctx.text("password") is not None:
        changes["_password"] = ctx.require("password")
    if ctx.param("alias") is not None:
        changes["alias"] = ctx.require("alias")
    if ctx.text("app_id") is not None:
        changes["_app_id"] = await linked_app_id(ctx)
    await ctx.store.update(ENDPOINT, doc.id, changes)
    return changed()


async def delete(ctx: ApiContext) -> Response:
    doc = await ctx.get_document(ENDPOINT, ctx.path["endpoint_id"], "endpoint")
    await ctx.store.delete(ENDPOINT, doc.id)
    return no_content()


routes: list[BaseRoute] = [
    api_route("POST", "Endpoint/", create),
    api_route("GET", "Endpoint/", list_endpoints),
    api_route("GET", "Endpoint/{endpoint_id}/", get_endpoint),
    api_route("POST", "Endpoint/{endpoint_id}/", update),
    api_route("DELETE", "Endpoint/{endpoint_id}/", delete),
]
