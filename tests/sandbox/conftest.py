"""Fixtures for sandbox tests: a real server on loopback and the official SDK pointed at it.

- ``serve(app) -> Server`` (:mod:`sandbox_server`): runs ``app`` with uvicorn on ``127.0.0.1`` (free port) in a thread,
  with its lifespan; stopped at teardown. ``server.url`` is ``http://127.0.0.1:PORT``.
- ``sandbox``: a fresh ``:memory:`` sandbox on the ``manual`` clock, served; ``sandbox.state`` is its
  ``SandboxState``. Callbacks to ``https://hooks.test`` reach ``recorder`` in-process.
- ``sdk(auth_id, auth_token) -> plivo.RestClient`` aimed at the ``sandbox`` fixture's server
  (``PLIVO_API_BASE_URI`` and the voice URIs patched for the test).
- ``main_sdk``: ``sdk`` with the main account's credentials.
- ``unpaced_calls``: lifts Plivo's 2 calls per second (``calls_per_second`` 0), for tests that start
  more calls at once and are not about that limit.
- ``sms_src``: a US long code the main account rents (as on Plivo, messages to the US and Canada
  need one of the account's numbers as ``src``).
- ``recorder``: a :class:`HookRecorder`: a small app that answers 200 to every callback sent to
  ``https://hooks.test/...`` and keeps them (url, method, params, headers) in ``recorder.sent``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import plivo
import plivo.rest.client
import pytest
from hook_recorder import HookRecorder
from sandbox_server import MANUAL, Server, no_ring, start_server
from starlette.applications import Starlette

from plivo_blocks.sandbox import create_app

SDK_BASE_URIS = (
    "PLIVO_API_BASE_URI",
    "API_VOICE_BASE_URI",
    "API_VOICE_BASE_URI_FALLBACK_1",
    "API_VOICE_BASE_URI_FALLBACK_2",
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def serve() -> Iterator[Callable[[Starlette], Server]]:
    started: list[Server] = []

    def run(app: Starlette) -> Server:
        server = start_server(app)
        started.append(server)
        return server

    yield run
    for server in reversed(started):
        server.stop()


@pytest.fixture
def recorder() -> HookRecorder:
    return HookRecorder()


@pytest.fixture
def sandbox(serve: Callable[[Starlette], Server], recorder: HookRecorder) -> Server:
    app = create_app(":memory:", clock=MANUAL, settings=no_ring(), webhook_transport=recorder.transport())
    return serve(app)


@pytest.fixture
def sdk(sandbox: Server, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], plivo.RestClient]:
    for name in SDK_BASE_URIS:
        monkeypatch.setattr(plivo.rest.client, name, f"{sandbox.url}/v1/Account")

    def make(auth_id: str, auth_token: str) -> plivo.RestClient:
        return plivo.RestClient(auth_id, auth_token)

    return make


@pytest.fixture
def main_sdk(sandbox: Server, sdk: Callable[[str, str], plivo.RestClient]) -> plivo.RestClient:
    return sdk(sandbox.state.main_auth_id, sandbox.state.main_auth_token)


@pytest.fixture
def sms_src(main_sdk: plivo.RestClient) -> str:
    number: str = main_sdk.numbers.search(country_iso="US", type="local", services="sms").objects[0]["number"]
    main_sdk.numbers.buy(number)
    return number


@pytest.fixture
def unpaced_calls(sandbox: Server) -> None:
    with sandbox.main_client() as control:
        control.patch("/_sandbox/settings", json={"calls_per_second": 0}).raise_for_status()
