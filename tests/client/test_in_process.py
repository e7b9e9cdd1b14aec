"""The in-process transport (``serve --sandbox``'s gateway to its sandbox) answers as the network
would: a read timeout ends the client's wait while the app finishes the request, an answer the
app never finished is a protocol error, an exception in the app is a 500."""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from plivo_blocks.client._core import WireRequest
from plivo_blocks.client.in_process import InProcessSender, InProcessTransport
from plivo_blocks.client.transport import LateForTurn
from plivo_blocks.sandbox import create_app as create_sandbox

AUTH_ID, AUTH_TOKEN = "MAIXXXXXXXXXXXXXXXXX", "in-process-token"


def _app(done: list[str]) -> Starlette:
    async def slow(request: Request) -> Response:
        await asyncio.sleep(0.2)
        done.append("slow")
        return JSONResponse({"slow": True})

    async def broken(request: Request) -> Response:
        raise RuntimeError("boom")

    async def echo(request: Request) -> Response:
        return JSONResponse({"body": (await request.body()).decode(), "client": request.client.host})

    return Starlette(
        routes=[
            Route("/slow", slow),
            Route("/broken", broken),
            Route("/echo", echo, methods=["POST"]),
        ]
    )


async def _unfinished(scope: Scope, receive: Receive, send: Send) -> None:
    """What the sandbox's ``drop`` fault does: a head promising a body that never comes."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]})
    await send({"type": "http.response.body", "body": b"", "more_body": True})


@pytest.mark.anyio
async def test_a_request_reaches_the_app_with_its_body() -> None:
    async with httpx.AsyncClient(transport=InProcessTransport(_app([])), base_url="http://sandbox") as client:
        answer = await client.post("/echo", content=b"hello")
    assert answer.status_code == 200 and answer.json() == {"body": "hello", "client": "127.0.0.1"}


@pytest.mark.anyio
async def test_a_read_timeout_ends_the_wait_and_the_app_finishes_the_request() -> None:
    done: list[str] = []
    transport = InProcessTransport(_app(done))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", timeout=0.05) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get("/slow")
        assert done == []
    # Closing the client waits for the request it gave up on, as a server finishes it.
    assert done == ["slow"]


@pytest.mark.anyio
async def test_an_unfinished_answer_is_a_protocol_error() -> None:
    async with httpx.AsyncClient(
        transport=InProcessTransport(_unfinished), base_url="http://sandbox"
    ) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/anything")


@pytest.mark.anyio
async def test_an_exception_in_the_app_is_a_500_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="plivo_blocks.client.in_process"):
        async with httpx.AsyncClient(
            transport=InProcessTransport(_app([])), base_url="http://sandbox"
        ) as client:
            answer = await client.get("/broken")
    assert answer.status_code == 500
    assert any("Exception in ASGI application" in r.getMessage() for r in caplog.records)


@pytest.mark.anyio
async def test_the_sandbox_drop_fault_is_a_protocol_error_in_process() -> None:
    sandbox = create_sandbox(":memory:", auth_id=AUTH_ID, auth_token=AUTH_TOKEN)
    async with sandbox.router.lifespan_context(sandbox):
        transport = InProcessTransport(sandbox)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://sandbox", auth=(AUTH_ID, AUTH_TOKEN)
        ) as client:
            (
                await client.post("/_sandbox/faults", json={"kind": "drop", "methods": ["GET"]})
            ).raise_for_status()
            with pytest.raises(httpx.RemoteProtocolError):
                await client.get(f"/v1/Account/{AUTH_ID}/")
            answer = await client.get(f"/v1/Account/{AUTH_ID}/")
    assert answer.status_code == 200 and answer.json()["auth_id"] == AUTH_ID


# -- the sender the gateway uses (WireRequest in, a plain answer out) --------------------------


def _wire(path: str, method: str = "GET", body: bytes | None = None) -> WireRequest:
    return WireRequest(method, f"http://sandbox{path}", {"Authorization": "Basic eA==", "X-Trace": "1"}, body)


@pytest.mark.anyio
async def test_the_sender_delivers_method_path_query_headers_and_body_as_a_server_would() -> None:
    seen: list[dict[str, object]] = []

    async def record(request: Request) -> Response:
        seen.append(
            {
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query,
                "headers": dict(request.headers),
                "body": await request.body(),
            }
        )
        return JSONResponse({"ok": True}, status_code=202, headers={"X-Answer": "yes"})

    app = Starlette(routes=[Route("/v1/Account/MA1/Message/", record, methods=["POST"])])
    sender = InProcessSender(app, httpx.Timeout(5))
    answer = await sender.send(_wire("/v1/Account/MA1/Message/?limit=2", "POST", b'{"a": 1}'))
    await sender.aclose()
    assert answer.status_code == 202 and answer.reason_phrase == "Accepted"
    assert answer.headers["x-answer"] == answer.headers["X-Answer"] == "yes"  # case-insensitive
    assert answer.content == b'{"ok":true}'
    (request,) = seen
    headers = request["headers"]
    assert isinstance(headers, dict)
    assert request["method"] == "POST" and request["path"] == "/v1/Account/MA1/Message/"
    assert request["query"] == "limit=2" and request["body"] == b'{"a": 1}'
    assert headers["host"] == "sandbox" and headers["content-length"] == "8"
    assert headers["authorization"] == "Basic eA==" and headers["x-trace"] == "1"


@pytest.mark.anyio
async def test_the_sender_times_out_as_httpx_would_and_the_app_finishes() -> None:
    done: list[str] = []
    sender = InProcessSender(_app(done), httpx.Timeout(0.05))
    with pytest.raises(httpx.ReadTimeout):
        await sender.send(_wire("/slow"))
    assert done == []
    await sender.aclose()  # waits for the request it gave up on
    assert done == ["slow"] and sender.is_closed


@pytest.mark.anyio
async def test_the_sender_reports_an_unfinished_answer_and_an_app_error_as_the_network_would() -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        await InProcessSender(_unfinished, httpx.Timeout(5)).send(_wire("/anything"))
    answer = await InProcessSender(_app([]), httpx.Timeout(5)).send(_wire("/broken"))
    assert answer.status_code == 500 and answer.content == b"Internal Server Error"


@pytest.mark.anyio
async def test_the_sender_refuses_a_request_late_for_its_turn_before_the_app_sees_it() -> None:
    done: list[str] = []
    sender = InProcessSender(_app(done), httpx.Timeout(5))
    with pytest.raises(LateForTurn):
        await sender.send(_wire("/slow"), not_after=time.monotonic() - 1)
    await sender.aclose()
    assert done == []
