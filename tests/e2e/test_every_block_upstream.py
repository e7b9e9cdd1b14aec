"""Every one of the 68 blocks, with every argument set, through each door — the gateway over
real HTTP, ``Client`` and ``AsyncClient`` — into a recording upstream on loopback: the request
that arrives must be exactly the real Plivo request of ``plivo_reference`` (method, path,
parameter names, values and JSON types, Basic auth).

And for every block: each missing required argument, and each refused value of
``validation_cases``, is answered without any request leaving the process.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from plivo_blocks import AsyncClient, Client
from plivo_blocks.catalog import BLOCKS, get_block
from plivo_blocks.catalog.examples import example_args
from plivo_blocks.gateway import create_app
from plivo_blocks.gateway.settings import GatewaySettings
from plivo_reference import BOOLEAN_PARAMS, INTEGER_PARAMS, REFERENCE
from support.live_server import LiveServer
from support.upstream import RecordedRequest, RecordingUpstream, Reply, empty_reply
from validation_cases import REFUSED

AUTH_ID = "MAE2EXXXXXXXXXXXXXXX"
AUTH_TOKEN = "e2e-token-0123456789abcdef0123456789ab"
NAMES = [b.name for b in BLOCKS]


@pytest.fixture(scope="module")
def gateway_and_upstream() -> Iterator[tuple[str, RecordingUpstream]]:
    with RecordingUpstream() as upstream:
        settings = GatewaySettings(api_url=upstream.url, max_retries=0, timeout=10)
        with LiveServer(create_app(settings)) as gateway:
            yield gateway.url, upstream


def _expected_value(param: str, example: str) -> Any:
    """The JSON value Plivo must receive for an example given as a string."""
    if param in INTEGER_PARAMS:
        return int(example)
    if param in BOOLEAN_PARAMS:
        return example == "true"
    return example.removeprefix("+")


def _as_query(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def assert_real_plivo_request(name: str, args: dict[str, str], seen: RecordedRequest) -> None:
    reference = REFERENCE[name]
    block_path = reference.path.format(**{k: quote(v.removeprefix("+"), safe="") for k, v in args.items()})
    assert seen.method == reference.method
    assert seen.raw_path == f"/v1/Account/{AUTH_ID}/{block_path}"
    assert seen.basic_auth == (AUTH_ID, AUTH_TOKEN)
    expected = {
        plivo: _expected_value(plivo, args[public])
        for public, plivo in reference.params.items()
        if public in args
    }
    expected.update(reference.fixed)
    if reference.method == "POST":
        assert seen.headers.get("content-type", "").startswith("application/json")
        assert seen.json == expected
        # JSON types, not just equal values (True == 1 in Python).
        assert {k: type(v) for k, v in seen.json.items()} == {k: type(v) for k, v in expected.items()}
        assert seen.raw_query == ""
    else:
        assert seen.query_multi == {k: [_as_query(v)] for k, v in expected.items()}
        assert seen.body == b""


def _reply_for(name: str) -> Reply:
    if get_block(name).method == "DELETE":
        return empty_reply()
    return Reply(status=get_block(name).status, json={"api_id": "e2e", "block": name})


@pytest.mark.parametrize("name", NAMES)
def test_gateway_sends_the_real_plivo_request(
    name: str, gateway_and_upstream: tuple[str, RecordingUpstream]
) -> None:
    gateway, upstream = gateway_and_upstream
    upstream.reset()
    upstream.enqueue(_reply_for(name))
    args = example_args(get_block(name))
    response = httpx.post(
        f"{gateway}/api/Plivo/{name}",
        json={"args": {**args, "authId": AUTH_ID, "authToken": AUTH_TOKEN}},
        timeout=10,
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["callback"] == "success", answer
    if get_block(name).method == "DELETE":
        assert answer["contextWrites"]["to"] == {"status": "success"}
    else:
        assert answer["contextWrites"]["to"] == {"api_id": "e2e", "block": name}
    assert len(upstream.requests) == 1
    assert_real_plivo_request(name, args, upstream.requests[0])


@pytest.mark.parametrize("name", NAMES)
def test_client_sends_the_real_plivo_request(name: str, recording_upstream: RecordingUpstream) -> None:
    recording_upstream.enqueue(_reply_for(name))
    args = example_args(get_block(name))
    with Client(AUTH_ID, AUTH_TOKEN, base_url=recording_upstream.url, max_retries=0) as client:
        answer = client.call(name, **args)
    assert answer == ({} if get_block(name).method == "DELETE" else {"api_id": "e2e", "block": name})
    assert len(recording_upstream.requests) == 1
    assert_real_plivo_request(name, args, recording_upstream.requests[0])


@pytest.mark.anyio
@pytest.mark.parametrize("name", NAMES)
async def test_async_client_sends_the_real_plivo_request(
    name: str, recording_upstream: RecordingUpstream
) -> None:
    recording_upstream.enqueue(_reply_for(name))
    args = example_args(get_block(name))
    async with AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=recording_upstream.url, max_retries=0) as client:
        answer = await client.call(name, **args)
    assert answer == ({} if get_block(name).method == "DELETE" else {"api_id": "e2e", "block": name})
    assert len(recording_upstream.requests) == 1
    assert_real_plivo_request(name, args, recording_upstream.requests[0])


def test_typed_methods_send_the_same_request(recording_upstream: RecordingUpstream) -> None:
    with Client(AUTH_ID, AUTH_TOKEN, base_url=recording_upstream.url, max_retries=0) as client:
        client.send_message(src="+14155550199", destination="14155550100<14155550101", text="hi", log="false")
        client.make_call(
            call_from="14155550199", call_to="14155550100", answer_url="https://a.example/x", time_limit=60
        )
    message, call = recording_upstream.requests
    assert message.json == {
        "src": "14155550199",
        "dst": "14155550100<14155550101",
        "text": "hi",
        "log": False,
    }
    assert call.json == {
        "from": "14155550199",
        "to": "14155550100",
        "answer_url": "https://a.example/x",
        "time_limit": 60,
    }


MISSING = [(b.name, arg) for b in BLOCKS for arg in b.required]


@pytest.mark.parametrize(("name", "arg"), MISSING, ids=[f"{b}.{a}" for b, a in MISSING])
def test_missing_required_argument_is_named_and_nothing_is_sent(
    name: str, arg: str, gateway_and_upstream: tuple[str, RecordingUpstream]
) -> None:
    gateway, upstream = gateway_and_upstream
    upstream.reset()
    args = example_args(get_block(name))
    del args[arg]
    response = httpx.post(
        f"{gateway}/api/Plivo/{name}", json={"args": {**args, "authId": AUTH_ID, "authToken": AUTH_TOKEN}}
    )
    error = response.json()
    assert error["callback"] == "error"
    assert error["contextWrites"]["to"]["status_code"] == "REQUIRED_FIELDS"
    assert error["contextWrites"]["to"]["fields"] == [arg]
    assert upstream.requests == []


@pytest.mark.parametrize(
    ("name", "arg", "value", "rule"), REFUSED, ids=[f"{b}.{a}={v[:20]}" for b, a, v, _ in REFUSED]
)
def test_refused_value_is_explained_and_nothing_is_sent(
    name: str, arg: str, value: str, rule: str, gateway_and_upstream: tuple[str, RecordingUpstream]
) -> None:
    gateway, upstream = gateway_and_upstream
    upstream.reset()
    args = {**example_args(get_block(name)), arg: value, "authId": AUTH_ID, "authToken": AUTH_TOKEN}
    error = httpx.post(f"{gateway}/api/Plivo/{name}", json={"args": args}).json()
    assert error["callback"] == "error"
    assert error["contextWrites"]["to"]["status_code"] == "INVALID_FIELDS"
    assert list(error["contextWrites"]["to"]["fields"]) == [arg]
    assert upstream.requests == []


def test_client_validation_error_sends_nothing(recording_upstream: RecordingUpstream) -> None:
    from plivo_blocks.errors import ValidationError

    with Client(AUTH_ID, AUTH_TOKEN, base_url=recording_upstream.url) as client:
        for name, arg, value, _rule in REFUSED:
            with pytest.raises(ValidationError) as caught:
                client.call(name, **{**example_args(get_block(name)), arg: value})
            assert [p.argument for p in caught.value.problems] == [arg]
    assert recording_upstream.requests == []
