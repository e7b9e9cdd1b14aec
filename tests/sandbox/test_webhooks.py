"""The webhook outbox: Plivo's retry policy (defaults and the URL fragments), retries on the sandbox
clock, the delivery log, timeouts, GET callbacks, slow receivers that never stall the API, and
pending deliveries surviving a restart."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import plivo
from answer_server import AnswerServer, answers_fixture, settle  # noqa: F401
from sandbox_server import Server
from starlette.applications import Starlette

from plivo_blocks.sandbox import SandboxSettings, create_app
from plivo_blocks.sandbox.store import Tx
from plivo_blocks.sandbox.webhooks.delivery import Callback

FROM, TO = "14155550100", "14155550111"
HANGUP_XML = "<Response><Hangup/></Response>"


def call(client: httpx.Client, sandbox: Server, answers: AnswerServer, **urls: str) -> str:
    params = {"from": FROM, "to": TO, "answer_url": answers.url("/answer"), **urls}
    answer = client.post(f"/v1/Account/{sandbox.state.main_auth_id}/Call/", json=params)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["request_uuid"])


def deliveries(client: httpx.Client, **filters: str) -> list[dict[str, Any]]:
    answer = client.get("/_sandbox/webhooks", params=filters)
    assert answer.status_code == 200
    objects: list[dict[str, Any]] = answer.json()["objects"]
    return objects


def flush(client: httpx.Client) -> None:
    assert client.post("/_sandbox/webhooks/flush", json={"timeout": 10}).json()["idle"] is True


def closed_port_url() -> str:
    """A loopback URL where nothing listens: connecting fails at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/nobody"


def test_the_fragment_asks_for_retries_on_5xx_and_they_follow_the_clock(
    sandbox: Server, answers: AnswerServer
) -> None:
    answers.reply("/answer", HANGUP_XML)
    answers.reply("/flaky", statuses=[500, 503])
    with sandbox.main_client() as client:
        client.patch("/_sandbox/settings", json={"webhook_retry_seconds": 5}).raise_for_status()
        call(client, sandbox, answers, hangup_url=answers.url("/flaky") + "#rc=3&rp=5xx")
        settle(sandbox)
        assert len(answers.requests_to("/flaky")) == 1  # the retry waits 5 s of sandbox time
        settle(sandbox, 4.9)
        assert len(answers.requests_to("/flaky")) == 1
        settle(sandbox, 0.1)
        assert len(answers.requests_to("/flaky")) == 2
        settle(sandbox, 5)
        attempts = answers.requests_to("/flaky")
        (logged,) = deliveries(client, kind="hangup")
    assert [a.params["Event"] for a in attempts] == ["Hangup"] * 3
    # Each attempt is signed afresh: new nonces, each signature valid.
    assert len({a.headers["x-plivo-signature-v3-nonce"] for a in attempts}) == 3
    assert all(a.signed_by(sandbox.state.main_auth_token) for a in attempts)
    assert logged["status"] == "delivered" and logged["attempts"] == 3 and logged["last_status"] == 200
    assert logged["url"] == answers.url("/flaky") + "#rc=3&rp=5xx" and logged["params"]["Event"] == "Hangup"
    assert logged["last_error"] is None and logged["delivered_at"]
    assert [t["status"] for t in logged["tries"]] == [500, 503, 200]
    assert all(t["request_headers"]["X-Plivo-Signature-V3"] for t in logged["tries"])


def test_by_default_an_error_answer_is_not_retried(sandbox: Server, answers: AnswerServer) -> None:
    answers.reply("/answer", HANGUP_XML)
    answers.reply("/broken", status=500)
    with sandbox.main_client() as client:
        call(client, sandbox, answers, hangup_url=answers.url("/broken"))
        settle(sandbox, 60)
        (logged,) = deliveries(client, kind="hangup", status="failed")
        assert deliveries(client, kind="hangup", status="delivered") == []
    assert logged["attempts"] == 1 and logged["last_error"] == "HTTP 500"
    assert len(answers.requests_to("/broken")) == 1


def test_by_default_a_connection_failure_is_retried_once(sandbox: Server, answers: AnswerServer) -> None:
    answers.reply("/answer", HANGUP_XML)
    with sandbox.main_client() as client:
        call(client, sandbox, answers, hangup_url=closed_port_url())
        settle(sandbox)
        (pending,) = deliveries(client, kind="hangup")
        assert (pending["status"], pending["attempts"]) == ("pending", 1)
        settle(sandbox, 60)
        (logged,) = deliveries(client, kind="hangup")
    assert (logged["status"], logged["attempts"]) == ("failed", 2)
    assert "Connect" in logged["last_error"]


def test_rc_0_gives_up_at_once(sandbox: Server, answers: AnswerServer) -> None:
    answers.reply("/answer", HANGUP_XML)
    with sandbox.main_client() as client:
        call(client, sandbox, answers, hangup_url=closed_port_url() + "#rc=0")
        settle(sandbox)
        (logged,) = deliveries(client, kind="hangup")
    assert (logged["status"], logged["attempts"]) == ("failed", 1)


def test_a_slow_receiver_never_stalls_the_api(sandbox: Server, answers: AnswerServer) -> None:
    release = threading.Event()
    answers.reply("/answer", HANGUP_XML)
    answers.reply("/slow", hold=release)
    try:
        with sandbox.main_client() as client:
            # Four calls at once: more than Plivo's 2 calls per second, which is not what this is about.
            client.patch("/_sandbox/settings", json={"calls_per_second": 0}).raise_for_status()
            call(client, sandbox, answers, ring_url=answers.url("/slow"))
            answers.wait_for("/slow")  # the ring callback is now stuck in the receiver
            # Meanwhile the API answers, calls are made and run to their end, other callbacks flow.
            for _ in range(3):
                call(client, sandbox, answers, hangup_url=answers.url("/quick"))
            answers.wait_for("/quick", 3)
            accounts = client.get(f"/v1/Account/{sandbox.state.main_auth_id}/")
            assert accounts.status_code == 200
            (stuck,) = deliveries(client, kind="ring")
            assert stuck["status"] == "pending" and stuck["attempts"] == 0
            assert client.post("/_sandbox/webhooks/flush", json={"timeout": 0.05}).json()["idle"] is False
            release.set()
            flush(client)
            (done,) = deliveries(client, kind="ring")
            assert done["status"] == "delivered"
    finally:
        release.set()


def test_a_slow_answer_url_holds_only_its_own_call(sandbox: Server, answers: AnswerServer) -> None:
    release = threading.Event()
    answers.reply("/answer", HANGUP_XML, hold=release)
    try:
        with sandbox.main_client() as client:
            request_uuid = call(client, sandbox, answers)
            answers.wait_for("/answer")
            (live,) = client.get("/_sandbox/calls", params={"live": "true"}).json()["objects"]
            assert live["request_uuid"] == request_uuid and live["activity"] == "fetching answer URL"
            assert client.get(f"/v1/Account/{sandbox.state.main_auth_id}/Call/").status_code == 200
            release.set()
            settle(sandbox)
            assert client.get("/_sandbox/calls", params={"live": "true"}).json()["objects"] == []
    finally:
        release.set()


def test_a_receiver_past_the_read_timeout_counts_as_a_failure(sandbox: Server, answers: AnswerServer) -> None:
    release = threading.Event()
    answers.reply("/answer", HANGUP_XML)
    answers.reply("/hanging", hold=release)
    try:
        with sandbox.main_client() as client:
            client.patch("/_sandbox/settings", json={"webhook_retry_seconds": 3600}).raise_for_status()
            # Plivo's read timeout for this URL: 200 ms (#rt), then one retry (the default policy).
            call(client, sandbox, answers, hangup_url=answers.url("/hanging") + "#rt=200")
            settle(sandbox)
            (logged,) = deliveries(client, kind="hangup")
        assert logged["status"] == "pending" and logged["last_error"] == "timeout"
        assert logged["attempts"] == 1 and 150 < logged["tries"][0]["latency_ms"] < 5000
    finally:
        release.set()


def test_get_callbacks_carry_their_parameters_in_the_query(sandbox: Server, answers: AnswerServer) -> None:
    answers.reply("/answer", HANGUP_XML)
    with sandbox.main_client() as client:
        call(client, sandbox, answers, hangup_url=answers.url("/by-get?source=sandbox"), hangup_method="GET")
        (hangup,) = answers.wait_for("/by-get")
    assert (
        hangup.method == "GET" and hangup.params["Event"] == "Hangup" and hangup.params["source"] == "sandbox"
    )
    assert hangup.signed_by(sandbox.state.main_auth_token)
    assert hangup.signed_by(sandbox.state.main_auth_token, main=True)


def test_pending_deliveries_survive_a_restart(
    tmp_path: Path, serve: Callable[[Starlette], Server], answers: AnswerServer
) -> None:
    database = str(tmp_path / "sandbox.db")
    answers.reply("/answer", HANGUP_XML)
    answers.reply("/later", statuses=[500])
    first = serve(create_app(database, settings=SandboxSettings(webhook_retry_seconds=3600)))
    with first.main_client() as client:
        call(client, first, answers, hangup_url=answers.url("/later") + "#rp=5xx")
        answers.wait_for("/later")
        for _ in range(200):
            (logged,) = deliveries(client, kind="hangup")
            if logged["attempts"] == 1:
                break
            threading.Event().wait(0.02)
        assert logged["status"] == "pending"
    first.stop()

    second = serve(create_app(database))
    assert second.state.main_auth_id == first.state.main_auth_id
    answers.wait_for("/later", 2)
    with second.main_client() as client:
        flush(client)
        (logged,) = deliveries(client, kind="hangup")
    assert logged["status"] == "delivered" and logged["attempts"] == 2


def test_a_callback_committed_with_its_change_but_never_tried_is_delivered_after_a_restart(
    tmp_path: Path, serve: Callable[[Starlette], Server], answers: AnswerServer
) -> None:
    """The crash window the outbox closes: a callback is written in the same transaction as the
    change it reports, so a sandbox that dies after that commit and before its first try (here: it
    never starts; the transaction commits and nothing dispatches it) still delivers it."""
    database = str(tmp_path / "sandbox.db")
    crashed = create_app(database)
    state = crashed.state.sandbox
    callback = Callback.of(
        answers.url("/status"),
        "POST",
        {"Status": "queued", "MessageUUID": "m-1"},
        auth_id=state.main_auth_id,
        kind="message_status",
        ref="m-1",
    )

    def change_and_its_callback(tx: Tx) -> None:
        tx.insert("thing", "changed", state.main_auth_id, {"n": 1})
        state.outbox.enqueue(tx, callback)

    state.store.run_sync(change_and_its_callback)
    state.store.close()  # the process is gone: no try was made
    assert answers.requests_to("/status") == []

    second = serve(create_app(database))
    (request,) = answers.wait_for("/status", 1)
    assert request.params["Status"] == "queued" and request.params["MessageUUID"] == "m-1"
    assert request.signed_by(second.state.main_auth_token)
    with second.main_client() as client:
        flush(client)
        (logged,) = deliveries(client, kind="message_status")
    assert logged["status"] == "delivered" and logged["attempts"] == 1


def test_the_delivery_log_lists_fetches_and_filters(sandbox: Server, answers: AnswerServer) -> None:
    answers.reply("/answer", HANGUP_XML)
    with sandbox.main_client() as client:
        call(client, sandbox, answers, ring_url=answers.url("/ring"), hangup_url=answers.url("/hangup"))
        answers.wait_for("/hangup")
        flush(client)
        kinds = sorted(d["kind"] for d in deliveries(client))
        assert kinds == ["answer", "hangup", "ring"]
        (answer,) = deliveries(client, kind="answer")
        assert answer["status"] == "delivered" and answer["last_status"] == 200
        assert [d["kind"] for d in deliveries(client, url="/ring")] == ["ring"]
        assert deliveries(client, auth_id="SAUNKNOWN00000000000") == []
        assert client.get("/_sandbox/webhooks", params={"limit": 50}).status_code == 400
        anonymous = httpx.get(sandbox.url + "/_sandbox/webhooks")
        assert anonymous.status_code == 401


def test_the_sdk_sees_callbacks_signed_for_the_sdk_validator(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    from plivo.utils import validate_signature, validate_v3_signature

    answers.reply("/answer", HANGUP_XML)
    main_sdk.calls.create(from_=FROM, to_=TO, answer_url=answers.url("/answer"))
    settle(sandbox)
    token = sandbox.state.main_auth_token
    for received in answers.requests_to("/answer"):
        headers = received.headers
        assert validate_signature(
            received.url, headers["x-plivo-signature-v2-nonce"], headers["x-plivo-signature-v2"], token
        )
        assert validate_v3_signature(
            "POST",
            received.url,
            headers["x-plivo-signature-v3-nonce"],
            token,
            headers["x-plivo-signature-v3"],
            dict(received.params),
        )
