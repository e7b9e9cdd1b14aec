"""A stand-in for a customer's web app, for voice tests: serves Plivo XML and records every request.

Run it with the ``serve`` fixture (uvicorn on loopback). Configure replies per path with
:meth:`AnswerServer.reply`; every request is kept as a :class:`Received` (method, full URL, headers,
parameters from the query or the form body) and :meth:`AnswerServer.wait_for` blocks until one that
matches arrives. A reply may also hold the request until the test releases it (a slow receiver).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import anyio.to_thread
import pytest
from sandbox_server import Server
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from plivo_blocks.signatures import (
    MA_V2_HEADER,
    MA_V3_HEADER,
    V2_HEADER,
    V2_NONCE_HEADER,
    V3_HEADER,
    V3_NONCE_HEADER,
    validate_v2,
    validate_v3,
)


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    url: str
    headers: dict[str, str]
    params: dict[str, str]

    def signed_by(self, token: str, *, main: bool = False) -> bool:
        """Both schemes' signatures (the ``-Ma-`` ones with ``main``) validate with ``token``."""
        v2 = self.headers.get((MA_V2_HEADER if main else V2_HEADER).lower(), "")
        v3 = self.headers.get((MA_V3_HEADER if main else V3_HEADER).lower(), "")
        v2_nonce = self.headers.get(V2_NONCE_HEADER.lower(), "")
        v3_nonce = self.headers.get(V3_NONCE_HEADER.lower(), "")
        # POST: the URL called plus the form; GET: the full URL, parameters in its query.
        params = self.params if self.method == "POST" else None
        return validate_v2(self.url, v2_nonce, v2, token) and validate_v3(
            self.url, v3_nonce, v3, token, self.method, params
        )


@dataclass
class Reply:
    xml: str = "<Response/>"
    status: int = 200
    hold: threading.Event | None = None  # answer only once this is set
    statuses: list[int] = field(default_factory=list)  # answered first, one per request


class AnswerServer:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.replies: dict[str, Reply] = {}
        self._changed = threading.Condition()
        self.base_url = ""
        self.app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["GET", "POST"])])

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def reply(self, path: str, xml: str = "<Response/>", status: int = 200, **options: object) -> Reply:
        reply = Reply(xml=xml, status=status, **options)  # type: ignore[arg-type]
        self.replies[path] = reply
        return reply

    def requests_to(self, path: str) -> list[Received]:
        with self._changed:
            return [r for r in self.received if r.path == path]

    def wait_for(
        self,
        path: str,
        count: int = 1,
        where: Callable[[Received], bool] = lambda r: True,
        timeout: float = 10,
    ) -> list[Received]:
        """Block until ``count`` requests to ``path`` matching ``where`` arrived; answer them."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [r for r in self.received if r.path == path and where(r)]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [(r.path, r.params.get("Event")) for r in self.received]
                    raise AssertionError(f"no {count} request(s) to {path} within {timeout}s; got {seen}")
                self._changed.wait(remaining)

    async def _handle(self, request: Request) -> Response:
        body = (await request.body()).decode()
        params = dict(parse_qsl(body, keep_blank_values=True)) if request.method == "POST" else {}
        if request.method == "GET":
            params = dict(request.query_params)
        path = "/" + str(request.path_params["path"])
        received = Received(request.method, path, str(request.url), dict(request.headers), params)
        reply = self.replies.get(path, Reply())
        with self._changed:
            self.received.append(received)
            self._changed.notify_all()
            status = reply.statuses.pop(0) if reply.statuses else reply.status
        if reply.hold is not None:
            await anyio.to_thread.run_sync(reply.hold.wait, 30.0)
        return Response(reply.xml, status_code=status, media_type="application/xml")


@pytest.fixture(name="answers")
def answers_fixture(serve: Callable[[Starlette], Server]) -> AnswerServer:
    """An :class:`AnswerServer` running on loopback (import this fixture into a test module)."""
    server = AnswerServer()
    server.base_url = serve(server.app).url
    return server


def settle(sandbox: Server, seconds: float = 0, timeout: float = 10) -> dict[str, object]:
    """Move the sandbox clock ``seconds`` forward and wait until it is idle again: calls wait (on
    time or the outside world) or have ended, and due callbacks are delivered."""
    with sandbox.main_client() as client:
        answer = client.post("/_sandbox/clock/advance", json={"seconds": seconds, "timeout": timeout})
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body
