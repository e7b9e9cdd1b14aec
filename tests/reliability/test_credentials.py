"""Credentials never leak: every block through the gateway with every logger at DEBUG, and the
auth token (raw, or inside the Basic header) appears in no log record, no answer, no metadata,
no OpenAPI document, no docs page. Against the recording upstream (success, Plivo errors, an
HTML error page, a broken connection) and against the sandbox (``serve --sandbox``'s
composition). And the sandbox never hands a subaccount's token to anyone but its parent.

The servers run with ``plivo_blocks.serving``'s uvicorn configuration at ``debug``, as
``plivo-blocks serve --log-level debug`` would.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from reliability_support import (
    AUTH_ID,
    AUTH_TOKEN,
    PATIENCE,
    CapturedLogs,
    all_logs_at_debug,
    gateway_body,
    loopback_args,
    preserved_logging,
)
from starlette.types import ASGIApp

from plivo_blocks.catalog import BLOCKS, Block
from plivo_blocks.catalog.examples import example_args
from plivo_blocks.gateway import GatewaySettings, create_app
from plivo_blocks.logformat import JsonFormatter
from plivo_blocks.serving import ServerSettings, bind_socket, build_sandbox_stack, uvicorn_config
from support.upstream import RecordingUpstream, Reply


def secret_forms(token: str, auth_id: str = AUTH_ID) -> list[str]:
    """The forms a token could leak in: as is, and inside a Basic ``Authorization`` header."""
    return [token, base64.b64encode(f"{auth_id}:{token}".encode()).decode()]


@contextmanager
def served_at_debug(build: Callable[[str], ASGIApp]) -> Iterator[str]:
    """``build(url)`` served by uvicorn as ``plivo_blocks.serving`` configures it, log level debug."""
    with preserved_logging():
        sock = bind_socket("127.0.0.1", 0)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn_config(build(url), settings=ServerSettings(), log_level="debug")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + PATIENCE
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.01)
        try:
            yield url
        finally:
            server.should_exit = True
            thread.join(PATIENCE)
            sock.close()


def _assert_nowhere(secrets: list[str], logs: CapturedLogs, answers: list[str]) -> None:
    for secret in secrets:
        leaked_logs = [line for line in logs.lines if secret in line]
        assert not leaked_logs, (
            f"a credential is in {len(leaked_logs)} log records, e.g. {leaked_logs[0][:300]!r}"
        )
        leaked_answers = [answer for answer in answers if secret in answer]
        assert not leaked_answers, f"a credential is in an answer: {leaked_answers[0][:300]!r}"


def _replies_for(block: Block) -> list[Reply]:
    """What Plivo may answer, good and bad: each block is called once per reply."""
    ok = (
        Reply(status=204, body=b"")
        if block.status == 204
        else Reply(status=block.status, json={"api_id": "a"})
    )
    return [
        ok,
        Reply(status=401, json={"api_id": "b", "error": "Authentication credentials invalid"}),
        Reply(
            status=502,
            body="<html><head><title>502 Bad Gateway</title></head></html>",
            content_type="text/html",
        ),
        Reply(fault="reset"),
    ]


def _documents(client: httpx.Client) -> list[str]:
    """Every page that is not a block call, and the error pages around them."""
    answers = []
    for path in (
        "/api/Plivo",
        "/openapi.json",
        "/docs",
        "/healthz",
        "/metrics",
        "/api/Plivo/noSuchBlock",
        "/nowhere",
    ):
        answers.append(client.get(path).text)
    answers.append(client.get("/api/Plivo/sendMessage").text)  # 405
    return answers


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_no_credential_in_logs_answers_or_documents_against_a_plivo_stand_in(log_format: str) -> None:
    """Both log formats; ``/metrics`` among the documents (after every block ran, so it has a
    series for each), and keyed requests among the calls (their replays too)."""
    formatter = JsonFormatter() if log_format == "json" else None
    with RecordingUpstream() as upstream:

        def build(url: str) -> ASGIApp:
            return create_app(GatewaySettings(api_url=upstream.url, max_retries=0, timeout=PATIENCE))

        with (
            served_at_debug(build) as url,
            all_logs_at_debug(formatter) as logs,
            httpx.Client(base_url=url, timeout=PATIENCE) as client,
        ):
            answers: list[str] = []
            calls = 0
            for block in BLOCKS:
                replies = _replies_for(block)
                upstream.enqueue(*replies)
                for n, _ in enumerate(replies):
                    keyed = {"Idempotency-Key": f"{block.name}-{n}"}
                    response = client.post(
                        f"/api/Plivo/{block.name}", json=gateway_body(**example_args(block)), headers=keyed
                    )
                    assert response.status_code == 200
                    answers.append(response.text)
                    calls += 1
                    if n == 0:  # the first (successful) call's replay, from the key store
                        replay = client.post(
                            f"/api/Plivo/{block.name}",
                            json=gateway_body(**example_args(block)),
                            headers=keyed,
                        )
                        assert replay.headers["Idempotent-Replayed"] == "true"
                        answers.append(replay.text)
                # Refused locally: invalid arguments, and a malformed token (its message must not echo it).
                answers.append(
                    client.post(f"/api/Plivo/{block.name}", json=gateway_body(noSuchArgument="x")).text
                )
                bad = {"args": {**example_args(block), "authId": AUTH_ID, "authToken": AUTH_TOKEN + "\n\x00"}}
                answers.append(client.post(f"/api/Plivo/{block.name}", json=bad).text)
            answers += _documents(client)
            assert len(upstream.requests) == calls  # every call reached the stand-in, refused ones did not
            assert all(r.basic_auth == (AUTH_ID, AUTH_TOKEN) for r in upstream.requests)

    # The capture really saw everything: the access log, the client's per-attempt log, httpx, uvicorn.
    names = {line.split(" ", 1)[0] for line in logs.lines}
    assert {"plivo_blocks.gateway.access", "plivo_blocks.client", "httpx", "httpcore.http11"} <= names
    assert len(logs.lines) > 5 * calls
    if formatter is not None:
        assert all(json.loads(line.split(" ", 1)[1])["logger"] for line in logs.lines)
    assert any("plivo_blocks_requests_total{" in a for a in answers)  # the /metrics page was read
    _assert_nowhere(secret_forms(AUTH_TOKEN), logs, answers)


@pytest.fixture
def sandbox_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLIVO_SANDBOX_AUTH_ID", AUTH_ID)
    monkeypatch.setenv("PLIVO_SANDBOX_AUTH_TOKEN", AUTH_TOKEN)


@pytest.mark.usefixtures("sandbox_credentials")
def test_no_credential_in_logs_or_answers_in_sandbox_mode() -> None:
    """``serve --sandbox``: the gateway and the sandbox in one process, every block run through both."""
    with (
        served_at_debug(lambda url: build_sandbox_stack(url, ":memory:").app) as url,
        all_logs_at_debug() as logs,
        httpx.Client(base_url=url, timeout=PATIENCE) as client,
    ):
        answers: list[str] = []
        created = client.post(
            "/api/Plivo/createSubaccount", json=gateway_body(name="leak-check", enabled="true")
        )
        subaccount = created.json()["contextWrites"]["to"]
        sub_token = subaccount["auth_token"]  # the parent may see it: that is what creating one answers
        for block in BLOCKS:
            response = client.post(f"/api/Plivo/{block.name}", json=gateway_body(**loopback_args(block)))
            assert response.status_code == 200
            answers.append(response.text)
        answers += _documents(client)
        control = client.get("/_sandbox/messages", auth=(AUTH_ID, AUTH_TOKEN))
        assert control.status_code == 200
        answers.append(control.text)
        answers.append(client.get(f"/v1/Account/{AUTH_ID}/", auth=(AUTH_ID, "wrong-token")).text)
    assert sum('"callback":"success"' in a for a in answers) >= 10  # not only errors were exercised
    _assert_nowhere(secret_forms(AUTH_TOKEN), logs, answers)
    _assert_nowhere(secret_forms(sub_token, subaccount["auth_id"]), logs, [])


# -- subaccount tokens ---------------------------------------------------------------------------


@pytest.mark.usefixtures("sandbox_credentials")
def test_the_sandbox_shows_a_subaccount_token_to_its_parent_only() -> None:
    with served_at_debug(lambda url: build_sandbox_stack(url, ":memory:").app) as url:
        main = httpx.Client(base_url=url, auth=(AUTH_ID, AUTH_TOKEN), timeout=PATIENCE)
        subs: dict[str, str] = {}
        for name in ("alpha", "beta"):
            answer = main.post(
                f"/v1/Account/{AUTH_ID}/Subaccount/", json={"name": name, "enabled": True}
            ).json()
            subs[answer["auth_id"]] = answer["auth_token"]
        (alpha, alpha_token), (beta, beta_token) = subs.items()

        # The parent sees it, one by one and in the list.
        assert main.get(f"/v1/Account/{AUTH_ID}/Subaccount/{alpha}/").json()["auth_token"] == alpha_token
        listed = main.get(f"/v1/Account/{AUTH_ID}/Subaccount/").json()["objects"]
        assert {s["auth_id"]: s["auth_token"] for s in listed} == subs

        # Nobody else does: not the sibling, not the subaccount itself, not a wrong password.
        attempts: list[tuple[tuple[str, str], str, str]] = []
        for who, token in ((beta, beta_token), (alpha, alpha_token), (alpha, "not-the-token")):
            for path in (
                f"/v1/Account/{who}/",
                f"/v1/Account/{who}/Subaccount/",
                f"/v1/Account/{who}/Subaccount/{alpha}/",
                f"/v1/Account/{AUTH_ID}/Subaccount/{alpha}/",
                f"/v1/Account/{AUTH_ID}/Subaccount/",
                f"/v1/Account/{alpha}/",
            ):
                for method in ("GET", "POST", "DELETE"):
                    body = {"name": "renamed"} if method == "POST" else None
                    response = httpx.request(
                        method, url + path, auth=(who, token), json=body, timeout=PATIENCE
                    )
                    attempts.append(
                        ((who, token), f"{method} {path} -> {response.status_code}", response.text)
                    )
        seen_by_others = [what for _, what, text in attempts if alpha_token in text]
        assert seen_by_others == [], seen_by_others
        # The refused attempts really were refused, and alpha still exists (no DELETE got through).
        assert main.get(f"/v1/Account/{AUTH_ID}/Subaccount/{alpha}/").status_code == 200

        # Every block, run by the sibling through the gateway, never shows alpha's token either.
        gateway_answers = []
        for block in BLOCKS:
            args: dict[str, Any] = {**loopback_args(block), "authId": beta, "authToken": beta_token}
            if "subauthId" in args:
                args["subauthId"] = alpha
            gateway_answers.append(
                httpx.post(f"{url}/api/Plivo/{block.name}", json={"args": args}, timeout=PATIENCE).text
            )
        assert not [a for a in gateway_answers if alpha_token in a]
        main.close()
