"""``<MultiPartyCall>``: a customer waiting with wait music, an agent starting the MPC, a coaching
supervisor ending it; status and recording callbacks with Plivo's parameters and signatures; the exit
action; members through the control API; what Plivo refuses. Official SDK, manual clock."""

from __future__ import annotations

from typing import Any

import plivo
import pytest
from answer_server import AnswerServer, answers_fixture, settle  # noqa: F401
from plivo import exceptions as plivo_errors
from sandbox_server import Server

from plivo_blocks.sandbox.voice import xml as px

FROM = "14155550100"


def join(sandbox: Server, sdk: plivo.RestClient, answers: AnswerServer, to: str, answer: str) -> str:
    request_uuid = sdk.calls.create(
        from_=FROM, to_=to, answer_url=answers.url(answer), hangup_url=answers.url("/hangup")
    ).request_uuid
    (received,) = answers.wait_for(answer, where=lambda r: r.params.get("RequestUUID") == request_uuid)
    settle(sandbox)
    return received.params["CallUUID"]


def mpcs(sandbox: Server) -> list[dict[str, Any]]:
    with sandbox.main_client() as control:
        answer = control.get("/_sandbox/multiparty")
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["multiparty_calls"]
    return found


def log_events(sandbox: Server, call_uuid: str) -> list[str]:
    with sandbox.main_client() as control:
        return [e["event"] for e in control.get(f"/_sandbox/calls/{call_uuid}").json()["log"]]


@pytest.mark.usefixtures("unpaced_calls")  # three calls at once, past Plivo's 2 per second
def test_a_support_call_with_customer_agent_and_coaching_supervisor(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    status = answers.url("/mpc-status")
    answers.reply("/music", '<Response><Play>https://x.test/music.mp3</Play><Wait length="2"/></Response>')
    answers.reply(
        "/customer",
        f'<Response><MultiPartyCall role="customer" startMpcOnEnter="false" relayDTMFInputs="true" '
        f'waitMusicUrl="{answers.url("/music")}" statusCallbackUrl="{status}" record="true" '
        f'recordFileFormat="wav" recordingCallbackUrl="{answers.url("/mpc-recording")}" '
        f'onExitActionUrl="{answers.url("/survey")}">support-42</MultiPartyCall>'
        "<Speak>not reached</Speak></Response>",
    )
    answers.reply("/survey", '<Response><Speak>Please rate us</Speak><Wait length="5"/></Response>')
    answers.reply("/agent", '<Response><MultiPartyCall role="Agent">support-42</MultiPartyCall></Response>')
    answers.reply(
        "/supervisor",
        '<Response><MultiPartyCall role="Supervisor" endMpcOnExit="true">support-42</MultiPartyCall></Response>',
    )

    customer = join(sandbox, main_sdk, answers, "14155550111", "/customer")
    (music,) = answers.wait_for("/music")
    assert music.method == "GET" and music.params["CallUUID"] == customer  # waitMusicMethod defaults to GET
    (mpc,) = mpcs(sandbox)
    assert (mpc["friendly_name"], mpc["status"]) == ("support-42", "Initialized")
    assert [(p["role"], p["call_uuid"]) for p in mpc["participants"]] == [("Customer", customer)]
    settle(sandbox, 7)
    assert log_events(sandbox, customer).count("play") == 2  # 5 s Play + 2 s Wait, looped

    agent = join(sandbox, main_sdk, answers, "14155550122", "/agent")
    supervisor = join(sandbox, main_sdk, answers, "14155550133", "/supervisor")
    (mpc,) = mpcs(sandbox)
    roles = {p["call_uuid"]: (p["role"], p["coach_mode"]) for p in mpc["participants"]}
    assert mpc["status"] == "Active" and mpc["recording"]
    assert roles == {customer: ("Customer", False), agent: ("Agent", False), supervisor: ("Supervisor", True)}

    with sandbox.main_client() as control:
        assert (
            control.post(f"/_sandbox/calls/{customer}/digits", json={"digits": "7"}).json()["taken"] is True
        )
    settle(sandbox, 10)
    assert "mpc_dtmf" in log_events(sandbox, agent)  # relayDTMFInputs on the customer
    main_sdk.calls.hangup(agent)
    settle(sandbox)
    assert len(mpcs(sandbox)[0]["participants"]) == 2
    main_sdk.calls.hangup(supervisor)  # endMpcOnExit: the MPC ends, the customer goes on
    settle(sandbox)
    assert mpcs(sandbox) == []

    (survey,) = answers.wait_for("/survey")
    assert survey.method == "POST" and survey.params["ParticipantRole"] == "Customer"
    assert survey.params["MPCFriendlyName"] == "support-42" and survey.params["MPCUUID"] == mpc["mpc_uuid"]
    assert survey.params["ParticipantCallUUID"] == customer and survey.params["MemberID"]
    assert survey.params["ParticipantJoinTime"] < survey.params["ParticipantEndTime"]
    assert main_sdk.live_calls.get(customer).call_uuid == customer  # on to the survey's XML

    events = answers.wait_for("/mpc-status", 8)
    assert [(e.params["EventName"], e.params.get("ParticipantRole")) for e in events] == [
        ("MPCInitialized", None),
        ("ParticipantJoin", "Customer"),
        ("ParticipantJoin", "Agent"),
        ("MPCStart", None),
        ("ParticipantJoin", "Supervisor"),
        ("ParticipantExit", "Agent"),
        ("ParticipantExit", "Supervisor"),
        ("ParticipantExit", "Customer"),
        ("MPCEnd", None),
    ][: len(events)]
    events = answers.wait_for("/mpc-status", 9)
    assert events[-1].params["EventName"] == "MPCEnd" and events[-1].params["MPCDuration"] == "10"
    assert events[-1].params["MPCBilledDuration"] == "60"
    joined = [e for e in events if e.params["EventName"] == "ParticipantJoin"]
    assert [e.params["ParticipantCoachMode"] for e in joined] == ["false", "false", "true"]
    assert {e.params["MPCUUID"] for e in events} == {mpc["mpc_uuid"]}
    assert all(e.params["ParticipantCallUUID"] in (customer, agent, supervisor) for e in joined)

    recording = answers.wait_for("/mpc-recording", 2)
    assert [r.params["EventName"] for r in recording] == ["MPCRecordingInitiated", "MPCRecordingCompleted"]
    done = recording[1].params
    assert done["RecordingDuration"] == "10" and done["RecordingFormat"] == "wav"
    assert done["RecordingURL"].endswith(".wav") and done["SequenceNumber"] == "2"
    assert main_sdk.recordings.get(done["RecordingUUID"]).recording_format == "wav"
    for request in [*events, *recording, survey, music]:
        assert request.signed_by(sandbox.state.main_auth_token), request.path


@pytest.mark.usefixtures("unpaced_calls")  # three calls at once, past Plivo's 2 per second
def test_a_full_mpc_is_skipped_and_one_left_alone_ends_it(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply(
        "/answer",
        '<Response><MultiPartyCall role="Agent" maxParticipants="2">pair</MultiPartyCall>'
        '<Wait length="30"/></Response>',
    )
    first = join(sandbox, main_sdk, answers, "14155550111", "/answer")
    second = join(sandbox, main_sdk, answers, "14155550122", "/answer")
    third = join(sandbox, main_sdk, answers, "14155550133", "/answer")
    assert "mpc_full" in log_events(sandbox, third)
    assert {p["call_uuid"] for p in mpcs(sandbox)[0]["participants"]} == {first, second}
    main_sdk.calls.hangup(second)
    settle(sandbox)
    assert mpcs(sandbox) == []  # stayAlone defaults to false: the first is not left alone in it
    assert log_events(sandbox, first)[-1] == "wait"


def test_the_mpc_rest_api_stays_out_of_scope(main_sdk: plivo.RestClient) -> None:
    with pytest.raises(plivo_errors.ResourceNotFoundError, match="Multi-Party Call"):
        main_sdk.multi_party_calls.get(friendly_name="support-42")


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        ("<MultiPartyCall>m</MultiPartyCall>", "role"),
        ('<MultiPartyCall role="manager">m</MultiPartyCall>', "role"),
        ('<MultiPartyCall role="ai-agent">m</MultiPartyCall>', "AI agents"),
        ('<MultiPartyCall role="Agent" maxDuration="299">m</MultiPartyCall>', "maxDuration"),
        ('<MultiPartyCall role="Agent" maxParticipants="11">m</MultiPartyCall>', "maxParticipants"),
        (
            '<MultiPartyCall role="Agent" statusCallbackEvents="everything">m</MultiPartyCall>',
            "statusCallbackEvents",
        ),
        ('<MultiPartyCall role="Agent" enterSound="beep:9">m</MultiPartyCall>', "enterSound"),
        ('<MultiPartyCall role="Agent" recordMinMemberCount="3">m</MultiPartyCall>', "recordMinMemberCount"),
    ],
)
def test_plivo_refuses_a_bad_multiparty_call(xml: str, reason: str) -> None:
    with pytest.raises(px.InvalidXML, match=reason):
        px.parse(f"<Response>{xml}</Response>")


def test_the_sdk_element_parses_with_its_defaults() -> None:
    from plivo import plivoxml

    element = plivoxml.MultiPartyCallElement("room", "supervisor", status_callback_events="mpc-state-changes")
    (mpc,) = px.parse(plivoxml.ResponseElement().add(element).to_string(pretty=False))
    assert (mpc.name, mpc.role, mpc.coach_mode, mpc.max_participants) == ("room", "Supervisor", True, 10)
    assert mpc.status_callback_events == ("mpc-state-changes",) and mpc.enter_sound == "beep:1"
