"""End-to-end voice scenarios against a local answer server: a conference with two callers (mute,
kick, recording, hangup), an IVR fed by DTMF that records a message, and an inbound call. Every
callback's signatures are checked with plivo_blocks.signatures."""

from __future__ import annotations

import io
import wave
from collections.abc import Callable

import httpx
import plivo
import pytest
from answer_server import AnswerServer, Received, answers_fixture, settle  # noqa: F401
from plivo import exceptions as plivo_errors
from sandbox_server import Server

from plivo_blocks.sandbox.voice.audio import mp3_frame

FROM = "14155550100"


def test_conference_with_two_callers_mute_kick_recording_and_hangup(
    sandbox: Server,
    main_sdk: plivo.RestClient,
    sdk: Callable[[str, str], plivo.RestClient],
    answers: AnswerServer,
) -> None:
    sub_account = main_sdk.subaccounts.create("voice team", enabled=True)
    client = sdk(sub_account.auth_id, sub_account.auth_token)
    answers.reply(
        "/answer",
        f'<Response><Speak>Joining</Speak><Conference callbackUrl="{answers.url("/conf")}">sales</Conference></Response>',
    )

    def call(to: str) -> str:
        request_uuid = client.calls.create(
            from_=FROM, to_=to, answer_url=answers.url("/answer"), hangup_url=answers.url("/hangup")
        ).request_uuid
        (answer,) = answers.wait_for("/answer", where=lambda r: r.params.get("RequestUUID") == request_uuid)
        settle(sandbox, 1)  # "Joining", then the conference
        return answer.params["CallUUID"]

    alice = call("14155550111")
    room = client.conferences.get("sales")
    assert room.conference_member_count == "1" and room.members[0].call_uuid == alice
    bob = call("14155550122")
    room = client.conferences.get("sales")
    assert room.conference_member_count == "2"
    members = {m.call_uuid: m for m in room.members}
    alice_id, bob_id = members[alice].member_id, members[bob].member_id
    assert alice_id.isdigit() and bob_id.isdigit() and alice_id != bob_id
    assert client.conferences.list().conferences == ["sales"]

    assert client.conferences.member_mute("sales", alice_id).message == "muted"
    assert client.conferences.member_deaf("sales", bob_id).message == "deaf"
    states = {m.member_id: (m.muted, m.deaf) for m in client.conferences.get("sales").members}
    assert states == {alice_id: (True, False), bob_id: (False, True)}
    client.conferences.member_mute_stop("sales", alice_id)
    assert not next(m for m in client.conferences.get("sales").members if m.member_id == alice_id).muted

    played = client.conferences.member_play("sales", "all", url="https://example.com/hold.mp3")
    assert played.message == "play queued into conference" and played.member_id == "[u'all']"
    spoken = client.conferences.member_speak("sales", f"{alice_id},{bob_id}", text="Welcome")
    assert spoken.member_id == f"[u'{alice_id}', u'{bob_id}']"

    recording = client.conferences.record("sales", file_format="mp3", callback_url=answers.url("/recorded"))
    assert recording.message == "conference recording started" and recording.url.endswith(".mp3")

    kicked = client.conferences.member_kick("sales", bob_id)
    assert (kicked.message, kicked.member_id) == ("kicked", bob_id)
    settle(sandbox)
    assert bob not in client.live_calls.list_ids().calls
    assert [m.call_uuid for m in client.conferences.get("sales").members] == [alice]

    client.conferences.record_stop("sales")
    (ready,) = answers.wait_for("/recorded")
    assert ready.params["recordingId"] == recording.recording_id
    assert ready.params["conferenceName"] == "sales" and ready.params["api_id"] == recording.api_id
    stored = client.recordings.get(recording.recording_id)
    assert stored.recording_type == "conference" and stored.conference_name == "sales"
    assert stored.recording_url == recording.url == ready.params["recordUrl"]
    audio = httpx.get(stored.recording_url)
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"
    assert audio.content.startswith(mp3_frame()[:4]) and len(audio.content) % len(mp3_frame()) == 0

    client.calls.hangup(alice)
    settle(sandbox)
    with pytest.raises(plivo_errors.ResourceNotFoundError):
        client.conferences.get("sales")
    assert client.conferences.list().conferences == []

    hangups = {h.params["CallUUID"]: h for h in answers.wait_for("/hangup", 2)}
    assert hangups[bob].params["HangupSource"] == "API Request"
    assert hangups[alice].params["HangupCauseName"] == "Normal Hangup"
    events = [(r.params["ConferenceAction"], r.params["CallUUID"]) for r in answers.requests_to("/conf")]
    assert events == [("enter", alice), ("enter", bob), ("exit", bob), ("exit", alice)]
    assert {r.params["ConferenceMemberID"] for r in answers.requests_to("/conf")} == {alice_id, bob_id}

    callbacks: list[Received] = [*answers.received]
    assert len(callbacks) >= 9
    for received in callbacks:
        assert received.signed_by(sub_account.auth_token), received.path
        assert received.signed_by(sandbox.state.main_auth_token, main=True), received.path


def test_ivr_fed_by_dtmf_records_a_message(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply(
        "/answer",
        f'<Response><GetDigits action="{answers.url("/menu")}" numDigits="1" timeout="30">'
        "<Speak>Press 1 to leave a message</Speak></GetDigits><Speak>Goodbye</Speak></Response>",
    )
    answers.reply(
        "/menu",
        f'<Response><Record action="{answers.url("/recorded")}" fileFormat="wav" maxLength="30" timeout="4" '
        f'callbackUrl="{answers.url("/recording-ready")}" callbackMethod="GET"/></Response>',
    )
    answers.reply("/recorded", "<Response><Speak>Thanks</Speak><Hangup/></Response>")
    request_uuid = main_sdk.calls.create(
        from_=FROM, to_="14155550133", answer_url=answers.url("/answer"), hangup_url=answers.url("/hangup")
    ).request_uuid
    (answer,) = answers.wait_for("/answer", where=lambda r: r.params.get("RequestUUID") == request_uuid)
    call_uuid = answer.params["CallUUID"]
    settle(sandbox, 2)  # the prompt
    with sandbox.main_client() as control:
        view = control.get(f"/_sandbox/calls/{call_uuid}").json()
    assert view["waiting_for_digits"] is True

    main_sdk.calls.send_digits(call_uuid, digits="1")
    settle(sandbox)
    (menu,) = answers.wait_for("/menu")
    settle(sandbox, 4)  # the recording's silence timeout
    assert menu.params["Digits"] == "1" and menu.params["CallUUID"] == call_uuid
    (recorded,) = answers.wait_for("/recorded")
    assert recorded.params["RecordingDuration"] == "4" and recorded.params["RecordingDurationMs"] == "4000"
    assert recorded.params["RecordUrl"].endswith(".wav")
    (ready,) = answers.wait_for("/recording-ready")
    assert ready.method == "GET" and ready.params["RecordingID"] == recorded.params["RecordingID"]
    settle(sandbox, 1)  # "Thanks"

    (hangup,) = answers.wait_for("/hangup")
    assert hangup.params["HangupSource"] == "Answer XML" and hangup.params["HangupCauseCode"] == "4000"
    for received in answers.received:
        assert received.signed_by(sandbox.state.main_auth_token), received.path

    (listed,) = main_sdk.recordings.list(call_uuid=call_uuid)
    assert listed.recording_id == recorded.params["RecordingID"] and listed.recording_format == "wav"
    assert listed.recording_duration_ms == "4000.00000" and listed.recording_type == "call"
    with wave.open(io.BytesIO(httpx.get(listed.recording_url).content)) as audio:
        assert audio.getnframes() / audio.getframerate() == 4.0
    record = main_sdk.calls.get(call_uuid)
    assert record.call_duration == 7  # prompt 2 s, recording 4 s, "Thanks" 1 s, on the sandbox clock


def test_get_digits_without_input_goes_on_with_the_xml(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply(
        "/answer",
        f'<Response><GetDigits action="{answers.url("/menu")}" timeout="30" retries="2"/>'
        f"<Redirect>{answers.url('/after')}</Redirect></Response>",
    )
    answers.reply("/after", "<Response><Speak>No input, goodbye</Speak></Response>")
    request_uuid = main_sdk.calls.create(
        from_=FROM, to_="14155550144", answer_url=answers.url("/answer")
    ).request_uuid
    (answer,) = answers.wait_for("/answer", where=lambda r: r.params.get("RequestUUID") == request_uuid)
    call_uuid = answer.params["CallUUID"]
    settle(sandbox)
    with sandbox.main_client() as control:
        advanced = control.post(f"/_sandbox/calls/{call_uuid}/advance", json={})
        assert advanced.status_code == 202
        settle(sandbox)
        (after,) = answers.wait_for("/after")
        assert after.params["Event"] == "Redirect"
        settle(sandbox, 2)
        assert control.post(f"/_sandbox/calls/{call_uuid}/advance", json={}).status_code == 404
    assert not answers.requests_to("/menu")
    assert main_sdk.calls.get(call_uuid).hangup_cause_name == "End Of XML Instructions"


def test_an_inbound_call_to_a_rented_number_reaches_its_application(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    app = main_sdk.applications.create(
        app_name="ivr", answer_url=answers.url("/inbound"), hangup_url=answers.url("/inbound-hangup")
    )
    number = main_sdk.numbers.search(country_iso="US", type="local")[0].number
    main_sdk.numbers.buy(number, app_id=app.app_id)
    answers.reply("/inbound", "<Response><Speak>Thanks for calling</Speak></Response>")
    with sandbox.main_client() as control:
        received = control.post("/_sandbox/calls/inbound", json={"from": "+15551230000", "to": number})
        assert received.status_code == 201
        call_uuid = received.json()["call_uuid"]
        unknown = control.post("/_sandbox/calls/inbound", json={"from": "15551230000", "to": "19999999999"})
        assert unknown.status_code == 404
    (inbound,) = answers.wait_for("/inbound")
    assert inbound.params["Direction"] == "inbound" and inbound.params["To"] == number
    assert inbound.params["From"] == "15551230000" and inbound.params["CallUUID"] == call_uuid
    settle(sandbox, 2)
    (hangup,) = answers.wait_for("/inbound-hangup")
    assert hangup.params["CallStatus"] == "completed"
    record = main_sdk.calls.get(call_uuid)
    assert record.call_direction == "inbound" and record.to_number == number
    assert [r.call_uuid for r in main_sdk.calls.list(call_direction="inbound")] == [call_uuid]


def test_hanging_up_a_conference_ends_every_call_in_it(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply(
        "/answer",
        f'<Response><Conference record="true" callbackUrl="{answers.url("/conf")}">all-hands</Conference></Response>',
    )
    for to in ("14155550151", "14155550152", "14155550153"):
        main_sdk.calls.create(
            from_=FROM, to_=to, answer_url=answers.url("/answer"), hangup_url=answers.url("/hangup")
        )
    answers.wait_for("/answer", 3)
    settle(sandbox)
    assert main_sdk.conferences.get("all-hands").conference_member_count == "3"
    main_sdk.conferences.hangup("all-hands")
    settle(sandbox)
    assert len(answers.wait_for("/hangup", 3)) == 3
    assert main_sdk.live_calls.list_ids().calls == []
    # record="true": the room was recorded from its start to its end; the recording event went to callbackUrl.
    (recorded,) = answers.wait_for("/conf", where=lambda r: r.params.get("ConferenceAction") == "record")
    assert recorded.params["ConferenceName"] == "all-hands" and recorded.params["RecordUrl"].endswith(".mp3")
    assert main_sdk.recordings.get(recorded.params["RecordingID"]).recording_type == "conference"
