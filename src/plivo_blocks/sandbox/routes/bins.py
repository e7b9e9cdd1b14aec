"""XML bins: Plivo XML documents the sandbox hosts, so an ``answer_url`` needs no server of its own and
no XML percent-encoded into a URL.

=========  ==========================  ==============================================================
Method     Path                        What
=========  ==========================  ==============================================================
GET        /_sandbox/bins              the bins (main account): name, URL, size, times
PUT        /_sandbox/bins/{name}       the body is the XML; validated as Plivo validates answer XML
                                       (400 naming the problem), then stored (201 new, 200 replaced)
GET, POST  /_sandbox/bins/{name}       no auth: the XML as ``application/xml``, as Plivo fetches it
DELETE     /_sandbox/bins/{name}       remove it (204)
=========  ==========================  ==============================================================

Bins are documents (:class:`~plivo_blocks.sandbox.models.bins.XmlBin`, owned by the main account),
so they survive restarts; a reset wipes them with everything else. Names are 1 to 64 letters,
digits, ``.``, ``_`` or ``-``.
"""

from __future__ import annotations

import re
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from plivo_blocks.sandbox.auth import sandbox_state
from plivo_blocks.sandbox.models.base import fetch, insert, load, load_all, save
from plivo_blocks.sandbox.models.bins import BIN, XmlBin
from plivo_blocks.sandbox.responses import (
    PlivoError,
    bad_request,
    created,
    error_response,
    no_content,
    ok,
    xml_response,
)
from plivo_blocks.sandbox.routes.calls import public_base
from plivo_blocks.sandbox.routing import ApiContext, control_route, open_route
from plivo_blocks.sandbox.store import ANY_OWNER, Tx
from plivo_blocks.sandbox.times import format_time
from plivo_blocks.sandbox.voice import xml as px

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
EXAMPLE = '<Response><Speak>Hello from a bin</Speak><Wait length="60"/></Response>'


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise bad_request(
            f"bin name {name[:80]!r} is not valid: use 1 to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


async def list_bins(ctx: ApiContext) -> Response:
    """The bins, with their URLs and XML."""
    bins = await ctx.store.transaction(lambda tx: load_all(tx, XmlBin, ANY_OWNER, newest_first=False))
    base = public_base(ctx)
    return ok({"bins": [xml_bin.render(base) for xml_bin in bins]})


async def put_bin(ctx: ApiContext) -> Response:
    """Store the XML of the body under ``name`` once it validates as Plivo answer XML."""
    name = check_name(ctx.path["name"])
    document = str(ctx.body).strip()
    if not document:
        raise bad_request("the body must be the bin's Plivo XML, e.g. <Response><Speak>Hi</Speak></Response>")
    try:
        px.parse(document)
    except px.InvalidXML as exc:
        raise bad_request(f"the XML is not valid Plivo XML: {exc}") from None
    owner = ctx.state.main_auth_id

    def put(tx: Tx) -> tuple[XmlBin, bool]:
        now = format_time(tx.now())
        existing = load(tx, XmlBin, name, ANY_OWNER)
        if existing is None:
            return insert(tx, XmlBin(id=name, owner=owner, xml=document, created=now, updated=now)), True
        updated = replace(existing, xml=document, updated=now)
        save(tx, updated)
        return updated, False

    xml_bin, is_new = await ctx.store.transaction(put)
    view = xml_bin.render(public_base(ctx))
    return created(view) if is_new else ok(view)


async def delete_bin(ctx: ApiContext) -> Response:
    """Remove the bin."""
    if not await ctx.store.delete(BIN, check_name(ctx.path["name"]), ANY_OWNER):
        raise PlivoError(404, "bin not found")
    return no_content()


async def serve_bin(request: Request) -> Response:
    """The bin's XML as application/xml, to GET or POST (as Plivo fetches an answer_url); no auth."""
    name = str(request.path_params["name"])
    store = sandbox_state(request).store
    xml_bin = await fetch(store, XmlBin, name, ANY_OWNER) if _NAME.match(name) else None
    if xml_bin is None:
        return error_response(404, f"no bin named {name[:80]!r}")
    return xml_response(xml_bin.xml)


routes: list[BaseRoute] = [
    control_route("GET", "bins", list_bins),
    control_route("PUT", "bins/{name}", put_bin, body="xml", example=EXAMPLE),
    control_route("DELETE", "bins/{name}", delete_bin),
    open_route(("GET", "POST"), "bins/{name}", serve_bin),
]
