"""``GET /_sandbox/openapi.json``: the control API's OpenAPI document, made from its routes
(:mod:`plivo_blocks.sandbox.reference`). No auth: it describes the API, it holds no data."""

from __future__ import annotations

from importlib import metadata

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from plivo_blocks.sandbox.reference import openapi_document
from plivo_blocks.sandbox.routing import open_route


def _version() -> str:
    try:
        return metadata.version("plivo-blocks")
    except metadata.PackageNotFoundError:
        return "0.0.0"


async def control_openapi(request: Request) -> Response:
    """The control API's OpenAPI 3.1 document (no auth)."""
    return JSONResponse(openapi_document(request.app.routes, _version()))


routes: list[BaseRoute] = [open_route(("GET",), "openapi.json", control_openapi)]
