"""``<Conference>`` completed: moderation with waitSound, enter/exit sounds, the caller's keys
(hangupOnStar, digitsMatch, relayDTMF), floor events, stayAlone, recording with recordWhenAlone and
transcription, kick with a followed action. Official SDK, answer server on loopback, manual clock;
every callback's parameters and signatures checked."""

from __future__ import annotations

from typing import Any

import plivo
import pytest
from answer_server import AnswerServer, Received, answers_fixture, settle  # noqa: F401
from sandbox_server import Server

from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.recordings import FIXED_TRANSCRIPT, TRANSCRIPTION_SECONDS

FROM = "14155550100"


def dial(sandbox: Server, sdk: plivo.RestClient, answers: AnswerServer, to: str, answer: str) -> str:
    request_uuid = sdk.calls.create(
        from_=FROM, to_=to, answer_url=answers.url(answer), hangup_url=answers.url("/hangup")
    ).request_uuid
    (received,) = answers.wait_for(answer, where=lambda r: r.params.get("RequestUUID") == request_uuid)
    settle(sandbox)
    return received.params["CallUUID"]


def call_log(sandbox: Server, call_uuid: str) -> list[dict[str, Any]]:
    with sandbox.main_client() as control:
        log: list[dict[str, Any]] = control.get(f"/_sandbox/calls/{call_uuid}").json()["log"]
    return log


def logged(sandbox: Server, call_uuid: str, event: str) -> list[dict[str, Any]]:
    return [e for e in call_log(sandbox, call_uuid) if e["event"] == event]


def press(sandbox: Server, call_uuid: str, digits: str) -> None:
    with sandbox.main_client() as control:
        answer = control.post(f"/_sandbox/calls/{call_uuid}/digits", json={"digits": digits})
    assert answer.status_code == 202, answer.text
    settle(sandbox)


def members(sdk: plivo.RestClient, room: str) -> dict[str, Any]:
    """call_uuid -> member"""
    return {m.call_uuid: m for m in sdk.conferences.get(room).members}


def assert_signed(sandbox: Server, received: list[Received]) -> None:
    for request in received:
        assert request.signed_by(sandbox.state.main_auth_token), request.path


def test_a_moderated_room_plays_its_wait_sound_until_the_moderator_starts_it(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/hold", "<Response><Play>https://x.test/hold.mp3</Play><Record/></Response>")
    answers.reply(
        "/guest",
        f'<Response><Conference startConferenceOnEnter="false" waitSound="{answers.url("/hold")}" '
        f'enterSound="beep:1">board</Conference></Response>',
    )
    answers.reply(
        "/host",
        f'<Response><Conference exitSound="{answers.url("/bye-sound")}">board</Conference></Response>',
    )
    answers.reply("/bye-sound", "<Response><Speak>Goodbye</Speak><Hangup/></Response>")
    guest = dial(sandbox, main_sdk, answers, "14155550111", "/guest")
    (hold,) = answers.wait_for("/hold")
    assert hold.method == "POST" and hold.params["CallUUID"] == guest  # fetched as Plivo fetches it
    assert_signed(sandbox, [hold])
    (wait_sound,) = logged(sandbox, guest, "wait_sound")
    assert wait_sound["played"] == ["Play"]  # Play, Speak and Wait only: the Record is ignored
    assert members(main_sdk, "board")[guest].muted is True  # waiting to start: muted
    settle(sandbox, 12)
    assert len(logged(sandbox, guest, "play")) == 3  # 5 s per Play, in a loop: at 0, 5 and 10 s

    host = dial(sandbox, main_sdk, answers, "14155550122", "/host")
    assert logged(sandbox, guest, "conference_started")
    assert members(main_sdk, "board")[guest].muted is False
    (beep,) = logged(sandbox, guest, "conference_sound")  # the guest's own enterSound, at its entry
    assert beep["sound"] == "beep:1"
    settle(sandbox, 20)
    assert len(logged(sandbox, guest, "play")) == 3  # the wait sound stopped with the start

    main_sdk.calls.hangup(host)
    settle(sandbox)
    (bye,) = answers.wait_for("/bye-sound")
    assert bye.method == "POST"
    sounds = logged(sandbox, guest, "conference_sound")
    assert sounds[-1]["sound"] == answers.url("/bye-sound") and sounds[-1]["played"] == ["Speak"]
    assert list(members(main_sdk, "board")) == [guest]


def test_keys_in_a_room_match_digits_relay_and_star_leaves(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply(
        "/caller",
        f'<Response><Conference callbackUrl="{answers.url("/conf")}" digitsMatch="12,#9" hangupOnStar="true" '
        f'action="{answers.url("/after")}">keys</Conference><Speak>not reached</Speak></Response>',
    )
    answers.reply("/quiet", '<Response><Conference relayDTMF="false">keys</Conference></Response>')
    answers.reply("/after", "<Response><Speak>You pressed star</Speak></Response>")
    caller = dial(sandbox, main_sdk, answers, "14155550111", "/caller")
    quiet = dial(sandbox, main_sdk, answers, "14155550122", "/quiet")
    caller_id = members(main_sdk, "keys")[caller].member_id

    press(sandbox, caller, "312")
    press(sandbox, caller, "#9")
    digits = answers.wait_for("/conf", 2, where=lambda r: r.params["ConferenceAction"] == "digits")
    assert [d.params["ConferenceDigitsMatch"] for d in digits] == ["12", "#9"]
    for request in digits:
        assert request.params["ConferenceMemberID"] == caller_id and request.params["CallUUID"] == caller
        assert request.params["ConferenceName"] == "keys" and request.params["ConferenceUUID"]
    assert_signed(sandbox, digits)
    relayed = [e["digits"] for e in logged(sandbox, quiet, "conference_dtmf")]
    assert relayed == ["3", "1", "2", "#", "9"]  # relayDTMF (the default) lets the others hear them
    press(sandbox, quiet, "5")
    assert logged(sandbox, caller, "conference_dtmf") == []  # relayDTMF="false" on the quiet one

    press(sandbox, caller, "*")
    (after,) = answers.wait_for("/after")
    assert after.params["ConferenceMemberID"] == caller_id and after.params["ConferenceName"] == "keys"
    assert list(members(main_sdk, "keys")) == [quiet]
    settle(sandbox, 2)
    hangup = next(h for h in answers.wait_for("/hangup") if h.params["CallUUID"] == caller)
    assert hangup.params["HangupCauseName"] == "End Of XML Instructions"
    assert "not reached" not in [e.get("text") for e in call_log(sandbox, caller)]


@pytest.mark.usefixtures("unpaced_calls")  # three calls at once, past Plivo's 2 per second
def test_the_floor_goes_to_the_first_who_can_speak_and_passes_on(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    conf = f'callbackUrl="{answers.url("/conf")}" floorEvent="true"'
    answers.reply("/muted", f'<Response><Conference muted="true" {conf}>floor</Conference></Response>')
    answers.reply("/speaker", f"<Response><Conference {conf}>floor</Conference></Response>")
    muted = dial(sandbox, main_sdk, answers, "14155550111", "/muted")
    first = dial(sandbox, main_sdk, answers, "14155550122", "/speaker")
    second = dial(sandbox, main_sdk, answers, "14155550133", "/speaker")
    floors = answers.wait_for("/conf", 1, where=lambda r: r.params["ConferenceAction"] == "floor")
    assert [f.params["CallUUID"] for f in floors] == [first]
    main_sdk.calls.hangup(first)
    settle(sandbox)
    floors = answers.wait_for("/conf", 2, where=lambda r: r.params["ConferenceAction"] == "floor")
    assert [f.params["CallUUID"] for f in floors] == [first, second]
    assert muted not in [f.params["CallUUID"] for f in floors]
    assert_signed(sandbox, floors)


def test_stay_alone_false_ends_the_room_when_one_is_left(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply(
        "/alone",
        f'<Response><Conference stayAlone="false" action="{answers.url("/alone-left")}" redirect="false">'
        'pair</Conference><Wait length="5"/></Response>',
    )
    answers.reply("/other", "<Response><Conference>pair</Conference></Response>")
    alone = dial(sandbox, main_sdk, answers, "14155550111", "/alone")
    assert list(members(main_sdk, "pair")) == [alone]  # alone at first: the room waits
    other = dial(sandbox, main_sdk, answers, "14155550122", "/other")
    main_sdk.calls.hangup(other)
    settle(sandbox)
    (left,) = answers.wait_for("/alone-left")
    assert left.params["CallUUID"] == alone
    assert main_sdk.conferences.list().conferences == []
    assert alone in main_sdk.live_calls.list_ids().calls  # on to the Wait


def test_recording_waits_for_two_unless_record_when_alone_and_is_transcribed(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply(
        "/rec",
        f'<Response><Conference record="true" recordFileFormat="wav" callbackUrl="{answers.url("/conf")}" '
        f'transcriptionType="auto" transcriptionUrl="{answers.url("/transcript")}" '
        f'action="{answers.url("/left")}" redirect="false">rec</Conference></Response>',
    )
    answers.reply("/plain", "<Response><Conference>rec</Conference></Response>")
    first = dial(sandbox, main_sdk, answers, "14155550111", "/rec")
    settle(sandbox, 10)
    assert logged(sandbox, first, "conference_record_start") == []  # alone: not recorded yet
    second = dial(sandbox, main_sdk, answers, "14155550122", "/plain")
    (started,) = logged(sandbox, first, "conference_record_start")
    settle(sandbox, 4)
    main_sdk.calls.hangup(second)  # first alone: the room goes on (stayAlone defaults to true)
    settle(sandbox, 3)
    with sandbox.main_client() as control:  # the first leaves (the control API's advance): the room ends
        assert control.post(f"/_sandbox/calls/{first}/advance", json={}).status_code == 202
    settle(sandbox)
    (record,) = answers.wait_for("/conf", where=lambda r: r.params["ConferenceAction"] == "record")
    assert record.params["RecordingID"] == started["recording_id"]
    assert record.params["RecordingDuration"] == "7" and record.params["RecordUrl"].endswith(".wav")
    assert answers.requests_to("/transcript") == []  # Plivo takes minutes to transcribe
    settle(sandbox, TRANSCRIPTION_SECONDS)
    (transcript,) = answers.wait_for("/transcript")
    assert transcript.method == "POST"
    assert transcript.params["recording_id"] == started["recording_id"]
    assert transcript.params["transcription"] == FIXED_TRANSCRIPT
    assert transcript.params["duration"] == "7" and transcript.params["call_uuid"] == first
    assert transcript.params["transcription_rate"] == "0.05000"
    assert transcript.params["transcription_charge"] == "0.05000"  # one minute begun
    assert_signed(sandbox, [record, transcript])
    (left,) = answers.wait_for("/left")
    assert left.params["RecordingID"] == started["recording_id"] and left.params["RecordUrl"].endswith(".wav")

    answers.reply(
        "/alone", '<Response><Conference record="true" recordWhenAlone="true">solo</Conference></Response>'
    )
    solo = dial(sandbox, main_sdk, answers, "14155550133", "/alone")
    assert logged(sandbox, solo, "conference_record_start")  # recordWhenAlone: at once


def test_a_kicked_member_follows_its_action_xml(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply(
        "/answer",
        f'<Response><Conference action="{answers.url("/kicked")}" method="GET">kick</Conference>'
        "<Speak>not reached</Speak></Response>",
    )
    answers.reply("/kicked", '<Response><Speak>You were removed</Speak><Wait length="10"/></Response>')
    first = dial(sandbox, main_sdk, answers, "14155550111", "/answer")
    dial(sandbox, main_sdk, answers, "14155550122", "/answer")
    member_id = members(main_sdk, "kick")[first].member_id
    main_sdk.conferences.member_kick("kick", member_id)
    settle(sandbox)
    (kicked,) = answers.wait_for("/kicked")
    assert kicked.method == "GET" and kicked.params["ConferenceMemberID"] == member_id
    assert main_sdk.live_calls.get(first).call_uuid == first
    events = [e["event"] for e in call_log(sandbox, first)]
    assert events.index("kicked") < events.index("conference_exit") < events.index("speak")


@pytest.mark.parametrize(
    ("attributes", "reason"),
    [
        ('enterSound="beep:3"', "enterSound"),
        ('exitSound="ftp://x.test/s.xml"', "exitSound"),
        ('maxMembers="21"', "maxMembers"),
        ('digitsMatch="1a"', "digitsMatch"),
        ('transcriptionType="robot"', "transcriptionType"),
        ('floorEvent="maybe"', "floorEvent"),
        ('waitSound="hold.mp3"', "waitSound"),
    ],
)
def test_plivo_refuses_a_bad_conference(attributes: str, reason: str) -> None:
    with pytest.raises(px.InvalidXML, match=reason):
        px.parse(f"<Response><Conference {attributes}>room</Conference></Response>")


def test_conference_attributes_parse_with_plivo_defaults() -> None:
    (room,) = px.parse(
        '<Response><Conference enterSound="BEEP:2" digitsMatch="#0,99">r</Conference></Response>'
    )
    assert room.enter_sound == "beep:2" and room.digits_match == ("#0", "99")
    assert (room.relay_dtmf, room.floor_event, room.stay_alone, room.max_members) == (True, False, True, 20)
