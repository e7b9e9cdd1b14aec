"""``mock_plivo(apps=...)``: the app under test called in-process (WSGI and ASGI), with Plivo's
parameters and signatures; its failures reach the test; other URLs go over the network."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import plivo
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from flask import Flask
from flask import request as flask_request
from plivo.utils import validate_v3_signature
from rent import rent_number

import plivo_blocks
from plivo_blocks.testing import MockPlivo, PlivoAppError, mock_plivo

ALICE = ("MAALICE0000000000001", "alice-token")
CUSTOMER = "14155550123"
FLASK_BASE = "https://flask.test"
FASTAPI_BASE = "https://fastapi.test"


def _signed_by_alice(url: str, method: str, headers: Any, params: dict[str, str]) -> bool:
    return bool(
        validate_v3_signature(
            method,
            url,
            headers["X-Plivo-Signature-V3-Nonce"],
            ALICE[1],
            headers["X-Plivo-Signature-V3"],
            params,
        )
    )


def flask_app(seen: list[dict[str, Any]]) -> Flask:
    app = Flask("sms")

    @app.post("/sms")
    def sms() -> str:
        params = flask_request.form.to_dict()
        seen.append(
            {
                "url": flask_request.url,
                "params": params,
                "signed": _signed_by_alice(flask_request.url, "POST", flask_request.headers, params),
            }
        )
        if params["Text"] == "boom":
            raise ZeroDivisionError("the view divided by zero")
        # A view that answers through Plivo's API, with the official SDK, while the sandbox waits for it.
        plivo.RestClient(*ALICE).messages.create(
            src=params["To"], dst=params["From"], text=f"you said {params['Text']}"
        )
        return "ok"

    return app


def fastapi_app(seen: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()

    @app.post("/status")
    async def status(request: Request) -> PlainTextResponse:
        params = {k: str(v) for k, v in (await request.form()).items()}
        seen.append(
            {
                "url": str(request.url),
                "params": params,
                "signed": _signed_by_alice(str(request.url), "POST", request.headers, params),
            }
        )
        return PlainTextResponse("ok")

    @app.post("/sms")
    async def sms(request: Request) -> PlainTextResponse:
        params = {k: str(v) for k, v in (await request.form()).items()}
        if params["Text"] == "boom":
            raise KeyError("no such keyword")
        if params["Text"] == "blocking":
            plivo.RestClient(*ALICE).account.get()  # a blocking call on the sandbox's own loop
        async with plivo_blocks.AsyncClient(
            *ALICE
        ) as client:  # an async view calls Plivo from the sandbox's loop
            await client.send_message(
                src=params["To"], destination=params["From"], text="auto-reply", url=f"{FASTAPI_BASE}/status"
            )
        return PlainTextResponse("ok")

    return app


def test_a_wsgi_app_gets_signed_callbacks_and_can_call_plivo_meanwhile() -> None:
    seen: list[dict[str, Any]] = []
    with mock_plivo(apps={FLASK_BASE: flask_app(seen)}) as sandbox:
        number = rent_number(plivo.RestClient(*ALICE), message_url=f"{FLASK_BASE}/sms")
        delivered = sandbox.inbound_sms(CUSTOMER, number, "hello")
        assert delivered["delivered_to"] == f"{FLASK_BASE}/sms"
        [hook] = seen
        assert hook["url"] == f"{FLASK_BASE}/sms" and hook["signed"] is True
        assert hook["params"]["From"] == CUSTOMER and hook["params"]["To"] == number
        assert (
            hook["params"]["Text"] == "hello" and hook["params"]["MessageUUID"] == delivered["message_uuid"]
        )
        reply, received = sandbox.messages()
        assert (reply["from_number"], reply["to_number"], reply["text"]) == (
            number,
            CUSTOMER,
            "you said hello",
        )
        assert received["message_direction"] == "inbound"
        [log] = sandbox.webhooks(kind="message_inbound")
        assert log["status"] == "delivered"


def test_an_asgi_app_gets_signed_status_callbacks_and_calls_plivo_from_an_async_view() -> None:
    seen: list[dict[str, Any]] = []
    with mock_plivo(apps={FASTAPI_BASE: fastapi_app(seen)}) as sandbox:
        number = rent_number(plivo.RestClient(*ALICE), message_url=f"{FASTAPI_BASE}/sms")
        sandbox.inbound_sms(CUSTOMER, number, "hi")
        sandbox.advance(5)
        [reply] = sandbox.messages(direction="outbound")
        assert (reply["text"], reply["to_number"]) == ("auto-reply", CUSTOMER)
        states = [hook["params"]["Status"] for hook in seen]
        assert states == ["queued", "sent", "delivered"]
        assert all(hook["signed"] and hook["url"] == f"{FASTAPI_BASE}/status" for hook in seen)
        assert {hook["params"]["MessageUUID"] for hook in seen} == {reply["message_uuid"]}


def test_a_plain_asgi_callable_is_called_too() -> None:
    paths: list[str] = []

    async def app(
        scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]
    ) -> None:
        paths.append(scope["path"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with mock_plivo(apps={"https://raw.test/hooks": app}) as sandbox:
        number = rent_number(plivo.RestClient(*ALICE), message_url="https://raw.test/hooks/in")
        sandbox.inbound_sms(CUSTOMER, number, "x")
    assert paths == ["/hooks/in"]


def test_an_exception_in_a_wsgi_view_is_raised_in_the_test() -> None:
    seen: list[dict[str, Any]] = []
    with mock_plivo(apps={FLASK_BASE: flask_app(seen)}) as sandbox:
        number = rent_number(plivo.RestClient(*ALICE), message_url=f"{FLASK_BASE}/sms")
        with pytest.raises(PlivoAppError, match=re.escape("the app at https://flask.test failed")) as failed:
            sandbox.inbound_sms(CUSTOMER, number, "boom")
        assert isinstance(failed.value.__cause__, ZeroDivisionError)
        assert "POST https://flask.test/sms -> ZeroDivisionError: the view divided by zero" in str(
            failed.value
        )
        # Plivo saw what a server would answer: a 500.
        [log] = sandbox.webhooks(kind="message_inbound")
        assert log["status"] == "failed" and log["last_status"] == 500


def test_an_exception_in_an_asgi_view_is_raised_at_the_next_advance() -> None:
    with mock_plivo(apps={FASTAPI_BASE: fastapi_app([])}) as sandbox:
        number = rent_number(plivo.RestClient(*ALICE), message_url=f"{FASTAPI_BASE}/sms")
        sandbox.state  # noqa: B018  (the sandbox is running)
        # Delivered without the controls' settle: raw control API, then the failure waits for advance().
        httpx.post(
            "https://api.plivo.com/_sandbox/messages/inbound",
            json={"from": CUSTOMER, "to": number, "text": "boom"},
            auth=(sandbox.auth_id, sandbox.auth_token),
        )
        httpx.post(
            "https://api.plivo.com/_sandbox/calls/settle", json={}, auth=(sandbox.auth_id, sandbox.auth_token)
        )
        with pytest.raises(PlivoAppError) as failed:
            sandbox.advance(1)
        assert isinstance(failed.value.__cause__, KeyError)


def test_a_failure_nobody_reported_is_raised_on_leaving() -> None:
    mock = mock_plivo(apps={FASTAPI_BASE: fastapi_app([])})
    with pytest.raises(PlivoAppError, match="KeyError"), mock as sandbox:
        number = rent_number(plivo.RestClient(*ALICE), message_url=f"{FASTAPI_BASE}/sms")
        httpx.post(
            "https://api.plivo.com/_sandbox/messages/inbound",
            json={"from": CUSTOMER, "to": number, "text": "boom"},
            auth=(sandbox.auth_id, sandbox.auth_token),
        )
        httpx.post(
            "https://api.plivo.com/_sandbox/calls/settle", json={}, auth=(sandbox.auth_id, sandbox.auth_token)
        )
    assert not mock.active


def test_when_the_test_fails_already_the_apps_failure_is_added_to_it() -> None:
    with pytest.raises(AssertionError) as failed, mock_plivo(apps={FASTAPI_BASE: fastapi_app([])}) as sandbox:
        number = rent_number(plivo.RestClient(*ALICE), message_url=f"{FASTAPI_BASE}/sms")
        httpx.post(
            "https://api.plivo.com/_sandbox/messages/inbound",
            json={"from": CUSTOMER, "to": number, "text": "boom"},
            auth=(sandbox.auth_id, sandbox.auth_token),
        )
        httpx.post(
            "https://api.plivo.com/_sandbox/calls/settle", json={}, auth=(sandbox.auth_id, sandbox.auth_token)
        )
        raise AssertionError("the test's own failure")
    assert str(failed.value) == "the test's own failure"
    assert failed.value.__notes__ == [
        "mock_plivo: the app under test also failed: POST https://fastapi.test/sms -> KeyError: 'no such keyword'"
    ]


def test_a_blocking_plivo_call_inside_an_async_view_fails_loudly() -> None:
    with mock_plivo(apps={FASTAPI_BASE: fastapi_app([])}) as sandbox:
        number = rent_number(plivo.RestClient(*ALICE), message_url=f"{FASTAPI_BASE}/sms")
        with pytest.raises(
            PlivoAppError, match="blocking Plivo request was made on the sandbox's own event loop"
        ):
            sandbox.inbound_sms(CUSTOMER, number, "blocking")


def test_urls_outside_the_apps_go_to_the_network_and_an_unreachable_one_is_a_failed_delivery(
    plivo_sandbox: MockPlivo,
) -> None:
    alice = plivo.RestClient(*ALICE)
    number = rent_number(alice)
    alice.messages.create(
        src=number, dst=CUSTOMER, text="hi", url="http://127.0.0.1:9/status"
    )  # nothing listens there
    plivo_sandbox.advance(5)  # Plivo retries a refused connection once
    failed = plivo_sandbox.webhooks(status="failed")
    assert failed and all(w["url"].startswith("http://127.0.0.1:9/status") for w in failed)
    assert "ConnectError" in failed[-1]["last_error"] and failed[-1]["attempts"] == 2
