"""``Application/``: create, list (``subaccount``, ``app_name`` filters), get, update, delete."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from plivo_blocks.sandbox.models.applications import (
    APPLICATION,
    METHOD_FIELDS,
    TEXT_FIELDS,
    Application,
    new_application,
    render_application,
    settle_defaults,
)
from plivo_blocks.sandbox.models.base import modify, move, stored_fields
from plivo_blocks.sandbox.models.endpoints import unlink_endpoints
from plivo_blocks.sandbox.models.numbers import unlink_numbers
from plivo_blocks.sandbox.responses import changed, created, no_content, ok
from plivo_blocks.sandbox.routing import ApiContext, api_route
from plivo_blocks.sandbox.store import Tx


async def _fields(ctx: ApiContext, *, creating: bool) -> tuple[dict[str, Any], str | None]:
    """The fields of :class:`Application` the request sets, and the subaccount it moves it to."""
    fields: dict[str, Any] = {}
    for param, name in TEXT_FIELDS.items():
        value = ctx.param(param)
        if value is not None:
            fields[name] = value.strip()
    for name in METHOD_FIELDS:
        if ctx.text(name) is not None:
            fields[name] = ctx.method(name)
    flags = {
        "default_number_app": "default_app",
        "default_endpoint_app": "default_endpoint_app",
        "public_uri": "public_uri",
        "log_incoming_messages": "log_incoming_messages",
    }
    for param, name in flags.items():
        if ctx.text(param) is not None:
            fields[name] = ctx.flag(param, False)
    if creating and "hangup_url" not in fields and fields.get("answer_url"):
        fields["hangup_url"] = fields["answer_url"]
    sub = ctx.text("subaccount")
    return fields, (await ctx.subaccount_id(sub) if sub else None)


async def create(ctx: ApiContext) -> Response:
    ctx.require("app_name")
    fields, sub = await _fields(ctx, creating=True)
    owner = sub or ctx.account.auth_id
    app = await ctx.store.transaction(lambda tx: new_application(tx, owner, fields))
    return created({"app_id": app.id, "message": "created"})


async def list_applications(ctx: ApiContext) -> Response:
    name = ctx.text("app_name")
    filters = stored_fields(Application, {"app_name__contains": name}) if name else None
    return await ctx.list_documents(Application, render_application, filters)


async def get_application(ctx: ApiContext) -> Response:
    return ok(await ctx.show_document(Application, ctx.path["app_id"], "application", render_application))


async def update(ctx: ApiContext) -> Response:
    app = await ctx.get_document(Application, ctx.path["app_id"], "application")
    fields, sub = await _fields(ctx, creating=False)

    def apply(tx: Tx) -> None:
        updated = modify(tx, Application, app.id, [app.owner], lambda current: replace(current, **fields))
        if updated is not None:
            settle_defaults(tx, move(tx, updated, sub or updated.owner))

    await ctx.store.transaction(apply)
    return changed()


async def delete(ctx: ApiContext) -> Response:
    app = await ctx.get_document(Application, ctx.path["app_id"], "application")

    def remove(tx: Tx) -> None:
        tx.delete(APPLICATION, app.id, [app.owner])
        unlink_numbers(tx, app.id)  # numbers and endpoints linked to it lose the link
        unlink_endpoints(tx, app.id)

    await ctx.store.transaction(remove)
    return no_content()


routes: list[BaseRoute] = [
    api_route("POST", "Application/", create),
    api_route("GET", "Application/", list_applications),
    api_route("GET", "Application/{app_id}/", get_application),
    api_route("POST", "Application/{app_id}/", update),
    api_route("DELETE", "Application/{app_id}/", delete),
]


async def linked_app_id(ctx: ApiContext, param: str = "app_id") -> str | None:
    """The application a number or endpoint should link, from ``param``: ``None`` when absent; 404
    when it names no application this request may use."""
    app_id = ctx.text(param)
    if app_id is None:
        return None
    await ctx.get_document(Application, app_id, "application")
    return app_id
