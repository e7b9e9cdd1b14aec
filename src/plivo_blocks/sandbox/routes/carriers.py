"""``IncomingCarrier/``: carriers whose numbers can be added to the account (create, list with a
``name`` filter, get, update, delete; deleting a carrier deletes its numbers)."""

from __future__ import annotations

import ipaddress
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from plivo_blocks.sandbox import ids
from plivo_blocks.sandbox.models.carriers import CARRIER, render_carrier
from plivo_blocks.sandbox.models.common import insert_with_new_id
from plivo_blocks.sandbox.models.numbers import NUMBER
from plivo_blocks.sandbox.responses import bad_request, changed, created, no_content, ok
from plivo_blocks.sandbox.routing import ApiContext, api_route
from plivo_blocks.sandbox.store import ANY_OWNER, Tx


def _ip_set(raw: str) -> str:
    addresses = [part.strip() for part in raw.split(",") if part.strip()]
    if not addresses:
        raise bad_request("ip_set is required")
    for address in addresses:
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise bad_request(f"ip_set: {address!r} is not an IP address") from None
    return ",".join(addresses)


async def create(ctx: ApiContext) -> Response:
    name = ctx.require("name")
    ip_set = _ip_set(ctx.require("ip_set"))
    owner = ctx.account.auth_id
    data = {"name": name, "ip_set": ip_set, "sms": False, "voice": True}
    doc = await ctx.store.transaction(
        lambda tx: insert_with_new_id(tx, CARRIER, owner, ids.CARRIER_ID_DIGITS, lambda _id: data)
    )
    return created({"carrier_id": doc.id, "message": "created"})


async def list_carriers(ctx: ApiContext) -> Response:
    name = ctx.text("name")
    filters = {"name__contains": name} if name else None
    return await ctx.list_documents(CARRIER, lambda tx, d: render_carrier(d), filters)


async def get_carrier(ctx: ApiContext) -> Response:
    return ok(render_carrier(await ctx.get_document(CARRIER, ctx.path["carrier_id"], "carrier")))


async def update(ctx: ApiContext) -> Response:
    doc = await ctx.get_document(CARRIER, ctx.path["carrier_id"], "carrier")
    changes: dict[str, Any] = {}
    if ctx.text("name") is not None:
        changes["name"] = ctx.require("name")
    if ctx.text("ip_set") is not None:
        changes["ip_set"] = _ip_set(ctx.require("ip_set"))
    if not changes:
        raise bad_request("give name or ip_set to change")

    def apply(tx: Tx) -> None:
        tx.update(CARRIER, doc.id, changes, [doc.owner])
        if "name" in changes:  # numbers show their carrier's name (whoever rents them)
            tx.update_where(NUMBER, {"carrier": changes["name"]}, ANY_OWNER, {"_carrier_id": doc.id})

    await ctx.store.transaction(apply)
    return changed()


async def delete(ctx: ApiContext) -> Response:
    doc = await ctx.get_document(CARRIER, ctx.path["carrier_id"], "carrier")

    def remove(tx: Tx) -> None:
        tx.delete_where(NUMBER, ANY_OWNER, {"_carrier_id": doc.id})  # whoever rents them
        tx.delete(CARRIER, doc.id, [doc.owner])

    await ctx.store.transaction(remove)
    return no_content()


routes: list[BaseRoute] = [
    api_route("POST", "IncomingCarrier/", create),
    api_route("GET", "IncomingCarrier/", list_carriers),
    api_route("GET", "IncomingCarrier/{carrier_id}/", get_carrier),
    api_route("POST", "IncomingCarrier/{carrier_id}/", update),
    api_route("DELETE", "IncomingCarrier/{carrier_id}/", delete),
]
