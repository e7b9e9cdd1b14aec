"""Serving: the composed gateway + sandbox app (both lifespans, path dispatch), and
``plivo-blocks serve --sandbox`` end to end in a subprocess."""

from __future__ import annotations

import json
import os
import queue
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from plivo_blocks.sandbox.accounts import MainCredentials
from plivo_blocks.serving import (
    ComposedApp,
    bind_socket,
    build_sandbox_stack,
    client_env,
    curl_example,
    local_url,
    uvicorn_config,
)

PATIENCE = 20.0


def _recording_app(name: str, events: list[str], *, fail: bool = False) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        if fail:
            raise RuntimeError(f"{name} cannot start")
        events.append(f"{name} up")
        yield {f"{name}_ready": True}
        events.append(f"{name} down")

    async def where(request: Request) -> JSONResponse:
        return JSONResponse({"app": name, "path": request.url.path, "ready": request.state._state})

    return Starlette(routes=[Route("/{rest:path}", where)], lifespan=lifespan)


@contextmanager
def serve_in_thread(app: Any, sock: socket.socket) -> Iterator[str]:
    server = uvicorn.Server(uvicorn_config(app, log_level="critical", configure_logging=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + PATIENCE
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.005)
    try:
        yield local_url(*sock.getsockname())
    finally:
        server.should_exit = True
        thread.join(PATIENCE)
        sock.close()


def _loopback_socket() -> socket.socket:
    return bind_socket("127.0.0.1", 0)


def test_composed_app_runs_both_lifespans_and_dispatches_by_path() -> None:
    events: list[str] = []
    composed = ComposedApp(_recording_app("gateway", events), _recording_app("sandbox", events))
    with serve_in_thread(composed, _loopback_socket()) as url:
        assert events == ["sandbox up", "gateway up"]  # the gateway depends on the sandbox
        seen = {
            path: httpx.get(url + path, timeout=PATIENCE).json()["app"]
            for path in (
                "/v1/Account/MA1/",
                "/v1",
                "/_sandbox/health",
                "/api/Plivo",
                "/healthz",
                "/v10",
                "/docs",
            )
        }
        state = httpx.get(url + "/api/Plivo", timeout=PATIENCE).json()["ready"]
    assert seen == {
        "/v1/Account/MA1/": "sandbox",
        "/v1": "sandbox",
        "/_sandbox/health": "sandbox",
        "/api/Plivo": "gateway",
        "/healthz": "gateway",
        "/v10": "gateway",
        "/docs": "gateway",
    }
    assert state == {"sandbox_ready": True, "gateway_ready": True}  # lifespan state reaches requests
    assert events == ["sandbox up", "gateway up", "gateway down", "sandbox down"]


@pytest.mark.anyio
async def test_composed_app_reports_a_failed_startup_and_unwinds() -> None:
    events: list[str] = []
    composed = ComposedApp(_recording_app("gateway", events, fail=True), _recording_app("sandbox", events))
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: Any) -> None:
        sent.append(message)

    await composed({"type": "lifespan", "state": {}}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.failed"]
    assert "gateway cannot start" in sent[0]["message"]
    assert events == ["sandbox up", "sandbox down"]


def test_sandbox_stack_serves_gateway_and_sandbox_on_one_port(tmp_path: Path) -> None:
    sock = _loopback_socket()
    stack = build_sandbox_stack(local_url(*sock.getsockname()), str(tmp_path / "sandbox.db"))
    assert re.fullmatch(r"MA[A-Z0-9]{18}", stack.auth_id)
    with serve_in_thread(stack.app, sock) as url:
        assert url == stack.url
        credentials = {"authId": stack.auth_id, "authToken": stack.auth_token}
        answer = httpx.post(
            f"{url}/api/Plivo/getAccountDetails", json={"args": credentials}, timeout=PATIENCE
        ).json()
        direct = httpx.get(
            f"{url}/v1/Account/{stack.auth_id}/", auth=(stack.auth_id, stack.auth_token), timeout=PATIENCE
        )
        health = httpx.get(f"{url}/_sandbox/health", timeout=PATIENCE)
    assert answer["callback"] == "success", answer
    assert answer["contextWrites"]["to"]["auth_id"] == stack.auth_id
    assert direct.status_code == 200
    assert health.json() == {"status": "ok"}


README = Path(__file__).resolve().parents[2] / "README.md"
SAMPLE_ID, SAMPLE_TOKEN = "MAABCDEFGHIJKLMNOPQR", "tok123"
SAMPLE = MainCredentials(SAMPLE_ID, SAMPLE_TOKEN, "generated")


def _readme_with_sample_credentials() -> str:
    """The README with its placeholders (``MA…``, ``…``) filled with sample credentials."""
    return README.read_text().replace("MA…", SAMPLE_ID).replace("…", SAMPLE_TOKEN)


def test_readme_shows_the_banners_curl_and_environment() -> None:
    """What the README says `make run` prints is what the banner prints (same lines, same curl)."""
    quickstart = _readme_with_sample_credentials().split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    lines = [line.strip() for line in quickstart.splitlines()]
    url = "http://127.0.0.1:8000"
    assert curl_example(url, SAMPLE) in lines
    assert "client and CLI: " + client_env(url, SAMPLE) in lines


def test_client_env_is_one_export_line() -> None:
    line = client_env("http://127.0.0.1:8000", MainCredentials(SAMPLE_ID, "to ken'", "generated"))
    assert shlex.split(line) == [
        "export",
        "PLIVO_API_URL=http://127.0.0.1:8000",
        f"PLIVO_AUTH_ID={SAMPLE_ID}",
        "PLIVO_AUTH_TOKEN=to ken'",
    ]
    # A token from the environment is not echoed: the line hands the variable to the shell.
    given = client_env("http://127.0.0.1:8000", MainCredentials(SAMPLE_ID, "secret", "environment"))
    assert "secret" not in given
    expanded = subprocess.run(
        ["bash", "-c", given + ' && printf %s "$PLIVO_AUTH_TOKEN"'],
        env={"PLIVO_SANDBOX_AUTH_TOKEN": "secret"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert expanded == "secret"


def test_curl_example_is_valid_shell_and_json() -> None:
    line = curl_example(
        "http://127.0.0.1:8000", MainCredentials("MAABCDEFGHIJKLMNOPQR", "tok123", "generated")
    )
    assert line == (
        "curl -s -X POST http://127.0.0.1:8000/api/Plivo/getAccountDetails -H 'Content-Type: application/json' "
        """-d '{"args":{"authId":"MAABCDEFGHIJKLMNOPQR","authToken":"tok123"}}'"""
    )
    # A token the user gave is never echoed: the example names the variable, for the shell to expand.
    given = curl_example(
        "http://127.0.0.1:8000", MainCredentials("MAABCDEFGHIJKLMNOPQR", "secret", "environment")
    )
    assert "secret" not in given
    expanded = subprocess.run(
        ["bash", "-c", "echo " + given.split(" -d ", 1)[1]],
        env={"PLIVO_SANDBOX_AUTH_TOKEN": "secret"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(expanded) == {"args": {"authId": "MAABCDEFGHIJKLMNOPQR", "authToken": "secret"}}


def _console_script() -> str:
    script = Path(sys.executable).with_name("plivo-blocks")
    assert script.exists(), "the plivo-blocks console script is not installed"
    return str(script)


@contextmanager
def running_command(argv: list[str], env: dict[str, str], cwd: Path, *, health: str) -> Iterator[str]:
    """Run ``plivo-blocks argv``; yield its banner (stdout up to the curl example) once ``health``
    (a path on the URL the banner names) answers 200; then SIGTERM it and check it went quietly."""
    stderr_path = cwd / "stderr.txt"
    with stderr_path.open("w") as stderr_file:
        process = subprocess.Popen(
            [_console_script(), *argv],
            stdout=subprocess.PIPE,
            stderr=stderr_file,
            text=True,
            env={**env, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"},
            cwd=cwd,
        )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout

    def pump() -> None:
        for line in stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    banner: list[str] = []
    try:
        deadline = time.monotonic() + PATIENCE
        while not any("curl " in line for line in banner):
            assert time.monotonic() < deadline and process.poll() is None, "".join(banner)
            try:
                banner.append(lines.get(timeout=0.5))
            except queue.Empty:
                continue
        text = "".join(banner)
        url = _found(r" on (http://127\.0\.0\.1:\d+)", text)
        while True:  # the banner comes just before uvicorn starts serving
            try:
                if httpx.get(url + health, timeout=PATIENCE).status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None, stderr_path.read_text()
                time.sleep(0.05)
        yield text
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(PATIENCE)
        finally:
            if process.poll() is None:
                process.kill()
    # uvicorn shuts down gracefully, then re-raises the signal it caught (exit by SIGTERM).
    assert process.returncode in (0, -signal.SIGTERM)
    assert "Traceback" not in stderr_path.read_text()


def _found(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in {text!r}"
    return match.group(1)


def _env_without_plivo() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PLIVO_")}


def test_serve_sandbox_end_to_end(tmp_path: Path) -> None:
    """`plivo-blocks serve --sandbox` starts, prints the credentials and a curl example, answers
    that example's request through the gateway into its own sandbox, and stops on SIGTERM."""
    # Whatever PLIVO_API_URL says, --sandbox points the gateway at its own sandbox.
    env = {**_env_without_plivo(), "PLIVO_API_URL": "http://127.0.0.1:9"}
    argv = ["serve", "--sandbox", "--port", "0", "--db", str(tmp_path / "s.db"), "--log-level", "warning"]
    with running_command(argv, env, tmp_path, health="/healthz") as banner:
        url = _found(r" on (http://127\.0\.0\.1:\d+)", banner)
        auth_id = _found(r"auth id:\s+(\S+)", banner)
        auth_token = _found(r"auth token:\s+(\S+)", banner)
        assert re.fullmatch(r"MA[A-Z0-9]{18}", auth_id)
        curl = next(line.strip() for line in banner.splitlines() if "curl " in line)
        credentials = MainCredentials(auth_id, auth_token, "generated")
        assert curl == curl_example(url, credentials)
        # The banner's environment line, pasted, points the CLI at this server.
        export = _found(r"client and CLI: (export .*)", banner)
        assert export == client_env(url, credentials)
        cli_env = dict(pair.split("=", 1) for pair in shlex.split(export)[1:])
        assert cli_env["PLIVO_API_URL"] == url
        called = subprocess.run(
            [_console_script(), "call", "getAccountDetails"],
            env={**env, **cli_env},
            capture_output=True,
            text=True,
            timeout=PATIENCE,
            check=False,
        )
        assert called.returncode == 0, called.stderr
        assert json.loads(called.stdout)["auth_id"] == auth_id
        # What the curl example does.
        response = httpx.post(
            f"{url}/api/Plivo/getAccountDetails",
            headers={"Content-Type": "application/json"},
            content=json.dumps({"args": {"authId": auth_id, "authToken": auth_token}}),
            timeout=PATIENCE,
        )
        answer = response.json()
        assert answer["callback"] == "success", answer
        assert answer["contextWrites"]["to"]["auth_id"] == auth_id


def test_sandbox_command_uses_its_own_variables_and_never_prints_their_token(tmp_path: Path) -> None:
    auth_id, auth_token = "MAENVACCOUNT00000001", "env-token-for-the-sandbox"
    real_token = "a-real-plivo-token-never-to-be-shown"
    env = {
        **_env_without_plivo(),
        "PLIVO_SANDBOX_AUTH_ID": auth_id,
        "PLIVO_SANDBOX_AUTH_TOKEN": auth_token,
        "PLIVO_AUTH_ID": "MAREALACCOUNT0000001",
        "PLIVO_AUTH_TOKEN": real_token,
    }
    database = tmp_path / "s.db"
    argv = ["sandbox", "--port", "0", "--db", str(database), "--log-level", "warning"]
    with running_command(argv, env, tmp_path, health="/_sandbox/health") as banner:
        url = _found(r" on (http://127\.0\.0\.1:\d+)", banner)
        assert _found(r"auth id:\s+(\S+)", banner) == auth_id
        assert auth_token not in banner and real_token not in banner
        assert "PLIVO_SANDBOX_AUTH_TOKEN" in banner
        account = httpx.get(f"{url}/v1/Account/{auth_id}/", auth=(auth_id, auth_token), timeout=PATIENCE)
        refused = httpx.get(f"{url}/v1/Account/{auth_id}/", auth=(auth_id, "wrong"), timeout=PATIENCE)
    assert account.status_code == 200
    assert account.json()["auth_id"] == auth_id
    assert refused.status_code == 401
    stored = database.read_bytes()
    assert auth_token.encode() not in stored and real_token.encode() not in stored


def test_a_subaccount_id_for_the_sandbox_is_a_clear_error(tmp_path: Path) -> None:
    env = {
        **_env_without_plivo(),
        "PLIVO_SANDBOX_AUTH_ID": "SAENVACCOUNT00000001",
        "PLIVO_SANDBOX_AUTH_TOKEN": "whatever-token",
    }
    for command in (["sandbox"], ["serve", "--sandbox"]):
        done = subprocess.run(
            [_console_script(), *command, "--port", "0", "--db", str(tmp_path / "s.db")],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=PATIENCE,
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("error: PLIVO_SANDBOX_AUTH_ID is a subaccount auth id"), done.stderr
        assert "Traceback" not in done.stderr and "whatever-token" not in done.stderr + done.stdout


def _readme_cli_example() -> list[str]:
    """The README's `call` example: the ```sh block that starts a sandbox, then calls it."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), re.DOTALL)
    (example,) = [b for b in blocks if "plivo-blocks sandbox --port 8100 &" in b]
    return example.splitlines()


def test_readme_cli_example_runs_against_a_sandbox(tmp_path: Path) -> None:
    """The README's CLI example, run as written against a real `plivo-blocks sandbox` process: only
    the port (any free one) and the placeholders for the sandbox's credentials are filled in."""
    start, export, *calls = _readme_cli_example()
    assert start.startswith("plivo-blocks sandbox --port 8100 &")
    assert export.startswith("export PLIVO_AUTH_ID=MA… PLIVO_AUTH_TOKEN=…")
    assert calls and all("plivo-blocks call " in line for line in calls)
    env = _env_without_plivo()
    argv = ["sandbox", "--port", "0", "--db", str(tmp_path / "s.db"), "--log-level", "warning"]
    with running_command(argv, env, tmp_path, health="/_sandbox/health") as banner:
        url = _found(r" on (http://127\.0\.0\.1:\d+)", banner)
        auth_id = _found(r"auth id:\s+(\S+)", banner)
        auth_token = _found(r"auth token:\s+(\S+)", banner)
        script = "\n".join(
            ["set -euo pipefail", export.replace("MA…", auth_id).replace("…", auth_token), *calls]
        ).replace("http://127.0.0.1:8100", url)
        bin_dir = str(Path(_console_script()).parent)
        ran = subprocess.run(
            ["bash", "-c", script],
            env={**env, "PATH": bin_dir + os.pathsep + env.get("PATH", "")},
            capture_output=True,
            text=True,
            timeout=PATIENCE * 2,
            check=False,
        )
        assert ran.returncode == 0, ran.stderr
        assert auth_token not in ran.stdout + ran.stderr
        answers = _json_documents(ran.stdout)
        assert len(answers) == len(calls)
        account, bought, sent, listed = answers
        assert account["auth_id"] == auth_id
        assert bought["status"] == "fulfilled"
        assert len(sent["message_uuid"]) == 1
        assert sent["message_uuid"][0] in [m["message_uuid"] for m in listed["objects"]]


def _json_documents(text: str) -> list[Any]:
    """The JSON documents printed one after the other (each pretty-printed over several lines)."""
    decoder = json.JSONDecoder()
    documents, index = [], 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        document, index = decoder.raw_decode(text, index)
        documents.append(document)
    return documents


def test_sandbox_stack_gateway_reaches_the_sandbox_in_process(tmp_path: Path) -> None:
    """The gateway of ``serve --sandbox`` calls the sandbox without a loopback round trip: the
    stack is told a URL where nothing listens, and the gateway's calls still reach the sandbox
    (and show in its request events, as any API request does)."""
    nothing_listens = _loopback_socket()  # bound, never listening: a connection there is refused
    stack = build_sandbox_stack(local_url(*nothing_listens.getsockname()), str(tmp_path / "sandbox.db"))
    try:
        with serve_in_thread(stack.app, _loopback_socket()) as url:
            credentials = {"authId": stack.auth_id, "authToken": stack.auth_token}
            sent = httpx.post(
                f"{url}/api/Plivo/sendMessage",
                json={
                    "args": {**credentials, "src": "14155550100", "destination": "447700900101", "text": "hi"}
                },
                timeout=PATIENCE,
            ).json()
    finally:
        nothing_listens.close()
    assert sent["callback"] == "success", sent
    (uuid,) = sent["contextWrites"]["to"]["message_uuid"]
    api_lines = [e.summary for e in stack.state.events.recent if e.kind == "api"]
    assert any(line.startswith(f"POST /v1/Account/{stack.auth_id}/Message/ -> 202") for line in api_lines)
    assert any(e.ref == uuid for e in stack.state.events.recent if e.kind == "message")


@pytest.mark.parametrize("start", ["serve_sandbox", "serve_with_sandbox"])
def test_a_sandbox_server_freezes_its_start_up_objects_and_collects_young_garbage_less_often(
    start: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python's default thresholds cost `serve --sandbox` a quarter of its time in full collections
    that freed nothing (README, Performance): the servers that hold a sandbox tune the collector
    before they serve."""
    import gc

    from plivo_blocks import serving

    seen: dict[str, Any] = {}

    def run(self: uvicorn.Server, sockets: list[socket.socket]) -> None:  # instead of serving
        seen["threshold"], seen["frozen"] = gc.get_threshold(), gc.get_freeze_count()
        for sock in sockets:
            sock.close()

    before = gc.get_threshold()
    monkeypatch.setattr(serving.ClosingServer, "run", run)
    try:
        getattr(serving, start)(
            port=0, db_path=str(tmp_path / "s.db"), announce=lambda line: None, quiet=True
        )
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
    assert seen["threshold"] == serving.SANDBOX_GC_THRESHOLDS != before
    assert seen["frozen"] > 10_000  # the modules, the catalog, the sandbox's app: all of start-up
