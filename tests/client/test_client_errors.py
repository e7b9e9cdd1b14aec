"""Plivo's non-2xx answers, odd bodies and transport failures become typed errors; none carries a credential."""

from __future__ import annotations

import base64
import logging
import traceback
from typing import Any

import httpx
import pytest

from plivo_blocks import (
    APIError,
    AsyncClient,
    AuthenticationError,
    BadRequestError,
    Client,
    ConfigurationError,
    MethodNotAllowedError,
    NotFoundError,
    PlivoBlocksError,
    PlivoTimeoutError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationError,
)
from support.clients import FAKE_AUTH_ID, FAKE_AUTH_TOKEN, Twin
from support.upstream import RecordingUpstream, Reply, free_port

BASIC = base64.b64encode(f"{FAKE_AUTH_ID}:{FAKE_AUTH_TOKEN}".encode()).decode()
API_ID = "c1a2b3d4-0000-11e7-b886-067c5485c240"


def send(client: Any) -> Any:
    return client.send_message(src="14155551234", destination="14155550001", text="hi")


def get(client: Any) -> Any:
    return client.get_single_message(message_uuid="m-1")


@pytest.mark.parametrize(
    ("status", "error_class", "plivo_error"),
    [
        (400, BadRequestError, "invalid destination number"),
        (401, AuthenticationError, "Authentication credentials invalid"),
        (404, NotFoundError, "not found"),
        (405, MethodNotAllowedError, "Method Not Allowed"),
        (429, RateLimitError, "too many requests"),
        (500, ServerError, "internal error"),
        (409, APIError, "conflict"),
    ],
)
def test_plivo_errors_map_to_typed_errors_with_status_error_and_api_id(
    twin: Twin, status: int, error_class: type[APIError], plivo_error: str
) -> None:
    body = {"api_id": API_ID, "error": plivo_error}
    twin.upstream.enqueue(Reply(status=status, json=body))

    with pytest.raises(error_class) as caught:
        twin.run(send, max_retries=0)

    error = caught.value
    assert type(error) is error_class
    assert (error.status_code, error.error, error.api_id, error.body) == (status, plivo_error, API_ID, body)
    assert plivo_error in str(error) and str(status) in str(error) and "sendMessage" in str(error)
    assert (
        repr(error)
        == f"{error_class.__name__}(status_code={status}, error={plivo_error!r}, api_id={API_ID!r})"
    )


def test_a_structured_plivo_error_is_kept_as_is(twin: Twin) -> None:
    twin.upstream.enqueue(
        Reply(status=400, json={"api_id": API_ID, "error": {"dst": ["This field is required."]}})
    )

    with pytest.raises(BadRequestError) as caught:
        twin.run(send)

    assert caught.value.error == {"dst": ["This field is required."]}
    assert "This field is required." in str(caught.value)


def test_an_html_error_page_is_described_not_dumped(twin: Twin) -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body>" + "x" * 5000 + "</body></html>"
    twin.upstream.enqueue(Reply(status=502, body=page, content_type="text/html"))

    with pytest.raises(ServerError) as caught:
        twin.run(send)

    error = caught.value
    assert error.status_code == 502 and error.api_id is None
    assert error.error.startswith("HTML page '502 Bad Gateway'")
    assert isinstance(error.body, str) and error.body.startswith("<html>") and len(error.body) <= 2000
    assert len(str(error)) < 400


@pytest.mark.parametrize(
    ("reply", "expected_error"),
    [
        (Reply(status=503, body=b""), "empty body"),
        (Reply(status=500, body='{"api_id": "x", "err', content_type="application/json"), "non-JSON body"),
        (Reply(status=404, json=["not", "an", "object"]), '["not", "an", "object"]'),
        (Reply(status=400, json={"api_id": API_ID}), "no error text"),
    ],
)
def test_odd_error_bodies_still_give_a_typed_error(twin: Twin, reply: Reply, expected_error: str) -> None:
    twin.upstream.enqueue(reply)

    with pytest.raises(APIError) as caught:
        twin.run(send)

    assert caught.value.status_code == reply.status
    assert expected_error in caught.value.error


@pytest.mark.parametrize(
    "reply",
    [
        Reply(status=200, body='{"api_id": "abc", "mess', content_type="application/json"),
        Reply(status=200, body="<html><title>Welcome to nginx</title></html>", content_type="text/html"),
        Reply(status=202, json=["queued"]),
    ],
)
def test_a_2xx_that_is_not_a_json_object_is_an_api_error_not_a_crash(twin: Twin, reply: Reply) -> None:
    twin.upstream.enqueue(reply)

    with pytest.raises(APIError) as caught:
        twin.run(send)

    assert type(caught.value) is APIError
    assert caught.value.status_code == reply.status
    assert "sendMessage" in str(caught.value)


def test_a_body_cut_short_by_the_connection_is_a_transport_error(twin: Twin) -> None:
    twin.upstream.enqueue(Reply(status=200, fault="truncate"))

    with pytest.raises(TransportError) as caught:
        twin.run(get, max_retries=0)

    assert not isinstance(caught.value, PlivoTimeoutError)
    assert "RemoteProtocolError" in str(caught.value)


def test_connection_refused_is_a_transport_error(twin: Twin) -> None:
    with pytest.raises(TransportError) as caught:
        twin.run(get, base_url=f"http://127.0.0.1:{free_port()}", max_retries=0)

    assert "could not connect to 127.0.0.1" in str(caught.value)


def test_no_answer_in_time_is_a_timeout_error(twin: Twin) -> None:
    twin.upstream.enqueue(Reply(delay=2.0))

    with pytest.raises(PlivoTimeoutError) as caught:
        twin.run(get, timeout=0.2, max_retries=0)

    assert isinstance(caught.value, TransportError)
    assert "ReadTimeout" in str(caught.value)


# -- credentials never leak -------------------------------------------------------------------------


def _everything_about(error: BaseException) -> str:
    """Every text an error exposes: str, repr, attributes, its formatted traceback and the chain."""
    texts = []
    seen: BaseException | None = error
    while seen is not None:
        texts += [str(seen), repr(seen), repr(vars(seen))]
        texts += traceback.format_exception(seen)
        seen = seen.__cause__ or seen.__context__
    return "\n".join(texts)


def _assert_no_secret(text: str) -> None:
    assert FAKE_AUTH_TOKEN not in text
    assert BASIC not in text


def _echo_authorization(request: Any) -> Reply:
    # A hostile or buggy upstream echoing the request's headers back in an error page.
    return Reply(
        status=401, json={"api_id": API_ID, "error": f"bad header {request.headers['authorization']}"}
    )


@pytest.mark.parametrize(
    ("scenario", "action", "overrides"),
    [
        ("api error echoing the header", send, {}),
        ("html page echoing the token", send, {}),
        ("read timeout", send, {"timeout": 0.2}),
        ("reset", get, {"max_retries": 0}),
        ("connection refused", send, {"max_retries": 1}),
        ("validation", lambda c: c.call("sendMessage", src="x", text=FAKE_AUTH_TOKEN * 2000), {}),
    ],
)
def test_no_error_and_no_log_line_carries_a_credential(
    twin: Twin, caplog: pytest.LogCaptureFixture, scenario: str, action: Any, overrides: dict[str, Any]
) -> None:
    caplog.set_level(logging.DEBUG)  # everything: ours, httpx's and httpcore's
    upstream = twin.upstream
    if scenario == "api error echoing the header":
        upstream.respond_with(_echo_authorization)
    elif scenario == "html page echoing the token":
        upstream.enqueue(
            Reply(status=500, body=f"<pre>{FAKE_AUTH_TOKEN} {BASIC}</pre>", content_type="text/html")
        )
    elif scenario == "read timeout":
        upstream.enqueue(Reply(delay=2.0))
    elif scenario == "reset":
        upstream.enqueue(Reply(fault="reset"))
    elif scenario == "connection refused":
        overrides = {**overrides, "base_url": f"http://127.0.0.1:{free_port()}"}

    with pytest.raises(PlivoBlocksError) as caught:
        twin.run(action, **overrides)

    _assert_no_secret(_everything_about(caught.value))
    assert caught.value.__context__ is None and caught.value.__cause__ is None
    for record in caplog.records:
        _assert_no_secret(record.getMessage())
        _assert_no_secret(repr(vars(record)))


@pytest.mark.parametrize("padding", [0, 280, 1980])
def test_a_secret_straddling_a_truncation_point_is_still_scrubbed(twin: Twin, padding: int) -> None:
    # Error texts are cut at 300 characters in messages and bodies at 2000: scrubbing comes first.
    twin.upstream.enqueue(
        Reply(status=400, json={"error": "x" * padding + FAKE_AUTH_TOKEN}),
        Reply(status=502, body="y" * padding + FAKE_AUTH_TOKEN + "</pre>", content_type="text/html"),
    )

    for _ in range(2):
        with pytest.raises(APIError) as caught:
            twin.run(send)
        text = _everything_about(caught.value)
        assert FAKE_AUTH_TOKEN[:12] not in text and FAKE_AUTH_TOKEN[-12:] not in text


def test_the_echoed_header_is_scrubbed_from_the_error_body(twin: Twin) -> None:
    twin.upstream.respond_with(_echo_authorization)

    with pytest.raises(AuthenticationError) as caught:
        twin.run(send)

    assert caught.value.error == "bad header Basic ***"
    assert caught.value.body == {"api_id": API_ID, "error": "bad header Basic ***"}


def test_reprs_show_the_auth_id_but_never_the_token(recording_upstream: RecordingUpstream) -> None:
    with Client(FAKE_AUTH_ID, FAKE_AUTH_TOKEN, base_url=recording_upstream.url) as client:
        view = client.with_credentials("MAOTHERACCOUNT000002", "other-token-xyz")
        texts = [repr(client), str(client), repr(view), repr(vars(client)), repr(vars(view))]

    assert repr(client) == f"Client(auth_id={FAKE_AUTH_ID!r}, base_url={recording_upstream.url!r})"
    assert "MAOTHERACCOUNT000002" in repr(view)
    for text in texts:
        _assert_no_secret(text)
        assert "other-token-xyz" not in text
    assert repr(AsyncClient(FAKE_AUTH_ID, FAKE_AUTH_TOKEN)).startswith(
        "AsyncClient(auth_id='MAFAKEAUTHID00000001'"
    )


# -- configuration errors -----------------------------------------------------------------------------


def test_missing_credentials_are_reported_at_the_first_call_and_nothing_is_sent(
    recording_upstream: RecordingUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PLIVO_AUTH_ID", raising=False)
    monkeypatch.delenv("PLIVO_AUTH_TOKEN", raising=False)
    with Client(base_url=recording_upstream.url) as client:  # no error yet: it may serve as a pool for views
        assert client.auth_id is None
        with pytest.raises(ConfigurationError, match="PLIVO_AUTH_ID"):
            client.get_account_details()

    assert recording_upstream.requests == []


def test_credentials_and_base_url_fall_back_to_the_environment(
    recording_upstream: RecordingUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLIVO_AUTH_ID", "MAFROMENV00000000001")
    monkeypatch.setenv("PLIVO_AUTH_TOKEN", "env-token")
    monkeypatch.setenv("PLIVO_API_URL", recording_upstream.url + "/")

    with Client() as client:
        client.get_account_details()

    assert recording_upstream.last.raw_path == "/v1/Account/MAFROMENV00000000001/"
    assert recording_upstream.last.basic_auth == ("MAFROMENV00000000001", "env-token")


def test_the_default_base_url_is_plivos(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLIVO_API_URL", raising=False)

    with Client("MA", "t") as client:
        assert client.base_url == "https://api.plivo.com"


@pytest.mark.parametrize(
    "timeout",
    [None, httpx.Timeout(None), httpx.Timeout(5.0, read=None), 0, -1, float("inf"), float("nan"), "30", True],
)
def test_unbounded_or_nonsense_timeouts_are_refused(timeout: Any) -> None:
    with pytest.raises(ConfigurationError):
        Client("MA", "t", timeout=timeout)
    with pytest.raises(ConfigurationError):
        AsyncClient("MA", "t", timeout=timeout)


def test_timeouts_are_bounded_httpx_timeouts() -> None:
    custom = httpx.Timeout(10.0, connect=2.0)
    with Client("MA", "t", timeout=5) as plain, Client("MA", "t", timeout=custom) as detailed:
        assert plain.timeout == httpx.Timeout(5.0)
        assert detailed.timeout == custom


@pytest.mark.parametrize("max_retries", [-1, 1.5, True, "2"])
def test_nonsense_retry_counts_are_refused(max_retries: Any) -> None:
    with pytest.raises(ConfigurationError):
        Client("MA", "t", max_retries=max_retries)


@pytest.mark.parametrize(
    "base_url",
    [
        "api.plivo.com",
        "ftp://api.plivo.com",
        "https://user:hunter2@api.plivo.com",
        "https://api.plivo.com/?x=1",
    ],
)
def test_bad_base_urls_are_refused_without_echoing_credentials(base_url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Client("MA", "t", base_url=base_url)

    assert "hunter2" not in str(caught.value)


def test_validation_errors_are_value_errors_and_plivo_blocks_errors() -> None:
    assert issubclass(ValidationError, ValueError) and issubclass(ValidationError, PlivoBlocksError)


def test_the_timeout_error_does_not_shadow_the_builtin() -> None:
    """``PlivoTimeoutError`` is the name; ``TimeoutError`` stays importable as an alias of it, and
    the package's own modules catch the builtin by its own name."""
    import builtins

    import plivo_blocks
    from plivo_blocks import errors
    from plivo_blocks.gateway import app

    assert plivo_blocks.PlivoTimeoutError is errors.PlivoTimeoutError
    assert plivo_blocks.TimeoutError is errors.TimeoutError is errors.PlivoTimeoutError
    assert not issubclass(errors.PlivoTimeoutError, builtins.TimeoutError)
    assert "TimeoutError" not in vars(app)  # the gateway no longer imports the shadowing name
    assert "PlivoTimeoutError" in plivo_blocks.__all__
