"""What a new user of `serve --sandbox` and `sandbox` sees: the landing page, /docs and
/openapi.json covering the control API with the sandbox's credentials in the Try-it forms (never a
token from the environment), and one console line per request, webhook and call event
(``--quiet``: none), with event streams ended at shutdown."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from plivo_blocks.gateway import build_openapi
from plivo_blocks.sandbox.reference import control_operations
from plivo_blocks.serving import SandboxStack, bind_socket, build_sandbox_stack, local_url

PATIENCE = 20.0


def _stack(tmp_path: Path) -> SandboxStack:
    sock = bind_socket("127.0.0.1", 0)
    url = local_url(*sock.getsockname())
    sock.close()
    return build_sandbox_stack(url, str(tmp_path / "sandbox.db"))


async def _get(stack: SandboxStack, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=stack.app)
    async with httpx.AsyncClient(transport=transport, base_url=stack.url) as client:
        return await client.get(path)


@pytest.mark.anyio
async def test_docs_forms_carry_the_sandboxs_credentials_and_document_the_control_api(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    page = (await _get(stack, "/docs")).text
    example = json.dumps({"authId": stack.auth_id, "authToken": stack.auth_token}, indent=2)[:-2]
    assert example.replace('"', "&quot;") in page  # every block's args start with them
    assert page.count(f"&quot;authId&quot;: &quot;{stack.auth_id}&quot;") == page.count('<form data-block="')
    assert f'id=control-auth-id autocomplete=off value="{stack.auth_id}"' in page
    assert f'type=password autocomplete=off value="{stack.auth_token}"' in page
    for op in control_operations(stack.app.sandbox.routes):
        assert f'data-method="{op.method}"' in page and f'value="{op.path}"' in page


@pytest.mark.anyio
async def test_openapi_has_the_blocks_and_the_control_api(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    document = (await _get(stack, "/openapi.json")).json()
    gateway = build_openapi()
    assert set(gateway["paths"]) < set(document["paths"])
    control = {p for p in document["paths"] if p.startswith("/_sandbox/")}
    assert control == {op.path for op in control_operations(stack.app.sandbox.routes)}
    assert document["components"]["securitySchemes"].keys() == {"proxySecret", "sandboxBasic"}
    assert document["components"]["schemas"] == gateway["components"]["schemas"]
    assert "Sandbox control API" in [tag["name"] for tag in document["tags"]]
    assert not any(p.startswith("/_sandbox") for p in build_openapi()["paths"])  # the cached one untouched


@pytest.mark.anyio
async def test_the_landing_page_links_the_inspector_docs_metadata_and_control_api(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    html = (await _get(stack, "/")).text
    for href in ("/_sandbox/ui/", "/docs", "/api/Plivo", "/openapi.json", "/_sandbox/openapi.json"):
        assert f'href="{href}"' in html
    assert "/_sandbox/clock/advance" in html and stack.auth_id in html and stack.auth_token not in html


@pytest.mark.anyio
async def test_a_token_from_the_environment_is_in_no_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "env-token-never-in-a-page"
    monkeypatch.setenv("PLIVO_SANDBOX_AUTH_ID", "MAENVACCOUNT00000001")
    monkeypatch.setenv("PLIVO_SANDBOX_AUTH_TOKEN", token)
    stack = _stack(tmp_path)
    assert stack.auth_token == token
    pages = {path: (await _get(stack, path)).text for path in ("/", "/docs", "/openapi.json")}
    assert all(token not in text for text in pages.values())
    assert "&quot;authId&quot;: &quot;MAENVACCOUNT00000001&quot;" in pages["/docs"]
    assert "&quot;authToken&quot;: &quot;&quot;" in pages["/docs"]
    assert "PLIVO_SANDBOX_AUTH_TOKEN" in pages["/docs"]


# -- the console ------------------------------------------------------------------------------------


@dataclass
class Running:
    process: subprocess.Popen[str]
    lines: queue.Queue[str]
    banner: str
    url: str
    auth: tuple[str, str]

    def wait_for_line(self, pattern: str) -> str:
        deadline = time.monotonic() + PATIENCE
        seen = []
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            seen.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matching {pattern!r} in {seen}")

    def drain(self) -> list[str]:
        drained = []
        while True:
            try:
                drained.append(self.lines.get(timeout=0.3))
            except queue.Empty:
                return drained


@contextmanager
def sandbox_process(tmp_path: Path, *extra: str) -> Iterator[Running]:
    script = str(Path(sys.executable).with_name("plivo-blocks"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLIVO_")}
    argv = [script, "sandbox", "--port", "0", "--db", str(tmp_path / "s.db"), "--clock", "manual", *extra]
    stderr = (tmp_path / "stderr.txt").open("w")
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env, cwd=tmp_path)
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
    try:
        banner = []
        deadline = time.monotonic() + PATIENCE
        while not any("inspector:" in line for line in banner):
            assert time.monotonic() < deadline and process.poll() is None, banner
            try:
                banner.append(lines.get(timeout=0.5))
            except queue.Empty:
                continue
        text = "".join(banner)
        url = re.search(r" on (http://127\.0\.0\.1:\d+)", text)
        auth_id = re.search(r"auth id:\s+(\S+)", text)
        token = re.search(r"auth token:\s+(\S+)", text)
        assert url and auth_id and token, text
        running = Running(process, lines, text, url.group(1), (auth_id.group(1), token.group(1)))
        while True:
            try:
                if httpx.get(running.url + "/_sandbox/health").status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(PATIENCE)
        finally:
            if process.poll() is None:
                process.kill()
            stderr.close()


def test_the_console_prints_a_line_per_request_message_and_webhook_without_credentials(
    tmp_path: Path,
) -> None:
    with sandbox_process(tmp_path, "--log-level", "warning") as running:
        auth_id, token = running.auth
        assert f"inspector: {running.url}/_sandbox/ui/" in running.banner
        with httpx.Client(base_url=running.url, auth=running.auth, timeout=PATIENCE) as client:
            client.get(f"/v1/Account/{auth_id}/", params={"q": "not-for-the-console"})
            line = running.wait_for_line(r" api ")
            assert re.fullmatch(
                rf"\d\d:\d\d:\d\d\.\d{{3}} api      GET /v1/Account/{auth_id}/ -> 200 \(\d+\.\d ms\)\n", line
            )
            client.post(
                f"/v1/Account/{auth_id}/Message/",
                json={  # to the UK, an unrented number may send (Plivo's sender rules)
                    "src": "14155550100",
                    "dst": "447700900123",
                    "text": "hi",
                    "url": "http://127.0.0.1:9/st?k=v",
                },
            )
            running.wait_for_line(r" message  message outbound 14155550100 -> 447700900123: queued")
            client.post("/_sandbox/clock/advance", json={"seconds": 1})
            webhook = running.wait_for_line(r" webhook  message_status POST http://127\.0\.0\.1:9/st\?… ")
            assert "k=v" not in webhook
            running.wait_for_line(r" control  POST /_sandbox/clock/advance -> 200")
        output = running.banner + "".join(running.drain())
    assert "not-for-the-console" not in output
    assert output.count(token) == running.banner.count(token)  # the banner's (a made-up token), only


def test_quiet_prints_no_console_line(tmp_path: Path) -> None:
    with sandbox_process(tmp_path, "--quiet", "--log-level", "warning") as running:
        auth_id, _ = running.auth
        with httpx.Client(base_url=running.url, auth=running.auth, timeout=PATIENCE) as client:
            assert client.get(f"/v1/Account/{auth_id}/").status_code == 200
            assert client.post("/_sandbox/clock/advance", json={"seconds": 1}).status_code == 200
        assert running.drain() == []


def test_an_open_event_stream_does_not_hold_the_shutdown(tmp_path: Path) -> None:
    with sandbox_process(tmp_path, "--quiet") as running:
        client = httpx.Client(base_url=running.url, auth=running.auth, timeout=PATIENCE)
        with client, client.stream("GET", "/_sandbox/events") as stream:
            chunks = stream.iter_text()
            assert next(chunks).startswith("retry:")
            running.process.send_signal(signal.SIGTERM)
            rest = "".join(chunks)  # the server ends the stream as it shuts down
        running.process.wait(PATIENCE)
    assert "retry:" not in rest
    stderr = (tmp_path / "stderr.txt").read_text()
    assert "timeout graceful shutdown exceeded" not in stderr and "Traceback" not in stderr
    assert "Waiting for connections to close" not in stderr
