"""``IncomingCarrier/``: carriers whose numbers can be added to the account (create, list with a
``name`` filter, get, update, delete; deleting a carrier deletes its numbers)."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from starlette.responses import Response
from starlette.routing import BaseRoute

from plivo_blocks.sandbox import ids
from plivo_blocks.sandbox.models.base import modify, stored_fields
from plivo_blocks.sandbox.models.carriers import CARRIER, Carrier
from plivo_blocks.sandbox.models.common import insert_new
from plivo_blocks.sandbox.models.numbers import delete_carrier_numbers, rename_carrier_numbers
from plivo_blocks.sandbox.responses import bad_request, changed, created, no_content, ok
from plivo_blocks.sandbox.routing import ApiContext, api_route
from plivo_blocks.sandbox.store import Tx


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
    carrier = await ctx.store.transaction(
        lambda tx: insert_new(
            tx,
            ids.CARRIER_ID_DIGITS,
            lambda new_id: Carrier(id=new_id, owner=owner, name=name, ip_set=ip_set),
        )
    )
    return created({"carrier_id": carrier.id, "message": "created"})


async def list_carriers(ctx: ApiContext) -> Response:
    name = ctx.text("name")
    filters = stored_fields(Carrier, {"name__contains": name}) if name else None
    return await ctx.list_documents(Carrier, lambda tx, carrier: carrier.render(), filters)


async def get_carrier(ctx: ApiContext) -> Response:
    return ok((await ctx.get_document(Carrier, ctx.path["carrier_id"], "carrier")).render())


async def update(ctx: ApiContext) -> Response:
    carrier = await ctx.get_document(Carrier, ctx.path["carrier_id"], "carrier")
    name = ctx.require("name") if ctx.text("name") is not None else None
    ip_set = _ip_set(ctx.require("ip_set")) if ctx.text("ip_set") is not None else None
    if name is None and ip_set is None:
        raise bad_request("give name or ip_set to change")

    def change(current: Carrier) -> Carrier:
        return replace(current, name=name or current.name, ip_set=ip_set or current.ip_set)

    def apply(tx: Tx) -> None:
        modify(tx, Carrier, carrier.id, [carrier.owner], change)
        if name is not None:  # numbers show their carrier's name (whoever rents them)
            rename_carrier_numbers(tx, carrier.id, name)

    await ctx.store.transaction(apply)
    return changed()


async def delete(ctx: ApiContext) -> Response:
    carrier = await ctx.get_document(Carrier, ctx.path["carrier_id"], "carrier")

    def remove(tx: Tx) -> None:
        delete_carrier_numbers(tx, carrier.id)
        tx.delete(CARRIER, carrier.id, [carrier.owner])

    await ctx.store.transaction(remove)
    return no_content()


routes: list[BaseRoute] = [
    api_route("POST", "IncomingCarrier/", create),
    api_route("GET", "IncomingCarrier/", list_carriers),
    api_route("GET", "IncomingCarrier/{carrier_id}/", get_carrier),
    api_route("POST", "IncomingCarrier/{carrier_id}/", update),
    api_route("DELETE", "IncomingCarrier/{carrier_id}/", delete),
]
