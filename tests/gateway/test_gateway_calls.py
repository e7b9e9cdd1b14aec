"""POST /api/Plivo/<block>: the callback envelope, each error code, and what reaches the upstream."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from gateway_support import AUTH_ID, AUTH_TOKEN, GatewayFactory, args, detail
from typer.testing import CliRunner

from plivo_blocks.cli import app as cli_app
from plivo_blocks.client import AsyncClient
from support.upstream import RecordingUpstream, Reply, empty_reply, free_port

pytestmark = pytest.mark.anyio


async def test_success_wraps_plivos_answer(
    gateway: httpx.AsyncClient, recording_upstream: RecordingUpstream
) -> None:
    answer = {"api_id": "a-1", "account_type": "standard", "cash_credits": "12.5"}
    recording_upstream.enqueue(Reply(json=answer))
    response = await gateway.post("/api/Plivo/getAccountDetails", json=args())
    assert response.status_code == 200
    assert response.json() == {"callback": "success", "contextWrites": {"to": answer}}
    (seen,) = recording_upstream.requests
    assert (seen.method, seen.raw_path) == ("GET", f"/v1/Account/{AUTH_ID}/")
    assert seen.basic_auth == (AUTH_ID, AUTH_TOKEN)


async def test_post_block_sends_typed_json(
    gateway: httpx.AsyncClient, recording_upstream: RecordingUpstream
) -> None:
    recording_upstream.enqueue(Reply(status=202, json={"api_id": "m", "message_uuid": ["u1"]}))
    body = args(src="+14155550100", destination="14155550101", text="hello", log="false")
    response = await gateway.post("/api/Plivo/sendMessage", json=body)
    assert detail(response) == {"api_id": "m", "message_uuid": ["u1"]}
    (seen,) = recording_upstream.requests
    assert (seen.method, seen.raw_path) == ("POST", f"/v1/Account/{AUTH_ID}/Message/")
    assert seen.json == {"src": "14155550100", "dst": "14155550101", "text": "hello", "log": False}


async def test_to_renames_the_key_and_is_not_sent(
    gateway: httpx.AsyncClient, recording_upstream: RecordingUpstream
) -> None:
    recording_upstream.enqueue(Reply(json={"api_id": "x", "objects": []}))
    response = await gateway.post("/api/Plivo/getMessages", json=args(to="messages", limit="5"))
    assert response.json() == {
        "callback": "success",
        "contextWrites": {"messages": {"api_id": "x", "objects": []}},
    }
    (seen,) = recording_upstream.requests
    assert seen.query == {"limit": "5"}
    assert "to" not in seen.raw_query


async def test_to_renames_error_answers_too(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post("/api/Plivo/sendMessage", json=args(to="result"))
    assert detail(response, "result")["status_code"] == "REQUIRED_FIELDS"


async def test_empty_upstream_answer_becomes_status_success(
    gateway: httpx.AsyncClient, recording_upstream: RecordingUpstream
) -> None:
    recording_upstream.enqueue(empty_reply(204))
    response = await gateway.post("/api/Plivo/deleteApplication", json=args(appId="123"))
    assert response.json() == {"callback": "success", "contextWrites": {"to": {"status": "success"}}}
    assert recording_upstream.last.method == "DELETE"


@pytest.mark.parametrize(
    ("content", "message_part"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'"args"', "JSON object"),
        (b'{"args": [1]}', '"args"'),
        (b'{"args": "authId=x"}', '"args"'),
        (b"[" * 100_000, "not valid JSON"),
    ],
    ids=["garbage", "not-utf8", "array", "string", "args-array", "args-string", "deep-nesting"],
)
async def test_json_validation(
    gateway: httpx.AsyncClient, recording_upstream: RecordingUpstream, content: bytes, message_part: str
) -> None:
    response = await gateway.post(
        "/api/Plivo/getAccountDetails", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["callback"] == "error"
    error = detail(response)
    assert error["status_code"] == "JSON_VALIDATION"
    assert message_part in error["status_msg"]
    assert recording_upstream.requests == []


async def test_required_fields_name_credentials_and_block_arguments_together(
    gateway: httpx.AsyncClient, recording_upstream: RecordingUpstream
) -> None:
    response = await gateway.post("/api/Plivo/sendMessage", json={"args": {"authId": AUTH_ID, "text": "hi"}})
    error = detail(response)
    assert error["status_code"] == "REQUIRED_FIELDS"
    assert error["fields"] == ["authToken", "src", "destination"]
    assert "authToken" in error["status_msg"] and "src" in error["status_msg"]
    assert recording_upstream.requests == []


async def test_missing_args_object_asks_for_the_credentials(gateway: httpx.AsyncClient) -> None:
    error = detail(await gateway.post("/api/Plivo/getAccountDetails", json={}))
    assert error["status_code"] == "REQUIRED_FIELDS"
    assert error["fields"] == ["authId", "authToken"]


async def test_arguments_at_the_top_level_are_told_to_go_under_args(
    gateway: httpx.AsyncClient, recording_upstream: RecordingUpstream
) -> None:
    body = {"authId": AUTH_ID, "authToken": AUTH_TOKEN, "src": "14155550100", "text": "hi"}
    response = await gateway.post("/api/Plivo/sendMessage", json=body)
    assert response.status_code == 200
    error = detail(response)
    assert error["status_code"] == "JSON_VALIDATION"
    message = error["status_msg"]
    assert 'must be inside "args"' in message
    assert "authId, authToken, src, text at the top level" in message  # names the keys it found...
    assert AUTH_TOKEN not in response.text and "14155550100" not in response.text  # ...never their values
    assert recording_upstream.requests == []


async def test_many_or_long_top_level_keys_are_named_briefly(gateway: httpx.AsyncClient) -> None:
    body = {f"{'k' * 500}{i}": 1 for i in range(30)}
    error = detail(await gateway.post("/api/Plivo/getAccountDetails", json=body))
    assert error["status_code"] == "JSON_VALIDATION"
    assert "and 20 more at the top level" in error["status_msg"]
    assert len(error["status_msg"]) < 800


async def test_url_with_a_space_says_to_percent_encode_it(
    gateway: httpx.AsyncClient, recording_upstream: RecordingUpstream
) -> None:
    answer_url = "http://127.0.0.1:8000/_sandbox/xml?xml=<Response><Speak>Hello there</Speak></Response>"
    body = args(callFrom="14155550100", callTo="14155550101", answerUrl=answer_url)
    error = detail(await gateway.post("/api/Plivo/makeCall", json=body))
    assert error["status_code"] == "INVALID_FIELDS"
    assert error["fields"]["answerUrl"].startswith("contains whitespace: percent-encode it")
    assert recording_upstream.requests == []


async def test_blank_strings_count_as_missing(gateway: httpx.AsyncClient) -> None:
    error = detail(
        await gateway.post("/api/Plivo/getAccountDetails", json={"args": {"authId": " ", "authToken": ""}})
    )
    assert error["fields"] == ["authId", "authToken"]


async def test_invalid_fields_say_what_is_wrong_with_each(
    gateway: httpx.AsyncClient, recording_upstream: RecordingUpstream
) -> None:
    response = await gateway.post("/api/Plivo/getMessages", json=args(limit="50", offset="-1", limt="3"))
    error = detail(response)
    assert error["status_code"] == "INVALID_FIELDS"
    assert set(error["fields"]) == {"limit", "offset", "limt"}
    assert "20" in error["fields"]["limit"]
    assert "limit" in error["fields"]["limt"]  # "did you mean limit?"
    assert recording_upstream.requests == []


async def test_invalid_credentials_shape_is_refused_without_echoing_it(
    gateway: httpx.AsyncClient, recording_upstream: RecordingUpstream
) -> None:
    bad_token = "tok\r\nX-Injected: 1"
    response = await gateway.post(
        "/api/Plivo/getAccountDetails", json={"args": {"authId": ["MA"], "authToken": bad_token}}
    )
    error = detail(response)
    assert error["status_code"] == "INVALID_FIELDS"
    assert set(error["fields"]) == {"authId", "authToken"}
    assert "X-Injected" not in response.text
    assert recording_upstream.requests == []


async def test_both_missing_and_invalid_are_reported_at_once(gateway: httpx.AsyncClient) -> None:
    error = detail(await gateway.post("/api/Plivo/sendMessage", json=args(src="a b c!", text="x")))
    assert error["status_code"] == "REQUIRED_FIELDS"
    assert error["fields"] == ["destination"]
    assert set(error["invalid"]) == {"src"}


async def test_api_error_carries_plivos_status_error_and_api_id(
    gateway: httpx.AsyncClient, recording_upstream: RecordingUpstream
) -> None:
    recording_upstream.enqueue(Reply(status=404, json={"api_id": "e-404", "error": "Application not found"}))
    response = await gateway.post("/api/Plivo/getSingleApplication", json=args(appId="42"))
    assert response.status_code == 200
    assert response.json()["callback"] == "error"
    error = detail(response)
    assert error["status_code"] == "API_ERROR"
    assert error["status"] == 404
    assert error["error"] == "Application not found"
    assert error["api_id"] == "e-404"
    assert "404" in error["status_msg"]


async def test_unreachable_upstream_is_an_api_error_without_status(make_gateway: GatewayFactory) -> None:
    async with make_gateway(api_url=f"http://127.0.0.1:{free_port()}") as gateway:
        response = await gateway.post("/api/Plivo/getAccountDetails", json=args())
    error = detail(response)
    assert error["status_code"] == "API_ERROR"
    assert "status" not in error
    assert "reach Plivo" in error["status_msg"]


async def test_upstream_timeout_is_an_api_error(
    make_gateway: GatewayFactory, recording_upstream: RecordingUpstream
) -> None:
    recording_upstream.enqueue(Reply(delay=5))
    async with make_gateway(timeout=0.2) as gateway:
        response = await gateway.post("/api/Plivo/getAccountDetails", json=args())
    error = detail(response)
    assert error["status_code"] == "API_ERROR"
    assert "timeout" in error["status_msg"]
    assert len(recording_upstream.requests) == 1


async def test_internal_error_is_generic_and_logged(
    gateway: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(self: AsyncClient, block: str, args: object, **options: object) -> dict[str, object]:
        raise RuntimeError("kaboom in the client internals")

    monkeypatch.setattr(AsyncClient, "call_block_outcome", broken)
    with caplog.at_level(logging.ERROR, logger="plivo_blocks.gateway"):
        response = await gateway.post("/api/Plivo/getAccountDetails", json=args())
    assert response.status_code == 200
    error = detail(response)
    assert error["status_code"] == "INTERNAL_PACKAGE_ERROR"
    assert "kaboom" not in response.text and "Traceback" not in response.text
    logged = [r for r in caplog.records if r.name == "plivo_blocks.gateway" and r.exc_info]
    assert logged and "kaboom" in str(logged[0].exc_info[1])  # type: ignore[index]


async def test_unknown_block_is_a_json_404(
    gateway: httpx.AsyncClient, recording_upstream: RecordingUpstream
) -> None:
    for method in ("POST", "GET"):
        response = await gateway.request(method, "/api/Plivo/sendSmoke", json=args())
        assert response.status_code == 404
        assert response.json()["status_code"] == "UNKNOWN_BLOCK"
        assert "sendSmoke" in response.json()["status_msg"]
    assert recording_upstream.requests == []


@pytest.mark.parametrize("name", ["sendMesage", "getaccountdetails", "muteMembr", "Plivo.makeCal", "zzzzzz"])
async def test_unknown_block_gets_the_same_did_you_mean_as_the_cli(
    gateway: httpx.AsyncClient, name: str
) -> None:
    cli = CliRunner().invoke(cli_app, ["describe", name])
    assert cli.exit_code == 2
    response = await gateway.post(f"/api/Plivo/{name}", json=args())
    assert response.status_code == 404
    message = response.json()["status_msg"]
    gateway_hint = re.search(r"\(did you mean [^)]*\)", message)
    cli_hint = re.search(r"\(did you mean [^)]*\)", cli.stderr)
    assert (gateway_hint and gateway_hint[0]) == (cli_hint and cli_hint[0]), (message, cli.stderr)
    if name == "zzzzzz":
        assert gateway_hint is None  # nothing close: no hint rather than a wild guess
    else:
        assert gateway_hint is not None, message


async def test_wrong_method_is_a_json_405(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/api/Plivo/sendMessage")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["status_code"] == "METHOD_NOT_ALLOWED"
    response = await gateway.post("/api/Plivo", json={})
    assert response.status_code == 405
    assert response.json()["status_code"] == "METHOD_NOT_ALLOWED"


async def test_unknown_path_is_a_json_404(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/wp-admin")
    assert response.status_code == 404
    assert response.json()["status_code"] == "NOT_FOUND"


async def test_absurd_number_of_arguments_is_refused_up_front(
    gateway: httpx.AsyncClient, recording_upstream: RecordingUpstream
) -> None:
    many = {f"field{i}": "x" for i in range(5000)}
    error = detail(await gateway.post("/api/Plivo/makeCall", json=args(**many)))
    assert error["status_code"] == "JSON_VALIDATION"
    assert "5002 keys" in error["status_msg"]
    assert recording_upstream.requests == []


async def test_odd_unicode_is_echoed_safely(
    gateway: httpx.AsyncClient, recording_upstream: RecordingUpstream
) -> None:
    """Lone surrogates (legal as JSON escapes) in a key or value never break the answer."""
    body = (
        b'{"args": {"authId": "MA1", "authToken": "t", "to": "\\ud800", "\\udfff": "x", "text": "h\\u00e9"}}'
    )
    response = await gateway.post("/api/Plivo/sendMessage", content=body)
    assert response.status_code == 200
    error = detail(response, "\ud800")
    assert error["status_code"] == "REQUIRED_FIELDS"
    assert "\udfff" in error["invalid"]
    assert recording_upstream.requests == []
