"""Recordings: call recordings through the API (stop, time limit, hangup), session recordings from XML,
the recording list's filters, deletion, and the audio behind recording_url."""

from __future__ import annotations

import io
import wave
from collections.abc import Callable

import httpx
import plivo
import pytest
from answer_server import AnswerServer, answers_fixture, settle  # noqa: F401
from plivo import exceptions as plivo_errors
from sandbox_server import Server

FROM = "14155550100"


def live_call(
    sandbox: Server, client: plivo.RestClient, answers: AnswerServer, to: str = "14155550111"
) -> str:
    request_uuid = client.calls.create(from_=FROM, to_=to, answer_url=answers.url("/answer")).request_uuid
    (answer,) = answers.wait_for("/answer", where=lambda r: r.params.get("RequestUUID") == request_uuid)
    settle(sandbox)
    return answer.params["CallUUID"]


@pytest.fixture
def waiting(answers: AnswerServer) -> AnswerServer:
    """Calls answered by ``/answer`` wait for digits (stay live) until the test moves them on."""
    answers.reply(
        "/answer", f'<Response><GetDigits timeout="60" action="{answers.url("/digits")}"/></Response>'
    )
    answers.reply("/long-wait", '<Response><Wait length="20"/></Response>')
    return answers


def test_a_call_recording_started_and_stopped_through_the_api(
    sandbox: Server, main_sdk: plivo.RestClient, waiting: AnswerServer
) -> None:
    call_uuid = live_call(sandbox, main_sdk, waiting)
    started = main_sdk.calls.record(call_uuid, file_format="wav", callback_url=waiting.url("/recorded"))
    assert started.message == "call recording started" and started.url.endswith(f"{started.recording_id}.wav")
    assert httpx.get(started.url).status_code == 404  # nothing to fetch until the recording stops
    main_sdk.calls.record_stop(call_uuid)
    (callback,) = waiting.wait_for("/recorded")
    assert callback.params["api_id"] == started.api_id
    assert (
        callback.params["recording_id"] == started.recording_id and callback.params["call_uuid"] == call_uuid
    )
    assert callback.params["record_url"] == started.url
    assert int(callback.params["recording_end_ms"]) >= int(callback.params["recording_start_ms"])

    recording = main_sdk.recordings.get(started.recording_id)
    assert (recording.recording_type, recording.recording_format, recording.call_uuid) == (
        "call",
        "wav",
        call_uuid,
    )
    assert (
        recording.resource_uri
        == f"/v1/Account/{sandbox.state.main_auth_id}/Recording/{started.recording_id}/"
    )
    audio = httpx.get(recording.recording_url)
    assert audio.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(audio.content)) as reader:
        assert reader.getnchannels() == 1 and reader.getnframes() > 0
    main_sdk.calls.hangup(call_uuid)


def test_time_limits_and_hangups_stop_recordings(
    sandbox: Server, main_sdk: plivo.RestClient, waiting: AnswerServer
) -> None:
    call_uuid = live_call(sandbox, main_sdk, waiting)
    limited = main_sdk.calls.record(call_uuid, time_limit=5)
    open_ended = main_sdk.calls.record(call_uuid)
    # 20 s of <Wait> pass on the call's clock: the 5 s recording stops at its limit.
    main_sdk.calls.transfer(call_uuid, legs="aleg", aleg_url=waiting.url("/long-wait"))
    settle(sandbox, 5)
    short = main_sdk.recordings.get(limited.recording_id)
    assert short.recording_duration_ms == "5000.00000"
    # The other stopped when the call ended (at the end of the transferred XML).
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        main_sdk.recordings.get(open_ended.recording_id)  # still recording
    settle(sandbox, 15)
    longer = main_sdk.recordings.get(open_ended.recording_id)
    assert longer.recording_duration_ms == "20000.00000"
    assert {r.recording_id for r in main_sdk.recordings.list(call_uuid=call_uuid)} == {
        limited.recording_id,
        open_ended.recording_id,
    }


def test_a_session_recording_lasts_until_the_call_ends(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply(
        "/answer",
        f'<Response><Record recordSession="true" callbackUrl="{answers.url("/session")}"/>'
        '<Speak>This call is recorded</Speak><Wait length="7"/></Response>',
    )
    call_uuid = live_call(sandbox, main_sdk, answers)
    settle(sandbox, 8.9)
    assert not answers.requests_to("/session")
    settle(sandbox, 0.1)
    (ready,) = answers.wait_for("/session")
    # 2 s of Speak and 7 s of Wait, on the sandbox clock.
    assert ready.params["CallUUID"] == call_uuid and ready.params["RecordingDurationMs"] == "9000"
    (recording,) = main_sdk.recordings.list(call_uuid=call_uuid)
    assert recording.recording_id == ready.params["RecordingID"] and recording.recording_format == "mp3"


def test_recording_list_filters_pages_and_deletes(
    sandbox: Server,
    main_sdk: plivo.RestClient,
    sdk: Callable[[str, str], plivo.RestClient],
    waiting: AnswerServer,
) -> None:
    sub_account = main_sdk.subaccounts.create("recorders", enabled=True)
    sub = sdk(sub_account.auth_id, sub_account.auth_token)
    mine = live_call(sandbox, main_sdk, waiting)
    theirs = live_call(sandbox, sub, waiting, to="14155550122")
    ids = []
    for _ in range(3):
        ids.append(main_sdk.calls.record(mine).recording_id)
        main_sdk.calls.record_stop(mine)
    sub_recording = sub.calls.record(theirs).recording_id
    sub.calls.record_stop(theirs)

    assert [r.recording_id for r in main_sdk.recordings.list(call_uuid=mine)] == ids[::-1]  # newest first
    assert len(main_sdk.recordings.list()) == 4  # the main account sees its subaccount's too
    assert [r.recording_id for r in sub.recordings.list()] == [sub_recording]
    assert [r.recording_id for r in main_sdk.recordings.list(subaccount=sub_account.auth_id)] == [
        sub_recording
    ]
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        sub.recordings.get(ids[0])
    assert len(main_sdk.recordings.list(add_time__gt="2000-01-01 00:00:00")) == 4
    assert len(main_sdk.recordings.list(add_time__lt="2000-01-01 00:00:00")) == 0
    page = main_sdk.recordings.list(limit=3, offset=3)
    assert len(page) == 1
    with sandbox.main_client() as client:
        meta = client.get(f"/v1/Account/{sandbox.state.main_auth_id}/Recording/", params={"limit": 3}).json()[
            "meta"
        ]
        assert meta["total_count"] == 4 and meta["next"] and meta["previous"] is None

    url = main_sdk.recordings.get(ids[0]).recording_url
    assert httpx.get(url).status_code == 200
    assert httpx.get(url.replace(".mp3", ".wav")).status_code == 404
    main_sdk.recordings.delete(ids[0])
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        main_sdk.recordings.get(ids[0])
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        main_sdk.recordings.delete(ids[0])
    assert httpx.get(url).status_code == 404
    main_sdk.calls.hangup(mine)
    sub.calls.hangup(theirs)
