"""The small elements run as Plivo runs them, driven by the official SDK against a real receiver on
loopback, on the manual clock: PreAnswer (early media, not billed), Hangup before the answer
(rejection) and on a schedule, DTMF, Message; documents refused with Plivo's cause for each kind of
URL; attributes Plivo ignores."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import plivo
import pytest
from answer_server import AnswerServer, answers_fixture, settle  # noqa: F401
from sandbox_server import Server

FROM, TO = "14155550100", "14155550111"


def outbound(client: plivo.RestClient, answers: AnswerServer, xml: str) -> str:
    answers.reply("/answer", xml)
    request_uuid = client.calls.create(
        from_=FROM, to_=TO, answer_url=answers.url("/answer"), hangup_url=answers.url("/hangup")
    ).request_uuid
    (answer,) = answers.wait_for("/answer", where=lambda r: r.params.get("RequestUUID") == request_uuid)
    return answer.params["CallUUID"]


def inbound(sandbox: Server, client: plivo.RestClient, answers: AnswerServer, xml: str) -> str:
    app = client.applications.create(
        app_name="in", answer_url=answers.url("/inbound"), hangup_url=answers.url("/hangup")
    )
    number = client.numbers.search(country_iso="US", type="local")[0].number
    client.numbers.buy(number, app_id=app.app_id)
    answers.reply("/inbound", xml)
    with sandbox.main_client() as control:
        received = control.post("/_sandbox/calls/inbound", json={"from": "15551230000", "to": number})
    assert received.status_code == 201, received.text
    uuid: str = received.json()["call_uuid"]
    return uuid


def view(sandbox: Server, call_uuid: str) -> dict[str, Any]:
    with sandbox.main_client() as control:
        shown: dict[str, Any] = control.get(f"/_sandbox/calls/{call_uuid}").json()
    return shown


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_preanswer_plays_early_media_before_an_incoming_call_is_answered(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    # Early media: 2 s of Speak (18 characters) and a 4 s Wait; then 1 s of Speak and a 10 s Wait.
    call_uuid = inbound(
        sandbox,
        main_sdk,
        answers,
        "<Response><PreAnswer><Speak>Calls are recorded</Speak><Wait length='4'/></PreAnswer>"
        "<Speak>Welcome</Speak><Wait length='10'/></Response>",
    )
    settle(sandbox)
    (answer,) = answers.requests_to("/inbound")
    # Plivo fetches an incoming call's answer URL while it rings; inbound calls carry no ALeg fields.
    assert answer.params["CallStatus"] == "ringing" and answer.params["Direction"] == "inbound"
    assert not {"ALegUUID", "ALegRequestUUID"} & set(answer.params)
    shown = view(sandbox, call_uuid)
    assert (shown["status"], shown["activity"]) == ("ringing", "speaking")
    assert [e["early_media"] for e in shown["log"] if e["event"] == "preanswer"] == [True]
    settle(sandbox, 5.9)
    assert view(sandbox, call_uuid)["status"] == "ringing"
    settle(sandbox, 0.1)
    assert view(sandbox, call_uuid)["status"] == "in-progress"
    settle(sandbox, 10.9)
    assert call_uuid in main_sdk.live_calls.list_ids().calls
    settle(sandbox, 0.1)
    (hangup,) = answers.wait_for("/hangup")
    assert hangup.params["CallStatus"] == "completed" and hangup.params["Duration"] == "11"
    assert hangup.params["BillDuration"] == "11" and not {"ALegUUID", "ALegRequestUUID"} & set(hangup.params)
    assert hangup.signed_by(sandbox.state.main_auth_token)
    record = main_sdk.calls.get(call_uuid)
    # Not billed for the early media: answered 6 s after it arrived, billed from the answer.
    assert (moment(record.answer_time) - moment(record.initiation_time)).total_seconds() == 6
    assert record.call_duration == 11 and record.bill_duration == 11


@pytest.mark.parametrize(
    ("element", "name", "code", "sip"),
    [
        ("<Hangup/>", "Rejected", "3020", "CALL_REJECTED"),  # Plivo's default reason when it comes first
        ('<Hangup reason="rejected"/>', "Rejected", "3020", "CALL_REJECTED"),
        ('<Hangup reason="busy"/>', "Busy Line", "3010", "USER_BUSY"),
        (
            '<PreAnswer><Wait length="3"/></PreAnswer><Hangup reason="busy"/>',
            "Busy Line",
            "3010",
            "USER_BUSY",
        ),
    ],
)
def test_hangup_before_the_answer_rejects_the_call(
    sandbox: Server,
    main_sdk: plivo.RestClient,
    answers: AnswerServer,
    element: str,
    name: str,
    code: str,
    sip: str,
) -> None:
    call_uuid = inbound(sandbox, main_sdk, answers, f"<Response>{element}<Speak>never</Speak></Response>")
    settle(sandbox, 5)
    (hangup,) = answers.wait_for("/hangup")
    assert (hangup.params["HangupCauseName"], hangup.params["HangupCauseCode"]) == (name, code)
    assert hangup.params["HangupSource"] == "Answer XML" and hangup.params["HangupCause"] == sip
    assert hangup.params["CallStatus"] == "completed" and hangup.params["AnswerTime"] == ""
    assert (hangup.params["Duration"], hangup.params["BillDuration"]) == ("0", "0")
    assert float(hangup.params["TotalCost"]) == 0
    record = main_sdk.calls.get(call_uuid)
    assert record.answer_time is None and record.bill_duration == 0 and float(record.total_amount) == 0
    assert (record.hangup_cause_name, record.hangup_cause_code) == (name, int(code))
    assert not [e for e in view(sandbox, call_uuid)["log"] if e["event"] == "speak"]


def test_hangup_on_an_answered_call_is_a_normal_hangup(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    call_uuid = outbound(
        main_sdk, answers, '<Response><Speak>Bye</Speak><Hangup reason="rejected"/></Response>'
    )
    settle(sandbox, 1)
    (hangup,) = answers.wait_for("/hangup")
    assert (hangup.params["HangupCauseName"], hangup.params["HangupSource"]) == (
        "Normal Hangup",
        "Answer XML",
    )
    assert hangup.params["CallStatus"] == "completed" and hangup.params["Duration"] == "1"
    assert main_sdk.calls.get(call_uuid).hangup_cause_code == 4000


def test_a_scheduled_hangup_ends_the_call_on_time(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    call_uuid = outbound(
        main_sdk, answers, '<Response><Hangup schedule="7"/><Speak loop="0">Please hold</Speak></Response>'
    )
    settle(sandbox, 6.9)
    assert call_uuid in main_sdk.live_calls.list_ids().calls
    settle(sandbox, 0.1)
    (hangup,) = answers.wait_for("/hangup")
    assert (hangup.params["HangupCauseName"], hangup.params["HangupCauseCode"]) == (
        "Scheduled Hangup",
        "6000",
    )
    assert hangup.params["Duration"] == "7"


@pytest.mark.parametrize(("async_", "seconds"), [("false", 4), ("true", 2)])
def test_dtmf_sends_tones_shown_in_the_call_log(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer, async_: str, seconds: int
) -> None:
    # 3 keys at 0.2 s, w (0.5 s) and W (1 s): 2.1 s, waited for only without async; then a 2 s Wait.
    call_uuid = outbound(
        main_sdk, answers, f'<Response><DTMF async="{async_}">12w3W</DTMF><Wait length="2"/></Response>'
    )
    settle(sandbox, seconds - 0.2)
    assert call_uuid in main_sdk.live_calls.list_ids().calls
    settle(sandbox, 0.5)
    (hangup,) = answers.wait_for("/hangup")
    assert hangup.params["Duration"] == str(seconds)
    (sent,) = [e for e in view(sandbox, call_uuid)["log"] if e["event"] == "dtmf_sent"]
    assert sent["digits"] == "12w3W" and sent["async_"] is (async_ == "true") and sent["seconds"] == 2.1


def test_message_sends_an_sms_owned_by_the_calls_account(
    sandbox: Server,
    main_sdk: plivo.RestClient,
    sdk: Callable[[str, str], plivo.RestClient],
    answers: AnswerServer,
) -> None:
    sub = main_sdk.subaccounts.create(name="support")
    as_sub = sdk(sub.auth_id, sub.auth_token)
    call_uuid = outbound(
        as_sub,
        answers,
        f'<Response><Message src="{FROM}" dst="{TO}&lt;447700900123" callbackUrl="{answers.url("/sms")}">'
        "Your code is 1234</Message><Wait length='2'/></Response>",
    )
    settle(sandbox, 3)
    sent = as_sub.messages.list()
    assert sorted(m.to_number for m in sent) == sorted(["447700900123", TO])
    assert {m.from_number for m in sent} == {FROM} and {m.message_direction for m in sent} == {"outbound"}
    uuids = {m.message_uuid for m in sent}
    reports = answers.wait_for(
        "/sms", 4, where=lambda r: r.params["Status"] in ("queued", "sent", "delivered")
    )
    assert {r.params["MessageUUID"] for r in reports} == uuids
    assert all(r.signed_by(sub.auth_token) for r in reports)
    (logged,) = [e for e in view(sandbox, call_uuid)["log"] if e["event"] == "message"]
    assert set(logged["message_uuids"]) == uuids
    assert main_sdk.calls.get(call_uuid).hangup_cause_name == "End Of XML Instructions"


def test_a_message_plivo_would_not_send_is_logged_and_the_call_goes_on(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    call_uuid = outbound(
        main_sdk,
        answers,
        f'<Response><Message src="{TO}" dst="{TO}">to myself</Message><Wait length="2"/></Response>',
    )
    settle(sandbox, 2)
    (failed,) = [e for e in view(sandbox, call_uuid)["log"] if e["event"] == "message_failed"]
    assert "cannot be same as source" in failed["error"]
    assert len(main_sdk.messages.list()) == 0
    (hangup,) = answers.wait_for("/hangup")
    assert hangup.params["Duration"] == "2"


BAD = "<Response><Speek>typo</Speek></Response>"


def test_a_refused_answer_ends_the_call_with_invalid_answer_xml(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    call_uuid = outbound(main_sdk, answers, BAD)
    settle(sandbox)
    (hangup,) = answers.wait_for("/hangup")
    assert (hangup.params["HangupCauseName"], hangup.params["HangupCauseCode"]) == (
        "Invalid Answer XML",
        "8011",
    )
    assert hangup.params["HangupSource"] == "Error"
    (invalid,) = [e for e in view(sandbox, call_uuid)["log"] if e["event"] == "answer_xml_invalid"]
    assert "unknown element <Speek>" in invalid["error"]


@pytest.mark.parametrize(
    ("media_type", "body", "complaint"),
    [
        ("text/html", "<Response><Speak>Hi</Speak></Response>", "Content-Type is text/html"),
        ("text/plain", "<Response><Speak>Hi</Speak></Response>", "Content-Type is text/plain"),
        ("application/xml", "<Response><Speak>" + "a" * 102400 + "</Speak></Response>", "at most 102400"),
    ],
)
def test_answers_plivo_does_not_take_are_refused(
    sandbox: Server,
    main_sdk: plivo.RestClient,
    answers: AnswerServer,
    media_type: str,
    body: str,
    complaint: str,
) -> None:
    answers.reply("/answer", body, media_type=media_type)
    main_sdk.calls.create(
        from_=FROM, to_=TO, answer_url=answers.url("/answer"), hangup_url=answers.url("/hangup")
    )
    settle(sandbox)
    call_uuid = answers.requests_to("/answer")[0].params["CallUUID"]
    (hangup,) = answers.wait_for("/hangup")
    assert hangup.params["HangupCauseCode"] == "8011"
    (invalid,) = [e for e in view(sandbox, call_uuid)["log"] if e["event"] == "answer_xml_invalid"]
    assert complaint in invalid["error"]


def test_text_xml_with_a_charset_is_taken(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", "<Response><Wait length='2'/></Response>", media_type="text/xml; charset=utf-8")
    main_sdk.calls.create(
        from_=FROM, to_=TO, answer_url=answers.url("/answer"), hangup_url=answers.url("/hangup")
    )
    settle(sandbox, 2)
    (hangup,) = answers.wait_for("/hangup")
    assert hangup.params["HangupCauseName"] == "End Of XML Instructions" and hangup.params["Duration"] == "2"


@pytest.mark.parametrize(
    ("first", "name", "code"),
    [
        ("<Redirect>{base}/bad</Redirect>", "Invalid Redirect XML", "8014"),
        (
            '<GetDigits action="{base}/bad" timeout="5"><Speak>Code?</Speak></GetDigits>',
            "Invalid Action XML",
            "8012",
        ),
        ('<Wait length="30"/>', "Invalid Transfer XML", "8013"),
    ],
)
def test_each_kind_of_url_has_its_invalid_xml_cause(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer, first: str, name: str, code: str
) -> None:
    answers.reply("/bad", BAD)
    call_uuid = outbound(main_sdk, answers, f"<Response>{first.format(base=answers.base_url)}</Response>")
    settle(sandbox, 1)
    if code == "8012":
        with sandbox.main_client() as control:
            assert control.post(f"/_sandbox/calls/{call_uuid}/digits", json={"digits": "42#"}).json()["taken"]
    if code == "8013":
        main_sdk.calls.update(call_uuid, legs="aleg", aleg_url=answers.url("/bad"))
    settle(sandbox)
    (fetched,) = answers.requests_to("/bad")
    expected_event = {"8014": "Redirect", "8013": "Transfer"}.get(code)
    assert fetched.params.get("Event") == expected_event
    if code == "8012":
        assert fetched.params["Digits"] == "42"
    (hangup,) = answers.wait_for("/hangup")
    assert (hangup.params["HangupCauseName"], hangup.params["HangupCauseCode"]) == (name, code)
    assert hangup.params["HangupSource"] == "Error"


def test_attributes_plivo_ignores_are_logged_and_their_defaults_apply(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    call_uuid = outbound(main_sdk, answers, '<Response><Wait Length="30"/></Response>')
    settle(sandbox, 1)
    (hangup,) = answers.wait_for("/hangup")
    assert hangup.params["Duration"] == "1"  # Length is not length: the 1 s default applies
    (ignored,) = [e for e in view(sandbox, call_uuid)["log"] if e["event"] == "xml_ignored"]
    assert (
        "attribute Length is ignored" in ignored["warning"] and "did you mean length?" in ignored["warning"]
    )


def test_callback_url_fragments_set_the_retries_and_are_never_sent(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", "<Response><Wait length='1'/></Response>")
    answers.reply("/hangup", statuses=[500, 503])
    main_sdk.calls.create(
        from_=FROM,
        to_=TO,
        answer_url=answers.url("/answer#ct=1000&rt=3000"),
        hangup_url=answers.url("/hangup?leg=a#rc=2&rp=5xx"),
    )
    settle(sandbox, 1)
    settle(sandbox, sandbox.state.settings.webhook_retry_seconds)
    settle(sandbox, sandbox.state.settings.webhook_retry_seconds)
    tries = answers.wait_for("/hangup", 3)
    assert all(t.url.endswith("/hangup?leg=a") and "#" not in t.url for t in tries)
    assert all(t.params["Event"] == "Hangup" for t in tries)
    (answer,) = answers.requests_to("/answer")
    assert "#" not in answer.url
