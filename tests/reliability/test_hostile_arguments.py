"""Property-based tests (hypothesis) over the whole catalog with hostile arguments.

For any block and any arguments dict (wrong types, huge strings, any unicode including lone
surrogates and look-alike digits, nested JSON, nulls, NaN and infinities, unknown names):

- ``Block.validate`` raises nothing but :class:`ValidationError`;
- whatever it accepts can be sent: the request maps, and its body or query string encodes as
  JSON / UTF-8 (a value that cannot travel must be refused up front, not crash on the way);
- an invalid call never produces a request, through ``Client`` (against the recording upstream)
  or through the gateway over HTTP (which answers REQUIRED_FIELDS / INVALID_FIELDS /
  JSON_VALIDATION, never an internal error, never a 5xx).

Example counts are bounded (``PROPERTY``) so the suite stays fast in CI.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_support import AUTH_ID, AUTH_TOKEN, PATIENCE

from plivo_blocks import Client
from plivo_blocks.catalog import BLOCKS, Block
from plivo_blocks.catalog.examples import example_args
from plivo_blocks.catalog.types import Sender
from plivo_blocks.errors import ValidationError
from plivo_blocks.gateway import GatewaySettings, create_app
from support.live_server import LiveServer
from support.upstream import RecordingUpstream

PROPERTY = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# -- strategies ----------------------------------------------------------------------------------

#: Strings that look like numbers, booleans, phone numbers or dates to a careless parser.
TRICKY_VALUES: list[str] = [
    "",
    " ",
    "\t\n",
    "0",
    "-0",
    "+0",
    "00",
    "1e309",
    "-1e309",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "1_000",
    "0x1F",
    "0b1",
    "٣٤٥",
    "１２３",
    "²",
    "½",
    "true ",
    "TRUE",
    "yes",
    "None",
    "null",
    "[]",
    "{}",
    "+",
    "++14155550100",
    "+1 415 555 0100",
    "1415555010０",
    "14155550100\x00",
    "14155550100\n",
    "2016-02-30 00:00:00",
    "2016-13-01 00:00:00",
    "0000-00-00 00:00:00",
    "9999-12-31 23:59:60",
    "http://",
    "https://",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "https://exa mple.com",
    "https://[::1",
    "//example.com/x",
    "http://\u0000/",
    "../../etc/passwd",
    "%2e%2e%2f",
    "a\r\nb: c",
    "\ud800",
    "a\udfffb",
    "\u202e",
    "\ufeff",
    "😀" * 3,
    "Z̸̡̢",
    "US",
    "us",
    "XX",
    "U",
    "USA",
]
TRICKY_STRINGS = st.sampled_from(TRICKY_VALUES)
HUGE_STRINGS = st.builds(
    lambda chunk, times: chunk * times,
    st.sampled_from(["a", "9", "😀", "<", ","]),
    st.integers(1_000, 200_000),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(st.characters(codec=None), max_size=40),
    TRICKY_STRINGS,
    HUGE_STRINGS,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def block_and_arguments(draw: st.DrawFn) -> tuple[Block, dict[str, Any]]:
    """A block and an arguments dict: either free-form, or a valid set with some values replaced
    by hostile ones (which reaches the deeper rules: ranges, formats, cross-argument checks)."""
    block = draw(st.sampled_from(BLOCKS))
    names = [arg.name for arg in block.args]
    key = st.sampled_from(names) | st.text(max_size=12) if names else st.text(max_size=12)
    if draw(st.booleans()):
        return block, draw(st.dictionaries(key, JSON_VALUES, max_size=6))
    args: dict[str, Any] = dict(example_args(block))
    for name in draw(st.lists(key, min_size=1, max_size=3)):
        args[name] = draw(JSON_VALUES)
    return block, args


def _travels(value: Any) -> None:
    """Raise if ``value`` cannot go over the wire as JSON in UTF-8 (what the clients send)."""
    json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")


# -- properties ----------------------------------------------------------------------------------


@PROPERTY
@given(block_and_arguments())
def test_validation_raises_only_its_own_error_and_accepted_values_can_be_sent(
    case: tuple[Block, dict[str, Any]],
) -> None:
    block, args = case
    try:
        values = block.validate(args)
    except ValidationError as exc:
        assert exc.problems, "a ValidationError must say what is wrong"
        for problem in exc.problems:
            assert isinstance(problem.argument, str) and problem.message
            # The message explains the rule; it never repeats a huge value back.
            assert len(problem.message) < 2000
        return
    request = block.to_request(values)
    assert request.method == block.method
    _travels(request.body or {})
    _travels(request.query)
    request.path.encode("ascii")  # path segments are percent-encoded
    for value in request.query.values():
        if isinstance(value, float):
            assert math.isfinite(value)


@pytest.fixture(scope="module")
def upstream() -> Iterator[RecordingUpstream]:
    with RecordingUpstream() as server:
        yield server


@pytest.fixture(scope="module")
def client(upstream: RecordingUpstream) -> Iterator[Client]:
    with Client(AUTH_ID, AUTH_TOKEN, base_url=upstream.url, max_retries=0, timeout=PATIENCE) as instance:
        yield instance


@PROPERTY
@given(case=block_and_arguments())
def test_an_invalid_call_through_the_client_sends_nothing(
    case: tuple[Block, dict[str, Any]], client: Client, upstream: RecordingUpstream
) -> None:
    block, args = case
    before = len(upstream.requests)
    try:
        block.validate(args)
    except ValidationError:
        with pytest.raises(ValidationError):
            client.call_block(block.name, args)
        assert len(upstream.requests) == before
    else:
        client.call_block(block.name, args)
        assert len(upstream.requests) == before + 1


@pytest.fixture(scope="module")
def gateway(upstream: RecordingUpstream) -> Iterator[httpx.Client]:
    # Thousands of calls for one account: unpaced (the stand-in has no rate limit; pacing has its own tests).
    unpaced = GatewaySettings(
        api_url=upstream.url, max_retries=0, timeout=PATIENCE, rate_requests=0, calls_per_second=0
    )
    app = create_app(unpaced)
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=PATIENCE) as http:
        yield http


REFUSALS = {"REQUIRED_FIELDS", "INVALID_FIELDS", "JSON_VALIDATION"}


@PROPERTY
@given(case=block_and_arguments())
def test_an_invalid_call_through_the_gateway_is_refused_and_sends_nothing(
    case: tuple[Block, dict[str, Any]], gateway: httpx.Client, upstream: RecordingUpstream
) -> None:
    block, args = case
    before = len(upstream.requests)
    # Lone surrogates cannot be encoded as UTF-8, but JSON can carry them escaped ("\ud800").
    body = json.dumps({"args": {**args, "authId": AUTH_ID, "authToken": AUTH_TOKEN}}, allow_nan=True)
    response = gateway.post(
        f"/api/Plivo/{block.name}", content=body, headers={"content-type": "application/json"}
    )
    if len(body) > 1024 * 1024:
        assert response.status_code == 413
        assert len(upstream.requests) == before
        return
    assert response.status_code == 200, response.text
    answer = response.json()
    (written,) = answer["contextWrites"].values()
    if answer["callback"] == "success":
        assert len(upstream.requests) == before + 1
    else:
        assert written["status_code"] in REFUSALS, written
        assert len(upstream.requests) == before


@PROPERTY
@given(body=st.one_of(st.binary(max_size=300), JSON_VALUES.map(lambda v: json.dumps(v).encode())))
def test_any_request_body_gets_a_clear_answer_and_sends_nothing_unless_valid(
    body: bytes, gateway: httpx.Client, upstream: RecordingUpstream
) -> None:
    before = len(upstream.requests)
    response = gateway.post(
        "/api/Plivo/sendMessage", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code in (200, 413), response.text
    if response.status_code == 200:
        answer = response.json()
        assert answer["callback"] == "error"
        (written,) = answer["contextWrites"].values()
        assert written["status_code"] in REFUSALS
    assert len(upstream.requests) == before


# -- every argument of every block, against every tricky string -----------------------------------


@pytest.mark.parametrize("block", BLOCKS, ids=[b.name for b in BLOCKS])
def test_every_argument_against_every_tricky_value(block: Block) -> None:
    """Exhaustive where the properties sample: each argument of the block set to each tricky
    string (the other arguments valid). Refused with ValidationError, or accepted as a value that
    travels; a phone number accepted is ASCII digits only."""
    for arg in block.args:
        for value in TRICKY_VALUES:
            args = {**example_args(block), arg.name: value}
            try:
                values = block.validate(args)
            except ValidationError:
                continue
            request = block.to_request(values)
            _travels(request.body or {})
            _travels(request.query)
            request.path.encode("ascii")
            accepted = values.get(arg.name)
            if isinstance(accepted, str) and accepted and arg.type.describe().startswith("a phone number"):
                # A phone number is ASCII digits; a sender may also be an ID of ASCII letters and digits.
                sender = isinstance(arg.type, Sender) and accepted.isalnum() and len(accepted) <= 11
                assert accepted.isascii() and (accepted.isdigit() or sender), (
                    f"{block.name}.{arg.name} accepted {value!r}"
                )
