"""``Endpoint/``: SIP endpoints (create, list, get, update, delete); and the control API's SIP
registration of an endpoint, as a softphone would register on it:

- ``POST /_sandbox/endpoints/{endpoint_id}/register`` ``{"contact"?, "expires"? (seconds, 1 to
  86400, default 3600), "user_agent"?}``: the endpoint shows ``sip_registered: "true"`` with
  ``sip_contact``, ``sip_expires`` and ``sip_user_agent`` until the registration expires on the
  sandbox clock (answers the endpoint as ``GET Endpoint/{id}/`` shows it);
- ``POST /_sandbox/endpoints/{endpoint_id}/unregister``: the client leaves; ``sip_registered:
  "false"`` and no contact.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from plivo_blocks.sandbox.models.applications import default_app_id
from plivo_blocks.sandbox.models.base import fetch, modify
from plivo_blocks.sandbox.models.endpoints import (
    DEFAULT_REGISTRATION_SECONDS,
    ENDPOINT,
    Endpoint,
    SipRegistration,
    new_endpoint,
    render_endpoint,
)
from plivo_blocks.sandbox.responses import PlivoError, bad_request, changed, created, no_content, ok
from plivo_blocks.sandbox.routes.applications import linked_app_id
from plivo_blocks.sandbox.routing import ApiContext, api_route, body_text, control_route, json_object
from plivo_blocks.sandbox.store import ANY_OWNER, Tx

MAX_REGISTRATION_SECONDS = 86400

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$")


async def create(ctx: ApiContext) -> Response:
    username = ctx.require("username")
    if not _USERNAME.match(username):
        raise bad_request("username may only contain letters, digits, '_', '.' and '-' (at most 50)")
    password = ctx.require("password")
    alias = ctx.require("alias")
    app_id = await linked_app_id(ctx)
    owner = ctx.account.auth_id

    def insert(tx: Tx) -> Endpoint:
        chosen = app_id or default_app_id(tx, owner, "default_endpoint_app")
        return new_endpoint(tx, owner, username, password, alias, chosen)

    endpoint = await ctx.store.transaction(insert)
    return created(
        {"alias": alias, "endpoint_id": endpoint.id, "message": "created", "username": endpoint.username}
    )


async def list_endpoints(ctx: ApiContext) -> Response:
    return await ctx.list_documents(Endpoint, render_endpoint)


async def get_endpoint(ctx: ApiContext) -> Response:
    return ok(await ctx.show_document(Endpoint, ctx.path["endpoint_id"], "endpoint", render_endpoint))


async def update(ctx: ApiContext) -> Response:
    endpoint = await ctx.get_document(Endpoint, ctx.path["endpoint_id"], "endpoint")
    changes: dict[str, Any] = {}
    if ctx.text("password") is not None:
        changes["password"] = ctx.require("password")
    if ctx.param("alias") is not None:
        changes["alias"] = ctx.require("alias")
    if ctx.text("app_id") is not None:
        changes["app_id"] = await linked_app_id(ctx)
    await ctx.store.transaction(
        lambda tx: modify(tx, Endpoint, endpoint.id, [endpoint.owner], lambda e: replace(e, **changes))
    )
    return changed()


async def delete(ctx: ApiContext) -> Response:
    endpoint = await ctx.get_document(Endpoint, ctx.path["endpoint_id"], "endpoint")
    await ctx.store.delete(ENDPOINT, endpoint.id, [endpoint.owner])
    return no_content()


# -- the control API: SIP registration ---------------------------------------------------------


def _expires(body: dict[str, Any]) -> int:
    value = body.get("expires", DEFAULT_REGISTRATION_SECONDS)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_REGISTRATION_SECONDS:
        raise bad_request(f"expires must be a whole number of seconds from 1 to {MAX_REGISTRATION_SECONDS}")
    return value


async def _set_registration(ctx: ApiContext, value: SipRegistration | None) -> Response:
    endpoint_id = ctx.path["endpoint_id"]

    def change(tx: Tx) -> dict[str, Any] | None:
        endpoint = modify(tx, Endpoint, endpoint_id, ANY_OWNER, lambda e: replace(e, registration=value))
        return render_endpoint(tx, endpoint) if endpoint else None

    shown = await ctx.store.transaction(change)
    if shown is None:
        raise PlivoError(404, "endpoint not found")
    return ok(shown)


async def register(ctx: ApiContext) -> Response:
    """A SIP client registers on the endpoint: ``sip_registered`` with its contact, expiry and user
    agent until the registration expires on the sandbox clock."""
    body = json_object(ctx)
    expires = _expires(body)
    contact = body_text(body, "contact", required=False)
    if contact is not None and not contact.startswith(("sip:", "sips:")):
        raise bad_request("contact must be a SIP URI (sip:user@host:port)")
    user_agent = body_text(body, "user_agent", required=False)
    endpoint = await fetch(ctx.store, Endpoint, ctx.path["endpoint_id"], ANY_OWNER)
    if endpoint is None:
        raise PlivoError(404, "endpoint not found")
    now = ctx.state.clock.now()
    return await _set_registration(
        ctx, SipRegistration.new(endpoint.username, now, contact, expires, user_agent)
    )


async def unregister(ctx: ApiContext) -> Response:
    """The SIP client leaves: ``sip_registered`` is ``"false"`` and the contact is cleared."""
    return await _set_registration(ctx, None)


routes: list[BaseRoute] = [
    api_route("POST", "Endpoint/", create),
    api_route("GET", "Endpoint/", list_endpoints),
    api_route("GET", "Endpoint/{endpoint_id}/", get_endpoint),
    api_route("POST", "Endpoint/{endpoint_id}/", update),
    api_route("DELETE", "Endpoint/{endpoint_id}/", delete),
    control_route("POST", "endpoints/{endpoint_id}/register", register),
    control_route("POST", "endpoints/{endpoint_id}/unregister", unregister),
]
