"""Issue 8's first "done when", driven by the official Python SDK with only its base URL changed, on the
manual clock: a call answered with Speak then ``<Wait length="30"/>`` stays live until the clock
passes the Wait and leaves the live list then; while live it is played to, spoken to, recorded, sent
DTMF and transferred; hung up, its CDR's duration is what the clock says."""

from __future__ import annotations

import plivo
from answer_server import AnswerServer, answers_fixture, settle  # noqa: F401
from sandbox_server import Server

FROM = "14155550100"
ANSWER = "<Response><Speak>Hello</Speak><Wait length='30'/></Response>"  # 1 s of Speak, then 30 s


def test_a_call_lives_as_long_as_its_xml_and_takes_every_live_call_action(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", ANSWER)
    answers.reply("/moved", "<Response><Wait length='20'/></Response>")

    first = main_sdk.calls.create(
        from_=FROM, to_="14155550111", answer_url=answers.url("/answer"), hangup_url=answers.url("/hangup")
    ).request_uuid
    settle(sandbox)
    (answer,) = answers.wait_for("/answer", where=lambda r: r.params["RequestUUID"] == first)
    waiting = answer.params["CallUUID"]
    assert waiting in main_sdk.live_calls.list_ids().calls
    settle(sandbox, 30.9)  # still in the Wait
    assert main_sdk.live_calls.get(waiting).call_status == "in-progress"
    settle(sandbox, 0.1)  # the Wait is over: the XML ended, and so did the call
    assert waiting not in main_sdk.live_calls.list_ids().calls
    ended = main_sdk.calls.get(waiting)
    assert ended.call_duration == 31 and ended.hangup_cause_name == "End Of XML Instructions"

    second = main_sdk.calls.create(
        from_=FROM, to_="14155550122", answer_url=answers.url("/answer"), hangup_url=answers.url("/hangup")
    ).request_uuid
    settle(sandbox)
    (answer,) = answers.wait_for("/answer", where=lambda r: r.params["RequestUUID"] == second)
    live = answer.params["CallUUID"]
    settle(sandbox, 5)
    assert main_sdk.calls.play(live, urls="https://example.com/hold.mp3").message == "play started"
    main_sdk.calls.stop_playing(live)
    assert main_sdk.calls.speak(live, text="Please hold").message == "speak started"
    main_sdk.calls.stop_speaking(live)
    recording = main_sdk.calls.record(live, file_format="wav", callback_url=answers.url("/recorded"))
    assert recording.message == "call recording started"
    settle(sandbox, 4)
    main_sdk.calls.record_stop(live)
    assert main_sdk.calls.send_digits(live, digits="123").message == "digits sent"
    assert (
        main_sdk.calls.transfer(live, legs="aleg", aleg_url=answers.url("/moved")).message
        == "call transfered"
    )
    settle(sandbox)
    (moved,) = answers.wait_for("/moved")
    assert moved.params["CallUUID"] == live and moved.params["Event"] == "Transfer"
    settle(sandbox, 10)  # in the transfer's 20 s Wait
    assert live in main_sdk.live_calls.list_ids().calls
    main_sdk.calls.hangup(live)
    settle(sandbox)
    assert live not in main_sdk.live_calls.list_ids().calls

    record = main_sdk.calls.get(live)
    assert record.call_duration == 19  # 5 + 4 + 10 seconds of sandbox time
    assert record.hangup_cause_name == "Normal Hangup" and record.hangup_source == "API Request"
    (recorded,) = answers.wait_for("/recorded")
    assert recorded.params["recording_duration"] == "4" and recorded.params["call_uuid"] == live
    assert main_sdk.recordings.get(recording.recording_id).recording_duration_ms == "4000.00000"
    hangup = answers.wait_for("/hangup", 2)[1]
    assert hangup.params["Duration"] == "19" and hangup.params["CallUUID"] == live
    with sandbox.main_client() as control:
        events = [e["event"] for e in control.get(f"/_sandbox/calls/{live}").json()["log"]]
    for event in ("api_play", "api_speak", "record_start", "record_stop", "dtmf_sent", "transferred"):
        assert event in events
    for received in answers.received:
        assert received.signed_by(sandbox.state.main_auth_token), received.path
