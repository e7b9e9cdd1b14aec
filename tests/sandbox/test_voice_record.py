"""``<Record>`` completed: finishOnKey from the caller's keys, the silence timeout (restarted by the
caller's words), maxLength, playBeep, transcription with a transcript of what was said, callbackUrl
only once the file is ready, and recordSession's immediate action with -1 durations. Official SDK,
answer server on loopback, manual clock; parameters and signatures checked."""

from __future__ import annotations

from typing import Any

import plivo
import pytest
from answer_server import AnswerServer, answers_fixture, settle  # noqa: F401
from sandbox_server import Server

from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.recordings import TRANSCRIPTION_SECONDS

FROM = "14155550100"


def call(sandbox: Server, sdk: plivo.RestClient, answers: AnswerServer, to: str = "14155550111") -> str:
    request_uuid = sdk.calls.create(
        from_=FROM, to_=to, answer_url=answers.url("/answer"), hangup_url=answers.url("/hangup")
    ).request_uuid
    (answer,) = answers.wait_for("/answer", where=lambda r: r.params.get("RequestUUID") == request_uuid)
    settle(sandbox)
    return answer.params["CallUUID"]


def control(sandbox: Server, call_uuid: str, what: str, body: dict[str, str]) -> None:
    with sandbox.main_client() as client:
        answer = client.post(f"/_sandbox/calls/{call_uuid}/{what}", json=body)
    assert answer.status_code == 202, answer.text
    assert answer.json()["taken"] is True
    settle(sandbox)


def call_log(sandbox: Server, call_uuid: str) -> list[dict[str, Any]]:
    with sandbox.main_client() as client:
        log: list[dict[str, Any]] = client.get(f"/_sandbox/calls/{call_uuid}").json()["log"]
    return log


def test_a_key_ends_the_recording_the_file_is_then_ready_and_transcribed(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply(
        "/answer",
        f'<Response><Record action="{answers.url("/recorded")}" finishOnKey="*#" timeout="20" '
        f'callbackUrl="{answers.url("/ready")}" transcriptionType="auto" '
        f'transcriptionUrl="{answers.url("/transcript")}" recordChannelType="mono"/></Response>',
    )
    answers.reply("/recorded", "<Response><Speak>Thanks</Speak></Response>")
    call_uuid = call(sandbox, main_sdk, answers)
    settle(sandbox, 2)
    control(sandbox, call_uuid, "speech", {"text": "Hello, I am calling about my order"})
    settle(sandbox, 3)
    control(sandbox, call_uuid, "digits", {"digits": "5"})  # not a finishOnKey key: still recording
    assert answers.requests_to("/ready") == [] and answers.requests_to("/recorded") == []
    control(sandbox, call_uuid, "digits", {"digits": "#"})

    (recorded,) = answers.wait_for("/recorded")
    assert recorded.params["Digits"] == "#" and recorded.params["CallUUID"] == call_uuid
    assert recorded.params["RecordingDuration"] == "5" and recorded.params["RecordingDurationMs"] == "5000"
    (ready,) = answers.wait_for("/ready")
    assert ready.params["RecordingID"] == recorded.params["RecordingID"]
    assert (
        ready.params["RecordUrl"] == recorded.params["RecordUrl"] and ready.params["RecordingDuration"] == "5"
    )
    events = [e["event"] for e in call_log(sandbox, call_uuid)]
    assert events.index("beep") < events.index("record") < events.index("record_end")  # playBeep

    settle(sandbox, TRANSCRIPTION_SECONDS)
    (transcript,) = answers.wait_for("/transcript")
    assert transcript.params["transcription"] == "Hello, I am calling about my order"
    assert transcript.params["recording_id"] == recorded.params["RecordingID"]
    assert transcript.params["call_uuid"] == call_uuid and transcript.params["duration"] == "5"
    for request in (recorded, ready, transcript):
        assert request.signed_by(sandbox.state.main_auth_token), request.path


def test_silence_ends_the_recording_and_words_restart_the_count(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply(
        "/answer",
        f'<Response><Record action="{answers.url("/recorded")}" timeout="4" playBeep="false"/></Response>',
    )
    call_uuid = call(sandbox, main_sdk, answers)
    settle(sandbox, 3)
    control(sandbox, call_uuid, "speech", {"text": "still here"})
    settle(sandbox, 3.9)
    assert answers.requests_to("/recorded") == []  # 3.9 s of silence since the words
    settle(sandbox, 0.1)
    (recorded,) = answers.wait_for("/recorded")
    assert recorded.params["RecordingDuration"] == "7" and "Digits" not in recorded.params
    assert "beep" not in [e["event"] for e in call_log(sandbox, call_uuid)]


def test_max_length_ends_a_recording_full_of_words(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply(
        "/answer", f'<Response><Record action="{answers.url("/recorded")}" maxLength="3"/></Response>'
    )
    call_uuid = call(sandbox, main_sdk, answers)
    for _ in range(2):
        control(sandbox, call_uuid, "speech", {"text": "talking"})
        settle(sandbox, 1.5)
    (recorded,) = answers.wait_for("/recorded")
    assert recorded.params["RecordingDurationMs"] == "3000"


def test_record_session_tells_the_action_at_once_and_the_callback_at_the_end(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply(
        "/answer",
        f'<Response><Record recordSession="true" action="{answers.url("/started")}" redirect="false" '
        f'callbackUrl="{answers.url("/ready")}"/><Speak>This call is recorded</Speak>'
        '<Wait length="4"/></Response>',
    )
    call_uuid = call(sandbox, main_sdk, answers)
    (started,) = answers.wait_for("/started")
    assert started.params["RecordingDuration"] == "-1" and started.params["RecordingDurationMs"] == "-1"
    assert answers.requests_to("/ready") == []
    settle(sandbox, 6)  # "This call is recorded" (2 s), then the Wait; the call ends
    (ready,) = answers.wait_for("/ready")
    assert ready.params["RecordingID"] == started.params["RecordingID"]
    assert ready.params["RecordingDuration"] == "6"
    assert main_sdk.recordings.get(started.params["RecordingID"]).call_uuid == call_uuid


@pytest.mark.parametrize(
    ("attributes", "reason"),
    [
        ('recordChannelType="quad"', "recordChannelType"),
        ('transcriptionType="robot"', "transcriptionType"),
        ('finishOnKey="a"', "finishOnKey"),
        ('maxLength="0"', "maxLength"),
        ('transcriptionUrl="ftp://x.test/t"', "transcriptionUrl"),
    ],
)
def test_plivo_refuses_a_bad_record(attributes: str, reason: str) -> None:
    with pytest.raises(px.InvalidXML, match=reason):
        px.parse(f"<Response><Record {attributes}/></Response>")


def test_record_defaults_follow_plivo() -> None:
    (record,) = px.parse('<Response><Record finishOnKey="none"/></Response>')
    assert record.finish_on_key == ""  # no key ends it
    assert (record.timeout, record.max_length, record.play_beep, record.record_channel_type) == (
        15,
        60,
        True,
        "stereo",
    )
