"""Calls through the official SDK: making them, their lifecycle and callbacks, live-call actions,
call detail records, hangups and cancellations."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal

import httpx
import plivo
import pytest
from answer_server import AnswerServer, answers_fixture, settle  # noqa: F401
from plivo import exceptions as plivo_errors
from sandbox_server import Server

from plivo_blocks.sandbox import tariffs

FROM, TO, TO2 = "14155550100", "14155550111", "442071838750"
LONG = (
    '<Response><GetDigits timeout="60" action="{action}"><Speak>Enter a code</Speak></GetDigits></Response>'
)


def call_path(sandbox: Server, suffix: str = "") -> str:
    return f"/v1/Account/{sandbox.state.main_auth_id}/Call/{suffix}"


def make_call(client: plivo.RestClient, answers: AnswerServer, to: str = TO, **extra: object) -> str:
    response = client.calls.create(
        from_=FROM,
        to_=to,
        answer_url=answers.url("/answer"),
        ring_url=answers.url("/ring"),
        hangup_url=answers.url("/hangup"),
        **extra,
    )
    return str(response.request_uuid)


def live_uuid(answers: AnswerServer, request_uuid: str) -> str:
    (answer,) = answers.wait_for("/answer", where=lambda r: r.params.get("RequestUUID") == request_uuid)
    return answer.params["CallUUID"]


def test_a_call_rings_is_answered_runs_its_xml_and_becomes_a_record(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", '<Response><Speak>Hello from the sandbox!</Speak><Wait length="3"/></Response>')
    request_uuid = make_call(main_sdk, answers, caller_name="Sandbox")
    assert uuid.UUID(request_uuid)
    settle(sandbox)
    (answer,) = answers.requests_to("/answer")
    assert answer.params["CallUUID"] in main_sdk.live_calls.list_ids().calls  # speaking, then waiting
    settle(sandbox, 2 + 2.9)
    assert answer.params["CallUUID"] in main_sdk.live_calls.list_ids().calls
    settle(sandbox, 0.1)
    token = sandbox.state.main_auth_token

    (ring,) = answers.requests_to("/ring")
    (answer,) = answers.requests_to("/answer")
    (hangup,) = answers.wait_for("/hangup")
    call_uuid = answer.params["CallUUID"]
    assert ring.params["Event"] == "Ring" and ring.params["CallStatus"] == "ringing"
    assert answer.params["Event"] == "StartApp" and answer.params["CallStatus"] == "in-progress"
    assert answer.params["From"] == FROM and answer.params["To"] == TO
    assert answer.params["Direction"] == "outbound" and answer.params["RequestUUID"] == request_uuid
    assert answer.params["CallerName"] == "Sandbox" and ring.params["CallUUID"] == call_uuid
    assert hangup.params["Event"] == "Hangup" and hangup.params["CallStatus"] == "completed"
    assert hangup.params["HangupCauseName"] == "End Of XML Instructions"
    assert hangup.params["HangupCauseCode"] == "4010" and hangup.params["HangupSource"] == "Plivo"
    for received in (ring, answer, hangup):
        assert received.signed_by(token) and received.signed_by(token, main=True)
        assert not received.signed_by("not-the-token")

    record = main_sdk.calls.get(call_uuid)
    # 2 s of Speak (22 characters at 15 a second) and 3 s of Wait, on the sandbox clock.
    assert record.call_duration == 5 and record.bill_duration == record.call_duration
    assert record.billed_duration == 60 and int(hangup.params["Duration"]) == record.call_duration
    rate = tariffs.voice_rate(TO, "outbound")
    assert Decimal(record.total_rate) == rate and Decimal(record.total_amount) == rate
    assert record.from_number == "+" + FROM and record.to_number == TO
    assert record.call_direction == "outbound" and record.answer_time and record.end_time
    assert record.resource_uri == call_path(sandbox, f"{call_uuid}/")
    assert record.hangup_cause_code == 4010


def test_bulk_calls_get_one_request_uuid_per_destination(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", "<Response><Hangup/></Response>")
    response = main_sdk.calls.create(
        from_=FROM, to_=f"{TO}<{TO2}<sip:alice@phone.plivo.com", answer_url=answers.url("/answer")
    )
    request_uuids = response.request_uuid
    assert isinstance(request_uuids, list) and len(set(request_uuids)) == 3
    settle(sandbox)
    called = {r.params["To"]: r.params["RequestUUID"] for r in answers.requests_to("/answer")}
    assert set(called) == {TO, TO2, "sip:alice@phone.plivo.com"}
    assert set(called.values()) == set(request_uuids)
    records = main_sdk.calls.list(limit=20)
    assert {r.to_number for r in records} == set(called)
    # hangup_url defaults to answer_url: each call's hangup arrived there too.
    hangups = answers.wait_for("/answer", 3, where=lambda r: r.params.get("Event") == "Hangup")
    assert {h.params["HangupSource"] for h in hangups} == {"Answer XML"}


@pytest.mark.parametrize(
    ("params", "complaint"),
    [
        ({"to": TO, "answer_url": "https://example.com/a"}, "from"),
        ({"from": FROM, "answer_url": "https://example.com/a"}, "to"),
        ({"from": FROM, "to": TO}, "answer_url"),
        ({"from": FROM, "to": TO, "answer_url": "ftp://example.com/a"}, "answer_url"),
        ({"from": FROM, "to": f"{TO}<not-a-number", "answer_url": "https://example.com/a"}, "to"),
        ({"from": FROM, "to": FROM, "answer_url": "https://example.com/a"}, "same"),
        ({"from": FROM, "to": TO, "answer_url": "https://example.com/a", "time_limit": "0"}, "time_limit"),
        (
            {"from": FROM, "to": TO, "answer_url": "https://example.com/a", "answer_method": "PUT"},
            "answer_method",
        ),
    ],
)
def test_make_call_is_validated_like_plivo(sandbox: Server, params: dict[str, str], complaint: str) -> None:
    with sandbox.main_client() as client:
        answer = client.post(call_path(sandbox), data=params)
    assert answer.status_code == 400
    body = answer.json()
    assert set(body) == {"api_id", "error"} and complaint in body["error"]


def test_live_calls_and_the_actions_on_them(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", LONG.format(action=answers.url("/digits")))
    answers.reply("/moved", "<Response><Speak>moved</Speak><Hangup/></Response>")
    request_uuid = make_call(main_sdk, answers)
    settle(sandbox, 1)  # past the prompt: waiting for digits
    call_uuid = live_uuid(answers, request_uuid)

    assert call_uuid in main_sdk.live_calls.list_ids().calls
    live = main_sdk.live_calls.get(call_uuid)
    assert (live.call_status, live.direction, live.to, live.request_uuid) == (
        "in-progress",
        "outbound",
        TO,
        request_uuid,
    )
    assert live["from"] == "+" + FROM
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        main_sdk.calls.get(call_uuid)  # no detail record while it is live

    assert main_sdk.calls.play(call_uuid, urls="https://example.com/music.mp3").message == "play started"
    main_sdk.calls.stop_playing(call_uuid)
    assert main_sdk.calls.speak(call_uuid, text="Please hold").message == "speak started"
    main_sdk.calls.stop_speaking(call_uuid)
    assert main_sdk.calls.send_digits(call_uuid, digits="9#", leg="aleg").message == "digits sent"
    settle(sandbox)
    (digits,) = answers.wait_for("/digits")
    assert digits.params["Digits"] == "9" and digits.params["CallUUID"] == call_uuid

    # /digits answered <Response/>, so the call ended at the end of that document.
    settle(sandbox)
    assert call_uuid not in main_sdk.live_calls.list_ids().calls
    assert main_sdk.calls.get(call_uuid).hangup_cause_name == "End Of XML Instructions"

    request_uuid = make_call(main_sdk, answers)
    second = live_uuid(answers, request_uuid)
    settle(sandbox)
    assert (
        main_sdk.calls.transfer(second, legs="aleg", aleg_url=answers.url("/moved")).message
        == "call transfered"
    )
    settle(sandbox, 1)
    answers.wait_for("/moved")
    assert main_sdk.calls.get(second).hangup_source == "Answer XML"


def test_actions_on_ended_or_unknown_calls_are_404(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", "<Response><Hangup/></Response>")
    call_uuid = live_uuid(answers, make_call(main_sdk, answers))
    settle(sandbox)
    for dead in (call_uuid, str(uuid.uuid4())):
        with pytest.raises(plivo_errors.ResourceNotFoundError):
            main_sdk.live_calls.get(dead)
        with pytest.raises(plivo_errors.ResourceNotFoundError):
            main_sdk.calls.play(dead, urls="https://example.com/a.mp3")
        with pytest.raises(plivo_errors.ResourceNotFoundError):
            main_sdk.calls.speak(dead, text="hi")
        with pytest.raises(plivo_errors.ResourceNotFoundError):
            main_sdk.calls.send_digits(dead, digits="1")
        with pytest.raises(plivo_errors.ResourceNotFoundError):
            main_sdk.calls.record(dead)
        with pytest.raises(plivo_errors.ResourceNotFoundError):
            main_sdk.calls.transfer(dead, legs="aleg", aleg_url="https://example.com/x")
    with sandbox.main_client() as client:
        for method, suffix in [
            ("DELETE", f"{call_uuid}/"),
            ("DELETE", f"{call_uuid}/Play/"),
            ("DELETE", f"{call_uuid}/Speak/"),
            ("DELETE", f"{call_uuid}/Record/"),
        ]:
            answer = client.request(method, call_path(sandbox, suffix))
            assert answer.status_code == 404 and set(answer.json()) == {"api_id", "error"}
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        main_sdk.calls.get(str(uuid.uuid4()))


def test_hangup_single_and_all_calls(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", LONG.format(action=answers.url("/digits")))
    uuids = [live_uuid(answers, make_call(main_sdk, answers, to=to)) for to in (TO, TO2, "15005550006")]
    settle(sandbox)
    main_sdk.calls.hangup(uuids[0])
    assert set(main_sdk.live_calls.list_ids().calls) == set(uuids[1:])
    with sandbox.main_client() as client:
        assert client.delete(call_path(sandbox)).status_code == 204
    assert main_sdk.live_calls.list_ids().calls == []
    settle(sandbox)
    hangups = answers.wait_for("/hangup", 3)
    assert {h.params["HangupSource"] for h in hangups} == {"API Request"}
    assert {h.params["HangupCauseName"] for h in hangups} == {"Normal Hangup"}
    assert all(main_sdk.calls.get(u).hangup_cause_code == 4000 for u in uuids)


def test_hangup_call_request_cancels_a_call_not_yet_answered(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    with sandbox.main_client() as control:
        assert control.post("/_sandbox/calls/hold", json={"state": "ringing"}).status_code == 202
        request_uuid = make_call(main_sdk, answers)
        answered_request = make_call(main_sdk, answers, to=TO2)
        settle(sandbox)
        (held,) = [
            c for c in control.get("/_sandbox/calls").json()["objects"] if c["request_uuid"] == request_uuid
        ]
        assert held["status"] == "ringing" and held["held"] is True
        main_sdk.calls.cancel(request_uuid)
        with pytest.raises(plivo_errors.ResourceNotFoundError):
            main_sdk.calls.cancel(request_uuid)
        settle(sandbox)
        (hangup,) = answers.wait_for("/hangup")
        assert hangup.params["CallStatus"] == "canceled" and hangup.params["HangupCauseName"] == "Canceled"
        assert hangup.params["HangupCauseCode"] == "1000" and hangup.params["Duration"] == "0"
        record = main_sdk.calls.get(held["call_uuid"])
        assert record.answer_time is None and record.bill_duration == 0 and record.total_amount == "0.00000"
        assert not answers.requests_to("/answer")  # never answered, never fetched

        # Releasing the hold answers the other call; an answered call's request cannot be cancelled.
        answers.reply("/answer", LONG.format(action=answers.url("/digits")))
        assert control.delete("/_sandbox/calls/hold").json()["released"] == 1
        settle(sandbox)
        live_uuid(answers, answered_request)
        with pytest.raises(plivo_errors.ResourceNotFoundError):
            main_sdk.calls.cancel(answered_request)
        with pytest.raises(plivo_errors.ResourceNotFoundError):
            main_sdk.calls.cancel(str(uuid.uuid4()))


def test_fallback_url_is_used_when_the_answer_url_fails(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", "oops", status=500)
    answers.reply("/fallback", "<Response><Speak>fallback speaking</Speak></Response>")
    call_uuid_request = make_call(main_sdk, answers, fallback_url=answers.url("/fallback"))
    settle(sandbox)
    (fallback,) = answers.wait_for("/fallback")
    assert fallback.params["RequestUUID"] == call_uuid_request and fallback.params["Event"] == "StartApp"
    # An error answer is not retried by Plivo's default policy (rp=ct,rt): fallback_url at once.
    assert len([r for r in answers.requests_to("/answer") if r.params["Event"] == "StartApp"]) == 1
    settle(sandbox, 2)
    assert answers.wait_for("/hangup")[0].params["HangupCauseName"] == "End Of XML Instructions"


@pytest.mark.parametrize(
    ("reply", "cause", "code"),
    [
        ({"xml": "nope", "status": 503}, "Error Reaching Answer URL", "7011"),
        ({"xml": "<Response><Speak>unclosed</Response>"}, "Invalid Answer XML", "8011"),
        ({"xml": "<html>not plivo</html>"}, "Invalid Answer XML", "8011"),
    ],
)
def test_answer_failures_without_fallback_hang_up_with_plivos_cause(
    sandbox: Server,
    main_sdk: plivo.RestClient,
    answers: AnswerServer,
    reply: dict[str, object],
    cause: str,
    code: str,
) -> None:
    answers.reply("/answer", **reply)  # type: ignore[arg-type]
    make_call(main_sdk, answers)
    settle(sandbox)
    (hangup,) = answers.wait_for("/hangup")
    assert (hangup.params["HangupCauseName"], hangup.params["HangupCauseCode"]) == (cause, code)
    assert hangup.params["HangupSource"] == "Error"


def test_time_limit_ends_the_call_at_exactly_the_limit(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", '<Response><Wait length="100"/><Speak>never</Speak></Response>')
    call_uuid = live_uuid(answers, make_call(main_sdk, answers, time_limit=10))
    settle(sandbox, 9.9)
    assert call_uuid in main_sdk.live_calls.list_ids().calls
    settle(sandbox, 0.1)
    record = main_sdk.calls.get(call_uuid)
    assert record.call_duration == 10 and record.hangup_cause_name == "Scheduled Hangup"
    assert answers.wait_for("/hangup")[0].params["HangupCauseCode"] == "6000"


def test_call_records_filter_and_page(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", '<Response><Wait length="70"/></Response>')
    for to in (TO, TO2, "15005550006"):
        make_call(main_sdk, answers, to=to)
    settle(sandbox, 70)
    assert len(main_sdk.calls.list()) == 3
    assert [r.to_number for r in main_sdk.calls.list(to_number=TO2)] == [TO2]
    assert len(main_sdk.calls.list(call_direction="outbound")) == 3
    assert len(main_sdk.calls.list(call_direction="inbound")) == 0
    page = main_sdk.calls.list(limit=2, offset=0)
    rest = main_sdk.calls.list(limit=2, offset=2)
    assert len(page) == 2 and len(rest) == 1
    assert {r.call_uuid for r in page}.isdisjoint({r.call_uuid for r in rest})
    with sandbox.main_client() as client:
        body = client.get(call_path(sandbox), params={"limit": 2}).json()
        assert body["meta"]["total_count"] == 3 and body["meta"]["next"].endswith("offset=2")
        assert client.get(call_path(sandbox), params={"limit": 21}).status_code == 400
        longer = client.get(call_path(sandbox), params={"bill_duration__gt": 69}).json()
        shorter = client.get(call_path(sandbox), params={"bill_duration__lt": 69}).json()
        assert (longer["meta"]["total_count"], shorter["meta"]["total_count"]) == (3, 0)
        assert client.get(call_path(sandbox), params={"end_time__gt": "yesterday"}).status_code == 400
        future = client.get(call_path(sandbox), params={"end_time__gt": "2999-01-01 00:00:00"}).json()
        assert future["meta"]["total_count"] == 0


def test_subaccounts_see_only_their_calls(
    sandbox: Server,
    main_sdk: plivo.RestClient,
    sdk: Callable[[str, str], plivo.RestClient],
    answers: AnswerServer,
) -> None:
    answers.reply("/answer", LONG.format(action=answers.url("/digits")))
    first = main_sdk.subaccounts.create("first", enabled=True)
    other = main_sdk.subaccounts.create("other", enabled=True)
    sub = sdk(first.auth_id, first.auth_token)
    stranger = sdk(other.auth_id, other.auth_token)
    call_uuid = live_uuid(answers, make_call(sub, answers))
    settle(sandbox)
    (answer,) = answers.requests_to("/answer")
    # Signed with the subaccount's token, and (Ma variants) with the main account's.
    assert answer.signed_by(first.auth_token) and answer.signed_by(sandbox.state.main_auth_token, main=True)
    assert not answer.signed_by(sandbox.state.main_auth_token)

    assert call_uuid in sub.live_calls.list_ids().calls
    assert call_uuid in main_sdk.live_calls.list_ids().calls
    assert call_uuid not in stranger.live_calls.list_ids().calls
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        stranger.calls.hangup(call_uuid)
    sub.calls.hangup(call_uuid)
    settle(sandbox)
    assert sub.calls.get(call_uuid).call_uuid == call_uuid
    assert main_sdk.calls.get(call_uuid).call_uuid == call_uuid
    assert [r.call_uuid for r in main_sdk.calls.list(subaccount=first.auth_id)] == [call_uuid]
    assert len(main_sdk.calls.list(subaccount=other.auth_id)) == 0
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        stranger.calls.get(call_uuid)


def test_transfer_needs_a_url_for_the_leg(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", LONG.format(action=answers.url("/digits")))
    call_uuid = live_uuid(answers, make_call(main_sdk, answers))
    settle(sandbox)
    with sandbox.main_client() as client:
        answer = client.post(call_path(sandbox, f"{call_uuid}/"), data={"legs": "aleg"})
        assert answer.status_code == 400 and "aleg_url" in answer.json()["error"]
        answer = client.post(
            call_path(sandbox, f"{call_uuid}/"), data={"legs": "sideways", "aleg_url": "https://x.io"}
        )
        assert answer.status_code == 400
    main_sdk.calls.hangup(call_uuid)


def test_raw_http_answers_use_plivos_status_codes(sandbox: Server, answers: AnswerServer) -> None:
    answers.reply("/answer", LONG.format(action=answers.url("/digits")))
    with sandbox.main_client() as client:
        created = client.post(
            call_path(sandbox), json={"from": FROM, "to": TO, "answer_url": answers.url("/answer")}
        )
        assert created.status_code == 201 and created.json()["message"] == "call fired"
        call_uuid = live_uuid(answers, created.json()["request_uuid"])
        settle(sandbox)
        played = client.post(call_path(sandbox, f"{call_uuid}/Play/"), json={"urls": "https://x.io/a.mp3"})
        assert played.status_code == 202
        assert client.delete(call_path(sandbox, f"{call_uuid}/Play/")).status_code == 204
        live = client.get(call_path(sandbox, f"{call_uuid}/"), params={"status": "live"})
        assert live.status_code == 200 and live.json()["call_uuid"] == call_uuid
        assert client.delete(call_path(sandbox, f"{call_uuid}/")).status_code == 204
        assert isinstance(httpx.get(sandbox.url + "/_sandbox/health").json(), dict)


def test_hangup_on_ring_zero_ends_the_call_while_it_rings(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    make_call(main_sdk, answers, hangup_on_ring=0)
    settle(sandbox)
    (ring,) = answers.requests_to("/ring")
    (hangup,) = answers.wait_for("/hangup")
    assert hangup.params["CallUUID"] == ring.params["CallUUID"]
    assert hangup.params["HangupCauseName"] == "Scheduled Hangup" and hangup.params["Duration"] == "0"
    assert not answers.requests_to("/answer")
    assert main_sdk.calls.get(ring.params["CallUUID"]).answer_time is None


def test_the_sandbox_can_serve_the_answer_xml_itself(sandbox: Server, main_sdk: plivo.RestClient) -> None:
    from urllib.parse import quote

    xml = "<Response><Speak>Hold on</Speak><Conference>self-served</Conference></Response>"
    answer_url = f"{sandbox.url}/_sandbox/xml?xml={quote(xml)}"
    served = httpx.get(answer_url)  # no credentials needed, as for any answer_url
    assert served.status_code == 200 and served.text == xml
    assert served.headers["content-type"].startswith("application/xml")
    assert httpx.get(f"{sandbox.url}/_sandbox/xml?xml={quote('<html/>')}").status_code == 400

    main_sdk.calls.create(from_=FROM, to_=TO, answer_url=answer_url)
    settle(sandbox, 1)
    (member,) = main_sdk.conferences.get("self-served").members
    assert member.call_uuid in main_sdk.live_calls.list_ids().calls
    main_sdk.conferences.hangup("self-served")
    settle(sandbox)
    assert main_sdk.calls.get(member.call_uuid).hangup_source == "API Request"
