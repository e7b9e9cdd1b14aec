"""`serve --sandbox`'s /docs in a real browser: the Try-it forms start with the sandbox's credentials,
so a block's form and a control API form answer at the first click."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, expect

from plivo_blocks.serving import SandboxStack, bind_socket, build_sandbox_stack, local_url, uvicorn_config

PATIENCE = 20.0


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[SandboxStack]:
    sock = bind_socket("127.0.0.1", 0)
    built = build_sandbox_stack(local_url(*sock.getsockname()), str(tmp_path / "sandbox.db"))
    server = uvicorn.Server(uvicorn_config(built.app, log_level="critical", configure_logging=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + PATIENCE
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.005)
    yield built
    server.should_exit = True
    thread.join(PATIENCE)
    sock.close()


def test_try_it_forms_answer_with_the_sandboxs_credentials(page: Page, stack: SandboxStack) -> None:
    page.goto(stack.url + "/docs")
    block = page.locator("details[data-name=getAccountDetails]")
    block.locator("summary").click()
    block.get_by_role("button", name="Send").click()
    expect(block.locator("pre")).to_contain_text('"callback": "success"')
    expect(block.locator("pre")).to_contain_text(stack.auth_id)

    control = page.locator('details[data-name="POST /_sandbox/clock/advance"]')
    control.locator("summary").click()
    control.get_by_role("button", name="Send").click()
    expect(control.locator("pre")).to_contain_text("HTTP 200")
    expect(control.locator("pre")).to_contain_text('"advanced": 5')

    page.fill("#filter", "bins")
    assert page.locator('details[data-name="PUT /_sandbox/bins/{name}"]').is_visible()
    assert not block.is_visible()
