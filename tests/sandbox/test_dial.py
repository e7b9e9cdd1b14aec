"""``<Dial>`` with real B legs, driven by the official SDK against a real receiver on loopback, on the
manual clock: scripted phones that are busy, do not answer or answer; simultaneous Numbers; the
Dial attributes; callbackUrl events; transfers and hangups of either leg. Every callback's
parameters and signatures are checked."""

from __future__ import annotations

from collections.abc import Iterator

import plivo
import pytest
from answer_server import AnswerServer, Received, answers_fixture, settle  # noqa: F401
from plivo import exceptions as plivo_errors
from sandbox_server import Server

FROM = "14155550100"
CALLER = "14155550111"  # the A leg's callee (answers unscripted)
AGENT, AGENT2, AGENT3 = "14155550201", "14155550202", "14155550203"


@pytest.fixture
def control(sandbox: Server) -> Iterator[object]:
    with sandbox.main_client() as client:
        yield client


def script(sandbox: Server, number: str, **body: object) -> None:
    with sandbox.main_client() as client:
        answer = client.put(f"/_sandbox/phones/{number}", json=body)
    assert answer.status_code == 200, answer.text


def dial_xml(answers: AnswerServer, *targets: str, after: str = "", **attributes: str) -> str:
    attrs = " ".join(f'{name}="{value}"' for name, value in attributes.items())
    inner = "".join(t if t.startswith("<") else f"<Number>{t}</Number>" for t in targets)
    return f"<Response><Dial {attrs}>{inner}</Dial>{after}</Response>"


def call_with(
    sandbox: Server, client: plivo.RestClient, answers: AnswerServer, xml: str, to: str = CALLER
) -> str:
    """Make a call whose answer XML is ``xml``; answer its A-leg CallUUID once the XML was fetched."""
    answers.reply("/answer", xml)
    request_uuid = client.calls.create(
        from_=FROM, to_=to, answer_url=answers.url("/answer"), hangup_url=answers.url("/hangup")
    ).request_uuid
    settle(sandbox)
    (answer,) = answers.wait_for("/answer", where=lambda r: r.params.get("RequestUUID") == request_uuid)
    settle(sandbox)  # the XML fetched is run (on a loaded machine the first settle may end sooner)
    return answer.params["CallUUID"]


def legs_of(sandbox: Server, aleg: str) -> list[dict[str, object]]:
    """The B legs of ``aleg`` (live and ended), from the control API."""
    with sandbox.main_client() as client:
        calls = client.get("/_sandbox/calls", params={"limit": 20}).json()["objects"]
    return [c for c in calls if c.get("parent_call_uuid") == aleg]


def leg_to(leg: dict[str, object]) -> str:
    """A leg's destination, live (``to``) or ended (its record's ``to_number``)."""
    return str(leg.get("to") or leg.get("to_number"))


def signed(sandbox: Server, received: list[Received]) -> None:
    for request in received:
        assert request.signed_by(sandbox.state.main_auth_token), request.path


def test_a_dial_to_a_busy_phone_reports_busy_with_both_legs_in_cdrs(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    script(sandbox, AGENT, answer="busy")
    aleg = call_with(
        sandbox,
        main_sdk,
        answers,
        dial_xml(answers, AGENT, action=answers.url("/dialed"), callbackUrl=answers.url("/events")),
    )
    settle(sandbox)
    (action,) = answers.wait_for("/dialed")
    assert action.params["DialStatus"] == "busy" and action.params["DialHangupCause"] == "USER_BUSY"
    assert action.params["DialALegUUID"] == aleg and action.params["DialBLegUUID"] == ""
    assert action.params["DialRingStatus"] == "false"  # busy at once: it never rang
    assert action.params["CallUUID"] == aleg
    (bleg,) = legs_of(sandbox, aleg)
    (hung,) = answers.wait_for("/events", where=lambda r: r.params.get("DialAction") == "hangup")
    assert hung.params["Event"] == "DialHangup" and hung.params["DialBLegUUID"] == bleg["call_uuid"]
    assert (hung.params["DialBLegHangupCauseName"], hung.params["DialBLegHangupCauseCode"]) == (
        "Busy Line",
        "3010",
    )
    assert hung.params["DialBLegHangupCause"] == "USER_BUSY" and hung.params["DialBLegTo"] == AGENT
    assert hung.params["DialBLegDuration"] == "0" and hung.params["DialBLegPosition"] == "1"
    assert not answers.requests_to("/events")[:-1]  # nothing before: no answer, no connection
    settle(sandbox)  # the action answered <Response/>: the A leg ends
    record = main_sdk.calls.get(str(bleg["call_uuid"]))
    assert record.parent_call_uuid == aleg and record.hangup_cause_name == "Busy Line"
    assert record.to_number == AGENT and record.call_direction == "outbound" and record.answer_time is None
    assert main_sdk.calls.get(aleg).hangup_cause_name == "End Of XML Instructions"
    signed(sandbox, answers.received)


def test_a_dial_to_a_phone_that_does_not_answer_reports_no_answer_at_the_timeout(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    script(sandbox, AGENT, answer="no-answer")
    aleg = call_with(
        sandbox, main_sdk, answers, dial_xml(answers, AGENT, action=answers.url("/dialed"), timeout="20")
    )
    (bleg,) = legs_of(sandbox, aleg)
    assert bleg["status"] == "ringing" and bleg["live"] is True
    assert str(bleg["call_uuid"]) in main_sdk.live_calls.list_ids().calls  # a real, live call
    settle(sandbox, 19.9)
    assert not answers.requests_to("/dialed")
    settle(sandbox, 0.1)
    (action,) = answers.wait_for("/dialed")
    assert action.params["DialStatus"] == "no-answer" and action.params["DialHangupCause"] == "NO_ANSWER"
    assert action.params["DialRingStatus"] == "true" and action.params["DialBLegUUID"] == ""
    record = main_sdk.calls.get(str(bleg["call_uuid"]))
    assert (record.hangup_cause_name, record.hangup_cause_code) == ("Ring Timeout Reached", 6010)
    assert record.bill_duration == 0
    signed(sandbox, answers.received)


def test_a_dial_to_an_answering_phone_connects_until_the_callee_hangs_up(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    script(sandbox, AGENT, answer="answer", after_seconds=3)
    answers.reply("/dialed", "<Response><Speak>Bye</Speak></Response>")
    aleg = call_with(
        sandbox,
        main_sdk,
        answers,
        dial_xml(
            answers,
            AGENT,
            action=answers.url("/dialed"),
            callbackUrl=answers.url("/events"),
            callbackMethod="GET",
            callerId="14155559999",
            callerName="Front desk",
        ),
    )
    settle(sandbox, 3)  # the agent's phone rings 3 s, then answers
    (bleg,) = legs_of(sandbox, aleg)
    bleg_uuid = str(bleg["call_uuid"])
    assert bleg["status"] == "in-progress" and bleg["from"] == "14155559999"
    live = main_sdk.live_calls.get(bleg_uuid)
    assert live.caller_name == "Front desk" and live.direction == "outbound"
    answered, connected = answers.wait_for("/events", 2)
    for event, action in ((answered, "answer"), (connected, "connected")):
        assert event.method == "GET" and event.params["DialAction"] == action
        assert event.params["DialALegUUID"] == aleg and event.params["DialBLegUUID"] == bleg_uuid
        assert event.params["CallUUID"] == aleg and event.params["DialBLegTo"] == AGENT
        assert event.params["DialBLegFrom"] == "14155559999"
    assert (answered.params["Event"], connected.params["Event"]) == ("DialAnswer", "DialConnected")
    settle(sandbox, 60)  # talking: the Dial lasts until a leg hangs up
    assert {aleg, bleg_uuid} <= set(main_sdk.live_calls.list_ids().calls)
    with sandbox.main_client() as control:
        assert control.post(f"/_sandbox/calls/{bleg_uuid}/hangup", json={}).status_code == 202
    settle(sandbox)
    (action,) = answers.wait_for("/dialed")
    assert (
        action.params["DialStatus"] == "completed" and action.params["DialHangupCause"] == "NORMAL_CLEARING"
    )
    assert action.params["DialBLegUUID"] == bleg_uuid and action.params["DialRingStatus"] == "true"
    (hung,) = answers.wait_for("/events", where=lambda r: r.params.get("DialAction") == "hangup")
    assert hung.params["DialBLegDuration"] == "60" and hung.params["DialBLegBillDuration"] == "60"
    assert hung.params["DialBLegHangupSource"] == "Callee"
    settle(sandbox, 1)  # "Bye"
    b_record, a_record = main_sdk.calls.get(bleg_uuid), main_sdk.calls.get(aleg)
    assert b_record.call_duration == 60 and b_record.parent_call_uuid == aleg
    assert a_record.call_duration == 64  # 3 s ringing the agent, 60 s talking, 1 s of "Bye"
    assert a_record.hangup_cause_name == "End Of XML Instructions"
    signed(sandbox, answers.received)


def test_simultaneous_numbers_ring_at_once_and_the_first_to_answer_wins(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    script(sandbox, AGENT, after_seconds=8)
    script(sandbox, AGENT2, after_seconds=5)
    script(sandbox, AGENT3, answer="no-answer")
    aleg = call_with(
        sandbox,
        main_sdk,
        answers,
        dial_xml(
            answers, AGENT, AGENT2, AGENT3, action=answers.url("/dialed"), callbackUrl=answers.url("/ev")
        ),
    )
    legs = {str(leg["to"]): leg for leg in legs_of(sandbox, aleg)}
    assert set(legs) == {AGENT, AGENT2, AGENT3} and {leg["status"] for leg in legs.values()} == {"ringing"}
    settle(sandbox, 5)
    live = set(main_sdk.live_calls.list_ids().calls)
    winner = str(legs[AGENT2]["call_uuid"])
    assert winner in live and str(legs[AGENT]["call_uuid"]) not in live
    assert str(legs[AGENT3]["call_uuid"]) not in live
    for loser in (AGENT, AGENT3):
        record = main_sdk.calls.get(str(legs[loser]["call_uuid"]))
        assert record.hangup_cause_name == "Canceled" and record.answer_time is None
    events = [(r.params["DialAction"], r.params["DialBLegTo"]) for r in answers.requests_to("/ev")]
    assert events == [("answer", AGENT2), ("connected", AGENT2)]  # losers are cancelled silently
    assert answers.requests_to("/ev")[0].params["DialBLegPosition"] == "2"
    main_sdk.calls.hangup(winner)
    settle(sandbox)
    (action,) = answers.wait_for("/dialed")
    assert action.params["DialStatus"] == "completed" and action.params["DialBLegUUID"] == winner
    signed(sandbox, answers.received)


def test_a_user_target_and_sip_headers(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    xml = dial_xml(
        answers,
        '<User sipHeaders="Team=blue">sip:alice@phone.plivo.com</User>',
        sipHeaders="Ticket=42",
        action=answers.url("/dialed"),
    )
    aleg = call_with(sandbox, main_sdk, answers, xml)
    (bleg,) = legs_of(sandbox, aleg)
    assert bleg["to"] == "sip:alice@phone.plivo.com" and bleg["status"] == "in-progress"
    # The headers travel with the B leg: its requests carry them once it runs XML of its own.
    answers.reply("/moved", "<Response><Wait length='2'/></Response>")
    main_sdk.calls.transfer(aleg, legs="bleg", bleg_url=answers.url("/moved"))
    settle(sandbox)
    (moved,) = answers.wait_for("/moved")
    assert moved.params["CallUUID"] == bleg["call_uuid"] and moved.params["Event"] == "Transfer"
    assert moved.params["X-PH-Ticket"] == "42" and moved.params["X-PH-Team"] == "blue"
    assert moved.params["ParentCallUUID"] == aleg
    (action,) = answers.wait_for("/dialed")
    assert action.params["DialStatus"] == "completed" and action.params["DialBLegUUID"] == bleg["call_uuid"]
    assert action.params["DialHangupCause"] == "NORMAL_CLEARING"
    settle(sandbox, 2)
    assert main_sdk.calls.get(str(bleg["call_uuid"])).hangup_cause_name == "End Of XML Instructions"
    assert main_sdk.calls.get(aleg).hangup_cause_name == "End Of XML Instructions"


def test_a_rejecting_phone_and_a_sequential_dial(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    script(sandbox, AGENT, answer="reject", after_seconds=2)
    script(sandbox, AGENT2, after_seconds=1)
    answers.reply("/first", "<Response/>")
    xml = (
        f'<Response><Dial action="{answers.url("/first")}" redirect="false"><Number>{AGENT}</Number></Dial>'
        f'<Dial action="{answers.url("/second")}" redirect="false"><Number>{AGENT2}</Number></Dial></Response>'
    )
    aleg = call_with(sandbox, main_sdk, answers, xml)
    settle(sandbox, 2)
    (first,) = answers.wait_for("/first")
    assert first.params["DialStatus"] == "busy" and first.params["DialHangupCause"] == "CALL_REJECTED"
    assert first.params["DialRingStatus"] == "true"  # it rang 2 s before rejecting
    settle(sandbox, 1)  # redirect="false": the next Dial rings the second agent
    (second,) = legs_of(sandbox, aleg)[:1]
    assert second["to"] == AGENT2 and second["status"] == "in-progress"
    main_sdk.calls.hangup(aleg)  # the caller hangs up: the agent's leg ends too
    settle(sandbox)
    (done,) = answers.wait_for("/second")
    assert done.params["DialStatus"] == "completed" and done.params["DialBLegUUID"] == second["call_uuid"]
    record = main_sdk.calls.get(str(second["call_uuid"]))
    assert record.hangup_cause_name == "Normal Hangup" and record.hangup_source == "Caller"
    signed(sandbox, answers.received)


def test_the_caller_hanging_up_while_it_rings_cancels_the_legs_and_tells_action(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    script(sandbox, AGENT, answer="no-answer")
    aleg = call_with(sandbox, main_sdk, answers, dial_xml(answers, AGENT, action=answers.url("/dialed")))
    settle(sandbox, 7)
    main_sdk.calls.hangup(aleg)
    settle(sandbox)
    (action,) = answers.wait_for("/dialed")
    assert action.params["DialStatus"] == "cancel" and action.params["DialHangupCause"] == "ORIGINATOR_CANCEL"
    assert action.params["CallStatus"] == "completed"
    (bleg,) = legs_of(sandbox, aleg)
    record = main_sdk.calls.get(str(bleg["call_uuid"]))
    assert record.hangup_cause_name == "Canceled" and record.bill_duration == 0
    assert main_sdk.live_calls.list_ids().calls == []


def test_time_limit_hangs_up_the_b_leg_and_the_caller_goes_on(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    aleg = call_with(
        sandbox,
        main_sdk,
        answers,
        dial_xml(answers, AGENT, timeLimit="30", callbackUrl=answers.url("/ev"), after="<Wait length='5'/>"),
    )
    (bleg,) = legs_of(sandbox, aleg)
    settle(sandbox, 29.9)
    assert str(bleg["call_uuid"]) in main_sdk.live_calls.list_ids().calls
    settle(sandbox, 0.1)
    live = main_sdk.live_calls.list_ids().calls
    assert aleg in live and str(bleg["call_uuid"]) not in live  # the caller goes on: <Wait>
    (hung,) = answers.wait_for("/ev", where=lambda r: r.params["DialAction"] == "hangup")
    assert hung.params["DialBLegHangupCauseName"] == "Scheduled Hangup"
    assert (
        hung.params["DialBLegHangupCause"] == "ALLOTTED_TIMEOUT" and hung.params["DialBLegDuration"] == "30"
    )
    settle(sandbox, 5)
    assert main_sdk.calls.get(aleg).call_duration == 35


def test_hangup_on_star_and_digits_match_on_either_leg(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer, control: object
) -> None:
    aleg = call_with(
        sandbox,
        main_sdk,
        answers,
        dial_xml(
            answers,
            AGENT,
            hangupOnStar="true",
            digitsMatch="12,9",
            digitsMatchBLeg="#5",
            callbackUrl=answers.url("/ev"),
            action=answers.url("/dialed"),
        ),
    )
    (bleg,) = legs_of(sandbox, aleg)
    bleg_uuid = str(bleg["call_uuid"])
    with sandbox.main_client() as client:
        for uuid, keys in ((aleg, "3"), (aleg, "1"), (aleg, "2"), (bleg_uuid, "#5"), (aleg, "9")):
            assert client.post(f"/_sandbox/calls/{uuid}/digits", json={"digits": keys}).json()["taken"]
            settle(sandbox)
    matches = [r for r in answers.requests_to("/ev") if r.params["DialAction"] == "digits"]
    assert [(m.params["DialDigitsMatch"], m.params["DialDigitsPressedBy"]) for m in matches] == [
        ("12", "ALeg"),
        ("#5", "BLeg"),
        ("9", "ALeg"),
    ]
    assert {m.params["Event"] for m in matches} == {"DialDigitsMatch"}
    assert {m.params["DialBLegUUID"] for m in matches} == {bleg_uuid}
    with sandbox.main_client() as client:
        client.post(f"/_sandbox/calls/{aleg}/digits", json={"digits": "*"})
    settle(sandbox)
    (action,) = answers.wait_for("/dialed")
    assert (
        action.params["DialStatus"] == "completed" and action.params["DialHangupCause"] == "NORMAL_CLEARING"
    )
    assert main_sdk.calls.get(bleg_uuid).hangup_source == "Caller"
    signed(sandbox, answers.received)


def test_confirm_sound_and_confirm_key_before_the_legs_connect(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    script(sandbox, AGENT, after_seconds=1)  # answers first, but never presses the key
    script(sandbox, AGENT2, after_seconds=2, presses="5")  # answers later and accepts
    answers.reply("/confirm", "<Response><Speak>Press 5 to take the call</Speak><Hangup/></Response>")
    answers.reply("/music", "<Response><Play>https://example.com/hold.mp3</Play></Response>")
    aleg = call_with(
        sandbox,
        main_sdk,
        answers,
        dial_xml(
            answers,
            AGENT,
            AGENT2,
            confirmSound=answers.url("/confirm"),
            confirmKey="5",
            confirmTimeout="10",
            dialMusic=answers.url("/music"),
            callbackUrl=answers.url("/ev"),
            action=answers.url("/dialed"),
        ),
    )
    (music,) = answers.wait_for("/music")
    assert music.method == "POST" and music.params["CallUUID"] == aleg
    settle(sandbox, 2)
    fetched = answers.requests_to("/confirm")
    assert len(fetched) == 2 and {r.method for r in fetched} == {"POST"}  # each answering leg hears it
    legs = {leg_to(leg): str(leg["call_uuid"]) for leg in legs_of(sandbox, aleg)}
    assert {r.params["CallUUID"] for r in fetched} == set(legs.values())
    # "Press 5 to take the call": 26 characters, 2 s of speech; the second agent presses 5 1 s later.
    settle(sandbox, 2)
    assert [r.params["DialAction"] for r in answers.requests_to("/ev")] == ["answer", "answer"]
    settle(sandbox, 1)
    connected = [r for r in answers.requests_to("/ev") if r.params["DialAction"] == "connected"]
    assert [r.params["DialBLegTo"] for r in connected] == [AGENT2]
    first = main_sdk.calls.get(legs[AGENT])
    assert first.hangup_cause_name == "Canceled" and first.answer_time is not None  # lost the race
    with sandbox.main_client() as client:
        log = client.get(f"/_sandbox/calls/{aleg}").json()["log"]
        assert {"event": "dial_music", "url": answers.url("/music"), "media": ["Play"]} in [
            {k: e[k] for k in ("event", "url", "media")} for e in log if e["event"] == "dial_music"
        ]
    main_sdk.calls.hangup(legs[AGENT2])
    settle(sandbox)
    (action,) = answers.wait_for("/dialed")
    assert action.params["DialBLegUUID"] == legs[AGENT2]


def test_a_leg_that_does_not_press_the_confirm_key_is_hung_up(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/confirm", "<Response><Wait length='1'/></Response>")
    aleg = call_with(
        sandbox,
        main_sdk,
        answers,
        dial_xml(
            answers,
            AGENT,
            confirmSound=answers.url("/confirm"),
            confirmKey="1",
            confirmTimeout="5",
            action=answers.url("/dialed"),
        ),
    )
    (bleg,) = legs_of(sandbox, aleg)
    settle(sandbox, 1)
    with sandbox.main_client() as client:  # a wrong key does not confirm
        assert client.post(f"/_sandbox/calls/{bleg['call_uuid']}/digits", json={"digits": "2"}).json()[
            "taken"
        ]
    settle(sandbox, 5)
    (action,) = answers.wait_for("/dialed")
    assert action.params["DialStatus"] == "no-answer" and action.params["DialBLegUUID"] == ""
    assert main_sdk.calls.get(str(bleg["call_uuid"])).call_duration == 6  # answered, then given up


def test_number_send_digits_are_played_to_the_callee(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    aleg = call_with(
        sandbox,
        main_sdk,
        answers,
        dial_xml(
            answers,
            f'<Number sendDigits="ww1234">{AGENT}</Number>',
            f'<Number sendDigits="9" sendOnPreanswer="true">{AGENT2}</Number>',
        ),
    )
    legs = {leg_to(leg): str(leg["call_uuid"]) for leg in legs_of(sandbox, aleg)}
    with sandbox.main_client() as client:
        logs = {to: client.get(f"/_sandbox/calls/{uuid}").json() for to, uuid in legs.items()}
    sent = {to: [e for e in view["log"] if e["event"] == "dtmf_sent"] for to, view in logs.items()}
    assert [e["digits"] for e in sent[AGENT]] == ["ww1234"]
    assert [(e["digits"], e.get("preanswer")) for e in sent[AGENT2]] == [("9", True)]
    main_sdk.calls.hangup(aleg)


def test_transfers_of_the_b_leg_and_both_legs(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/b-moved", "<Response><Wait length='3'/></Response>")
    answers.reply("/a-moved", "<Response><Wait length='4'/></Response>")
    aleg = call_with(sandbox, main_sdk, answers, dial_xml(answers, AGENT, action=answers.url("/dialed")))
    (bleg,) = legs_of(sandbox, aleg)
    bleg_uuid = str(bleg["call_uuid"])
    with pytest.raises(plivo_errors.ValidationError):
        main_sdk.calls.transfer(aleg, legs="bleg")  # the SDK wants bleg_url
    assert (
        main_sdk.calls.transfer(
            aleg, legs="both", aleg_url=answers.url("/a-moved"), bleg_url=answers.url("/b-moved")
        ).message
        == "call transfered"
    )
    settle(sandbox)
    (a_moved,) = answers.wait_for("/a-moved")
    (b_moved,) = answers.wait_for("/b-moved")
    assert (a_moved.params["CallUUID"], b_moved.params["CallUUID"]) == (aleg, bleg_uuid)
    assert a_moved.params["Event"] == b_moved.params["Event"] == "Transfer"
    assert not answers.requests_to("/dialed")  # the caller was moved: the Dial has no say
    assert {aleg, bleg_uuid} <= set(main_sdk.live_calls.list_ids().calls)
    settle(sandbox, 4)
    assert main_sdk.live_calls.list_ids().calls == []
    assert main_sdk.calls.get(bleg_uuid).call_duration == 3 and main_sdk.calls.get(aleg).call_duration == 4


def test_transfer_of_the_a_leg_alone_hangs_its_b_leg_up(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/a-moved", "<Response><Wait length='2'/></Response>")
    aleg = call_with(sandbox, main_sdk, answers, dial_xml(answers, AGENT, callbackUrl=answers.url("/ev")))
    (bleg,) = legs_of(sandbox, aleg)
    main_sdk.calls.transfer(aleg, legs="aleg", aleg_url=answers.url("/a-moved"))
    settle(sandbox)
    answers.wait_for("/a-moved")
    assert main_sdk.live_calls.list_ids().calls == [aleg]
    assert main_sdk.calls.get(str(bleg["call_uuid"])).hangup_source == "Caller"
    (hung,) = answers.wait_for("/ev", where=lambda r: r.params["DialAction"] == "hangup")
    assert hung.params["DialBLegHangupCauseName"] == "Normal Hangup"


def test_bleg_actions_need_a_connected_dial(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", "<Response><Wait length='60'/></Response>")
    alone = call_with(sandbox, main_sdk, answers, "<Response><Wait length='60'/></Response>")
    with sandbox.main_client() as client:
        base = f"/v1/Account/{sandbox.state.main_auth_id}/Call/{alone}/"
        moved = client.post(base, data={"legs": "bleg", "bleg_url": answers.url("/x")})
        assert moved.status_code == 400 and "no bleg" in moved.json()["error"]
        tones = client.post(base + "DTMF/", data={"digits": "1", "leg": "bleg"})
        assert tones.status_code == 400 and "no bleg" in tones.json()["error"]
    aleg = call_with(sandbox, main_sdk, answers, dial_xml(answers, AGENT2), to="14155550122")
    (bleg,) = legs_of(sandbox, aleg)
    assert main_sdk.calls.send_digits(aleg, digits="42", leg="bleg").message == "digits sent"
    with sandbox.main_client() as client:
        view = client.get(f"/_sandbox/calls/{bleg['call_uuid']}").json()
    assert [e["digits"] for e in view["log"] if e["event"] == "dtmf_sent"] == ["42"]


def test_advancing_a_ringing_leg_answers_it(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    script(sandbox, AGENT, answer="no-answer")
    aleg = call_with(sandbox, main_sdk, answers, dial_xml(answers, AGENT, action=answers.url("/dialed")))
    (bleg,) = legs_of(sandbox, aleg)
    with sandbox.main_client() as client:
        advanced = client.post(f"/_sandbox/calls/{bleg['call_uuid']}/advance", json={"to": "busy"})
        assert advanced.status_code == 202
    settle(sandbox)
    (action,) = answers.wait_for("/dialed")
    assert action.params["DialStatus"] == "busy"


@pytest.mark.parametrize(
    ("xml", "complaint"),
    [
        ("<Dial/>", "needs one of <User>, <Number>"),
        ("<Dial><Number></Number></Dial>", "<Number> needs text"),
        ("<Dial><Number>not-a-number</Number></Dial>", "phone number"),
        ("<Dial><User>alice</User></Dial>", "SIP URI"),
        ("<Dial timeout='0'><Number>1415</Number></Dial>", "timeout"),
        ("<Dial timeLimit='x'><Number>1415</Number></Dial>", "timeLimit"),
        ("<Dial hangupOnStar='yes'><Number>1415</Number></Dial>", "hangupOnStar"),
        ("<Dial confirmKey='12'><Number>1415</Number></Dial>", "confirmKey"),
        ("<Dial dialMusic='ringing'><Number>1415</Number></Dial>", "dialMusic"),
        ("<Dial digitsMatch='1a'><Number>1415</Number></Dial>", "digitsMatch"),
        ("<Dial sipHeaders='no pairs'><Number>1415</Number></Dial>", "sipHeaders"),
        ("<Dial callerName='" + "x" * 51 + "'><Number>1415</Number></Dial>", "callerName"),
        ("<Dial><Number sendDigits='12x'>1415</Number></Dial>", "sendDigits"),
        ("<Dial><Speak>hi</Speak></Dial>", "<Speak> cannot be nested in <Dial>"),
        ("<Number>1415</Number>", "<Number> cannot be nested in <Response>"),
    ],
)
def test_dial_documents_plivo_refuses(xml: str, complaint: str) -> None:
    from plivo_blocks.sandbox.voice import xml as px

    with pytest.raises(px.InvalidXML, match=complaint):
        px.parse(f"<Response>{xml}</Response>")


def test_the_readme_ivr_example(sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer) -> None:
    """README, "Phone scripts, Dial and IVRs": a menu, a Dial to a busy agent, a spoken answer."""
    script(sandbox, AGENT2, answer="busy")
    script(sandbox, CALLER, presses="1", says="yes please")
    answers.reply(
        "/menu",
        f'<Response><Dial action="{answers.url("/dialed")}" timeout="20" callbackUrl="{answers.url("/ev")}">'
        f"<Number>{AGENT2}</Number></Dial></Response>",
    )
    answers.reply(
        "/dialed",
        f'<Response><GetInput action="{answers.url("/callback")}" inputType="speech">'
        "<Speak>Everyone is busy. Shall we call you back?</Speak></GetInput></Response>",
    )
    call_with(
        sandbox,
        main_sdk,
        answers,
        f'<Response><GetInput action="{answers.url("/menu")}" inputType="dtmf speech" numDigits="1">'
        "<Speak>Press 1 or say agent to talk to someone.</Speak></GetInput></Response>",
    )
    settle(sandbox, 10)
    (menu,) = answers.wait_for("/menu")
    assert (menu.params["InputType"], menu.params["Digits"]) == ("dtmf", "1")
    (dialed,) = answers.wait_for("/dialed")
    assert (dialed.params["DialStatus"], dialed.params["DialHangupCause"], dialed.params["DialBLegUUID"]) == (
        "busy",
        "USER_BUSY",
        "",
    )
    (callback,) = answers.wait_for("/callback")
    assert callback.params["Speech"] == "yes please"


def test_advancing_a_confirming_leg_accepts_it_and_advancing_a_connected_leg_does_nothing(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/confirm", "<Response><Speak>Press 1</Speak></Response>")
    aleg = call_with(
        sandbox,
        main_sdk,
        answers,
        dial_xml(
            answers, AGENT, confirmSound=answers.url("/confirm"), confirmKey="1", action=answers.url("/d")
        ),
    )
    (bleg,) = legs_of(sandbox, aleg)
    settle(sandbox, 1)
    with sandbox.main_client() as client:
        assert client.get(f"/_sandbox/calls/{bleg['call_uuid']}").json()["waiting_for"] == "confirm"
        assert client.post(f"/_sandbox/calls/{bleg['call_uuid']}/advance", json={}).status_code == 202
        settle(sandbox)
        view = client.get(f"/_sandbox/calls/{bleg['call_uuid']}").json()
        assert view["activity"] == "connected"
        assert client.post(f"/_sandbox/calls/{bleg['call_uuid']}/advance", json={}).status_code == 202
        settle(sandbox, 5)
        assert client.get(f"/_sandbox/calls/{bleg['call_uuid']}").json()["activity"] == "connected"
    assert not answers.requests_to("/d")
    main_sdk.calls.hangup(str(bleg["call_uuid"]))
    settle(sandbox)
    assert answers.wait_for("/d")[0].params["DialStatus"] == "completed"
