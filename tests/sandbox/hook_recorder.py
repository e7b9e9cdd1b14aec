"""Catching the sandbox's callbacks in-process: an app that answers 200 to everything under
``https://hooks.test`` and keeps each request, mounted on the sandbox's webhook transport (the
mechanism ``mock_plivo(apps=...)`` uses), so message and callback tests need no port of their own."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from plivo_blocks.sandbox.webhooks.routing import RoutingTransport

HOOKS = "https://hooks.test"


@dataclass(frozen=True)
class Hook:
    url: str
    method: str
    params: dict[str, str]
    headers: dict[str, str]


class HookRecorder:
    def __init__(self) -> None:
        self.sent: list[Hook] = []
        self.status = 200
        self.app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["GET", "POST"])])

    def transport(self) -> RoutingTransport:
        return RoutingTransport({HOOKS: httpx.ASGITransport(app=self.app)})

    async def _handle(self, request: Request) -> Response:
        if request.method == "GET":
            params = dict(request.query_params)
            url = str(request.url).split("?")[0]
        else:
            params = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            url = str(request.url)
        self.sent.append(Hook(url, request.method, params, dict(request.headers)))
        return Response("ok", status_code=self.status)
