"""Path injection: hostile values in every path parameter of every block (and in the auth id,
which is a path segment too) never change the endpoint and never inject a header.

Each value is either refused by validation (then nothing is sent) or sent as exactly one request
on the block's own route, the value percent-encoded inside its own segment: the upstream sees the
same number of segments as the route template, the fixed segments unchanged, the parameter's
segment decoding back to the value, no query parameter the block does not have, and no header
that came out of a value. Checked through ``Client`` and through the gateway over HTTP, against
the recording upstream (which records the raw path as sent on the wire).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from reliability_support import AUTH_ID, AUTH_TOKEN, PATIENCE

from plivo_blocks import Client
from plivo_blocks.catalog import BLOCKS, Block
from plivo_blocks.catalog.examples import example_args
from plivo_blocks.errors import ValidationError
from plivo_blocks.gateway import GatewaySettings, create_app
from support.live_server import LiveServer
from support.upstream import RecordedRequest, RecordingUpstream

HOSTILE = [
    "/",
    "a/b",
    "..",
    "../..",
    "../../../Message",
    ".",
    "./x",
    "a?b=c",
    "?dst=1",
    "a#frag",
    "#",
    "%2F",
    "a%2Fb",
    "%2e%2e",
    "%2e%2e%2f",
    "..%2f..%2fMessage",
    "a\r\nX-Injected: yes",
    "a\nX-Injected: yes",
    "a\rb",
    "%0d%0aX-Injected: yes",
    " a b ",
    "a;b=c",
    "a\\b",
    "a%00b",
    "a\x00b",
    "a@b",
    "a:b",
    "é/ü",
    "😀/😀",
]
PLACEHOLDER = re.compile(r"\{(\w+)\}")
CASES = [(block, name) for block in BLOCKS for name in block.path_args]


@pytest.fixture(scope="module")
def upstream() -> Iterator[RecordingUpstream]:
    with RecordingUpstream() as server:
        yield server


@pytest.fixture(scope="module")
def gateway(upstream: RecordingUpstream) -> Iterator[httpx.Client]:
    # Thousands of calls for one account: unpaced (the stand-in has no rate limit; pacing has its own tests).
    unpaced = GatewaySettings(
        api_url=upstream.url, max_retries=0, timeout=PATIENCE, rate_requests=0, calls_per_second=0
    )
    app = create_app(unpaced)
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=PATIENCE) as client:
        yield client


def assert_on_own_route(
    block: Block, args: dict[str, Any], seen: RecordedRequest, auth_id: str = AUTH_ID
) -> None:
    template = ["", "v1", "Account", "{authId}", *block.path.split("/")]
    segments = seen.raw_path.split("/")
    assert len(segments) == len(template), f"{seen.raw_path!r} has left the route {block.path!r}"
    values = {**args, "authId": auth_id}
    for raw, expected in zip(segments, template, strict=True):
        name = PLACEHOLDER.fullmatch(expected)
        if name is None:
            assert raw == expected
            continue
        assert raw not in (".", ".."), "a dot segment would be collapsed by servers"
        assert not set(raw) & set("/?#\r\n\x00 "), raw
        assert unquote(raw) == str(values[name.group(1)]).removeprefix("+")
    assert seen.method == block.method
    known = {arg.param for arg in block.args} | set(block.fixed_params)
    assert set(seen.query) <= known, f"injected query parameters: {set(seen.query) - known}"
    assert "x-injected" not in seen.headers
    assert ("b" not in seen.query and "dst" not in seen.query) or "dst" in known


@pytest.mark.parametrize(("block", "name"), CASES, ids=[f"{b.name}.{n}" for b, n in CASES])
def test_hostile_path_values_never_leave_their_segment(
    block: Block, name: str, upstream: RecordingUpstream, gateway: httpx.Client
) -> None:
    sent = refused = 0
    with Client(AUTH_ID, AUTH_TOKEN, base_url=upstream.url, max_retries=0, timeout=PATIENCE) as client:
        for value in HOSTILE:
            args = {**example_args(block), name: value}
            # Through the client.
            upstream.reset()
            try:
                client.call_block(block.name, args)
            except ValidationError:
                assert upstream.requests == []
                refused += 1
            else:
                (seen,) = upstream.requests
                assert_on_own_route(block, args, seen)
                sent += 1
            # Through the gateway.
            upstream.reset()
            answer = gateway.post(
                f"/api/Plivo/{block.name}",
                json={"args": {**args, "authId": AUTH_ID, "authToken": AUTH_TOKEN}},
            )
            assert answer.status_code == 200
            if answer.json()["callback"] == "error":
                assert answer.json()["contextWrites"]["to"]["status_code"] == "INVALID_FIELDS"
                assert upstream.requests == []
            else:
                (seen,) = upstream.requests
                assert_on_own_route(block, args, seen)
    assert sent + refused == len(HOSTILE)


@pytest.mark.parametrize("auth_id", [v for v in HOSTILE if ":" not in v and v.isprintable() and v.strip()])
def test_a_hostile_auth_id_never_leaves_its_segment(
    auth_id: str, upstream: RecordingUpstream, gateway: httpx.Client
) -> None:
    block = next(b for b in BLOCKS if b.name == "sendMessage")
    args = example_args(block)
    upstream.reset()
    answer = gateway.post(
        f"/api/Plivo/{block.name}", json={"args": {**args, "authId": auth_id, "authToken": AUTH_TOKEN}}
    )
    assert answer.json()["callback"] == "success"
    (seen,) = upstream.requests
    assert_on_own_route(block, args, seen, auth_id=auth_id)
    upstream.reset()
    with Client(auth_id, AUTH_TOKEN, base_url=upstream.url, max_retries=0, timeout=PATIENCE) as client:
        client.call_block(block.name, args)
    (seen,) = upstream.requests
    assert_on_own_route(block, args, seen, auth_id=auth_id)
