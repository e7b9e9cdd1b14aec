"""The plugin's fixtures as a project's tests use them: sync, anyio and pytest-asyncio tests, the
``plivo_sandbox`` marker, and the sandbox server for other processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import plivo
import plivo.rest.client
import pytest
from flask import Flask
from flask import request as flask_request
from rent import rent_number

import plivo_blocks
from compat.compat_support import NODE_DIR, node_executable
from plivo_blocks.testing import MockPlivo, SandboxServer

ALICE = ("MAALICE0000000000001", "alice-token")
CUSTOMER = "14155550123"
SDK_BASE_URIS = (
    "PLIVO_API_BASE_URI",
    "API_VOICE_BASE_URI",
    "API_VOICE_BASE_URI_FALLBACK_1",
    "API_VOICE_BASE_URI_FALLBACK_2",
)

received: list[dict[str, str]] = []
echo = Flask("echo")


@echo.post("/sms")
def sms() -> str:
    received.append(flask_request.form.to_dict())
    return "ok"


def test_plivo_sandbox_in_a_sync_test(plivo_sandbox: MockPlivo) -> None:
    assert plivo_sandbox.active and plivo_sandbox.state.clock.spec.label == "manual"
    number = rent_number(plivo.RestClient(*ALICE))
    plivo.RestClient(*ALICE).messages.create(src=number, dst=CUSTOMER, text="sync")
    assert [m["text"] for m in plivo_sandbox.messages()] == ["sync"]


@pytest.mark.anyio
async def test_plivo_sandbox_in_an_anyio_test(plivo_sandbox: MockPlivo) -> None:
    async with plivo_blocks.AsyncClient(*ALICE) as client:
        number = (await client.search_new_numbers(country_iso="US", type="local"))["objects"][0]["number"]
        await client.buy_number(number=number)
        await client.send_message(src=number, destination=CUSTOMER, text="anyio")
    plivo_sandbox.advance(5)  # the controls are plain calls: the sandbox runs on its own loop
    assert [(m["text"], m["message_state"]) for m in plivo_sandbox.messages()] == [("anyio", "delivered")]


@pytest.mark.asyncio
async def test_plivo_sandbox_in_a_pytest_asyncio_test(plivo_sandbox: MockPlivo) -> None:
    async with plivo_blocks.AsyncClient(*ALICE) as client:
        account = await client.get_account_details()
    assert account["auth_id"] == ALICE[0]
    assert plivo_sandbox.messages() == []


@pytest.mark.plivo_sandbox(apps={"https://echo.test": echo}, clock="scaled:10")
def test_the_marker_gives_apps_and_a_clock(plivo_sandbox: MockPlivo) -> None:
    received.clear()
    assert plivo_sandbox.state.clock.spec.label == "scaled:10"
    number = rent_number(plivo.RestClient(*ALICE), message_url="https://echo.test/sms")
    plivo_sandbox.inbound_sms(CUSTOMER, number, "marked")
    assert [(r["From"], r["Text"]) for r in received] == [(CUSTOMER, "marked")]


@pytest.fixture
def server_sdk(plivo_sandbox_server: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> plivo.RestClient:
    """The official SDK aimed at the server (nothing is intercepted for it)."""
    for name in SDK_BASE_URIS:
        monkeypatch.setattr(plivo.rest.client, name, f"{plivo_sandbox_server.url}/v1/Account")
    return plivo.RestClient(*ALICE)


@pytest.mark.plivo_sandbox(apps={"https://echo.test": echo})
def test_the_server_serves_other_processes_with_the_same_controls(
    plivo_sandbox_server: SandboxServer, server_sdk: plivo.RestClient
) -> None:
    received.clear()
    server = plivo_sandbox_server
    assert server.url.startswith("http://127.0.0.1:") and server.auth_id.startswith("MA")
    number = rent_number(server_sdk, message_url="https://echo.test/sms")
    # Another process, with nothing but the URL and credentials.
    script = (
        "import json, sys, httpx\n"
        "url, auth_id, token, src = sys.argv[1:]\n"
        "answer = httpx.post(f'{url}/v1/Account/{auth_id}/Message/', auth=(auth_id, token),\n"
        "                    json={'src': src, 'dst': '14155550123', 'text': 'from a subprocess'})\n"
        "print(json.dumps(answer.json()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, server.url, *ALICE, number],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    sent: dict[str, Any] = json.loads(out.stdout)
    [message] = server.messages()
    assert message["message_uuid"] == sent["message_uuid"][0] and message["text"] == "from a subprocess"
    # Its apps are still called in this process; its clock is the manual one.
    server.inbound_sms(CUSTOMER, number, "to the app")
    assert [r["Text"] for r in received] == ["to the app"]
    assert server.advance(3)["mode"] == "manual"


def test_node_code_uses_the_server(plivo_sandbox_server: SandboxServer, server_sdk: plivo.RestClient) -> None:
    number = rent_number(server_sdk)
    env = {
        **os.environ,
        "NODE_PATH": str(NODE_DIR / "node_modules"),
        "SANDBOX_URL": plivo_sandbox_server.url,
        "PLIVO_AUTH_ID": ALICE[0],
        "PLIVO_AUTH_TOKEN": ALICE[1],
    }
    script = Path(__file__).parent / "node_sends_sms.js"
    done = subprocess.run(
        [node_executable(), str(script), number, CUSTOMER, "from Node"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    sent = json.loads(done.stderr.strip().splitlines()[-1])
    [message] = plivo_sandbox_server.messages()
    assert (message["message_uuid"], message["text"], message["auth_id"]) == (
        sent["messageUuid"][0],
        "from Node",
        ALICE[0],
    )
