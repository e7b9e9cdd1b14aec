"""``Pricing/?country_iso=XX``: rates from the shipped table (``data/pricing.json``)."""

from __future__ import annotations

import re

from starlette.responses import Response
from starlette.routing import BaseRoute

from plivo_blocks.sandbox.responses import PlivoError, bad_request, ok
from plivo_blocks.sandbox.routing import ApiContext, api_route
from plivo_blocks.sandbox.tariffs import pricing_for


async def get_pricing(ctx: ApiContext) -> Response:
    iso = ctx.require("country_iso")
    if not re.match(r"^[A-Za-z]{2}$", iso):
        raise bad_request("country_iso must be a two-letter ISO country code")
    body = pricing_for(iso)
    if body is None:
        raise PlivoError(404, f"no pricing for country_iso {iso.upper()}")
    return ok(body)


routes: list[BaseRoute] = [api_route("GET", "Pricing/", get_pricing)]
