"""Numbers: the inventory for sale (``PhoneNumber/``) and the account's rented numbers (``Number/``).

- ``GET PhoneNumber/?country_iso=..`` searches the deterministic inventory (``type``, ``pattern``,
  ``region``, ``services``, ``lata``, ``rate_center``); ``POST PhoneNumber/{number}/`` buys one.
- ``GET Number/`` lists rented numbers (``type``, ``number_startswith``, ``subaccount``, ``alias``,
  ``services``); ``GET/POST/DELETE Number/{number}/`` reads, changes (``app_id``, ``subaccount``,
  ``alias``) and unrents one; ``POST Number/`` adds numbers of a registered incoming carrier.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from plivo_blocks.sandbox import inventory
from plivo_blocks.sandbox.models.base import modify, move, stored_fields
from plivo_blocks.sandbox.models.carriers import Carrier
from plivo_blocks.sandbox.models.numbers import (
    NUMBER,
    NUMBER_TYPES,
    RentedNumber,
    add_carrier_number,
    render_number,
    rent_from_inventory,
)
from plivo_blocks.sandbox.responses import PlivoError, bad_request, changed, created, no_content, ok
from plivo_blocks.sandbox.routes.applications import linked_app_id
from plivo_blocks.sandbox.routing import ApiContext, api_route
from plivo_blocks.sandbox.store import ANY_OWNER, Tx

_DIGITS = re.compile(r"^\d+$")
_NUMBER = re.compile(r"^\+?\d{6,15}$")
SERVICES = ("voice", "sms", "mms")
_UNLINK = ("", "null", "none")


def _services(ctx: ApiContext) -> list[str]:
    raw = ctx.text("services")
    if raw is None:
        return []
    wanted = [s.strip().lower() for s in raw.split(",") if s.strip()]
    if not wanted or any(s not in SERVICES for s in wanted):
        raise bad_request("services must be voice, sms, mms or a comma-separated combination")
    return wanted


def _digits(ctx: ApiContext, name: str) -> str | None:
    value = ctx.text(name)
    if value is not None and not _DIGITS.match(value):
        raise bad_request(f"{name} must contain only digits")
    return value


def _number(raw: str) -> str:
    if not _NUMBER.match(raw):
        raise bad_request(f"{raw!r} is not a valid phone number")
    return raw.lstrip("+")


# -- inventory -------------------------------------------------------------------------------


async def search(ctx: ApiContext) -> Response:
    iso = ctx.require("country_iso").upper()
    if not re.match(r"^[A-Z]{2}$", iso):
        raise bad_request("country_iso must be a two-letter ISO country code")
    kind = ctx.choice("type", inventory.SEARCH_TYPES)
    pattern = _digits(ctx, "pattern")
    lata = _digits(ctx, "lata")
    services = _services(ctx)
    limit, offset = ctx.page()
    rented = {d.id for d in await ctx.store.list(NUMBER, ANY_OWNER)}  # whoever rents them
    found = inventory.search(
        iso,
        type=kind,
        pattern=pattern,
        region=ctx.text("region"),
        services=services,
        lata=lata,
        rate_center=ctx.text("rate_center"),
        taken=rented.__contains__,
    )
    objects = [n.search_view(ctx.uri(f"PhoneNumber/{n.number}/")) for n in found[offset : offset + limit]]
    return ctx.list_response(objects, len(found), limit, offset)


async def buy(ctx: ApiContext) -> Response:
    number = _number(ctx.path["number"])
    item = inventory.find_available(number)
    if item is None:
        raise PlivoError(404, f"number {number} is not available for sale")
    app_id = await linked_app_id(ctx)
    owner = ctx.account.auth_id

    def rent(tx: Tx) -> bool:
        if tx.get(NUMBER, number, ANY_OWNER) is not None:  # rented by anyone
            return False
        rent_from_inventory(tx, owner, item, app_id)
        return True

    if not await ctx.store.transaction(rent):
        raise PlivoError(404, f"number {number} is not available for sale")
    return created(
        {
            "message": "created",
            "numbers": [{"number": number, "status": "Success", "fallback_number": None}],
            "status": "fulfilled",
        }
    )


# -- rented numbers --------------------------------------------------------------------------


async def list_numbers(ctx: ApiContext) -> Response:
    filters: dict[str, Any] = {}
    kind = ctx.choice("type", NUMBER_TYPES)
    if kind:
        filters["number_type"] = kind
    starts = _digits(ctx, "number_startswith")
    if starts:
        filters["number__startswith"] = starts
    alias = ctx.text("alias")
    if alias:
        filters["alias"] = alias
    for service in _services(ctx):
        filters[f"{service}_enabled"] = True
    return await ctx.list_documents(RentedNumber, render_number, stored_fields(RentedNumber, filters))


async def get_number(ctx: ApiContext) -> Response:
    number = _number(ctx.path["number"])
    return ok(await ctx.show_document(RentedNumber, number, "number", render_number))


async def update_number(ctx: ApiContext) -> Response:
    rented = await ctx.get_document(RentedNumber, _number(ctx.path["number"]), "number")
    changes: dict[str, Any] = {}
    raw_app = ctx.param("app_id")
    if raw_app is not None:
        changes["app_id"] = None if raw_app.strip().lower() in _UNLINK else await linked_app_id(ctx)
    if ctx.param("alias") is not None:
        changes["alias"] = ctx.param("alias")
    sub = ctx.text("subaccount")
    new_owner = await ctx.subaccount_id(sub) if sub else None

    def apply(tx: Tx) -> None:
        updated = modify(tx, RentedNumber, rented.id, [rented.owner], lambda n: replace(n, **changes))
        if updated is not None and new_owner:
            move(tx, updated, new_owner)

    await ctx.store.transaction(apply)
    return changed()


async def unrent(ctx: ApiContext) -> Response:
    rented = await ctx.get_document(RentedNumber, _number(ctx.path["number"]), "number")
    await ctx.store.delete(NUMBER, rented.id, [rented.owner])
    return no_content()


async def add_own_numbers(ctx: ApiContext) -> Response:
    numbers = [_number(n.strip()) for n in ctx.require("numbers").split(",") if n.strip()]
    if not numbers:
        raise bad_request("numbers is required")
    carrier = await ctx.get_document(Carrier, ctx.require("carrier"), "carrier")
    region = ctx.require("region")
    number_type = ctx.choice("number_type", NUMBER_TYPES, "local") or "local"
    app_id = await linked_app_id(ctx)
    sub = ctx.text("subaccount")
    owner = await ctx.subaccount_id(sub) if sub else ctx.account.auth_id

    def add(tx: Tx) -> str | None:
        for number in numbers:
            if tx.get(NUMBER, number, ANY_OWNER) is not None:  # on anyone's account
                return number
        for number in dict.fromkeys(numbers):
            add_carrier_number(tx, owner, number, carrier, region, number_type, app_id)
        return None

    clash = await ctx.store.transaction(add)
    if clash:
        raise bad_request(f"number {clash} is already on an account")
    return changed()


routes: list[BaseRoute] = [
    api_route("GET", "PhoneNumber/", search),
    api_route("POST", "PhoneNumber/{number}/", buy),
    api_route("GET", "Number/", list_numbers),
    api_route("POST", "Number/", add_own_numbers),
    api_route("GET", "Number/{number}/", get_number),
    api_route("POST", "Number/{number}/", update_number),
    api_route("DELETE", "Number/{number}/", unrent),
]
