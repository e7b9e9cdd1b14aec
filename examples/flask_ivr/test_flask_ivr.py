"""The Flask IVR, end to end in one process: the official SDK and the plugin's ``plivo_sandbox``
fixture, nothing else. No server is started and nothing may use the network (``no_network``)."""

from __future__ import annotations

import socket
from typing import Any

import plivo
import pytest
from acme_line import AGENT, AUTH_ID, IVR_URL
from flask import Flask
from ivr import SMS_REPLY, VOICEMAIL_SMS, Journal

from plivo_blocks.testing import MockPlivo

CALLER = "14155550123"


def _no_network(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a test of the IVR tried to use the network")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every way out of the process is closed: no connection, no listening port, no DNS."""
    for name in ("connect", "connect_ex", "bind"):
        monkeypatch.setattr(socket.socket, name, _no_network)
    monkeypatch.setattr(socket, "getaddrinfo", _no_network)
    monkeypatch.setattr(socket, "create_connection", _no_network)


def journal(ivr: Flask) -> Journal:
    found: Journal = ivr.extensions["journal"]
    return found


def live_call(sandbox: MockPlivo) -> dict[str, Any]:
    [call] = sandbox.calls(live=True)
    return call


def until_menu_is_read(sandbox: MockPlivo) -> dict[str, Any]:
    """Let sandbox time pass until the caller is asked to choose (reading the menu takes seconds)."""
    for _ in range(60):
        call = live_call(sandbox)
        if call["waiting_for_digits"]:
            return call
        sandbox.advance(1)
    raise AssertionError(f"the menu never asked for digits: {call}")


def test_a_text_to_the_line_gets_an_answer_by_sms(
    plivo_sandbox: MockPlivo, support_line: str, plivo_client: plivo.RestClient, ivr: Flask
) -> None:
    plivo_sandbox.inbound_sms(CALLER, support_line, "hello?")
    assert journal(ivr).texts == [{"from": CALLER, "text": "hello?"}]
    reply, received = plivo_sandbox.messages()
    assert (received["message_direction"], received["text"]) == ("inbound", "hello?")
    assert (reply["from_number"], reply["to_number"], reply["text"]) == (support_line, CALLER, SMS_REPLY)
    # The account sees the same two messages through Plivo's API.
    assert {m.message_direction for m in plivo_client.messages.list()} == {"inbound", "outbound"}


def test_sending_an_sms_from_the_line(
    plivo_sandbox: MockPlivo, support_line: str, plivo_client: plivo.RestClient
) -> None:
    sent = plivo_client.messages.create(src=support_line, dst=CALLER, text="Your ticket #42 is solved.")
    plivo_sandbox.advance(60)
    [message] = plivo_sandbox.messages()
    assert message["message_uuid"] == sent.message_uuid[0]
    assert (message["text"], message["message_state"], message["auth_id"]) == (
        "Your ticket #42 is solved.",
        "delivered",
        AUTH_ID,
    )


def test_a_caller_leaves_a_voicemail_and_gets_an_sms(
    plivo_sandbox: MockPlivo, support_line: str, ivr: Flask
) -> None:
    call_uuid = plivo_sandbox.inbound_call(CALLER, support_line)["call_uuid"]
    call = until_menu_is_read(plivo_sandbox)
    assert (call["call_uuid"], call["from"], call["to"]) == (call_uuid, CALLER, support_line)
    assert plivo_sandbox.press(call_uuid, "2")["taken"] is True
    plivo_sandbox.advance(30)  # the prompt, the beep, then five seconds of silence end the recording

    [voicemail] = journal(ivr).voicemails
    [recording] = plivo_sandbox.recordings()
    assert voicemail["recording_id"] == recording["recording_id"] and voicemail["from"] == CALLER
    assert recording["call_uuid"] == call_uuid
    [confirmation] = plivo_sandbox.messages()
    assert (confirmation["to_number"], confirmation["text"]) == (CALLER, VOICEMAIL_SMS)

    [ended] = plivo_sandbox.calls()
    assert ended["live"] is False and ended["call_direction"] == "inbound"
    assert journal(ivr).calls[call_uuid] == ["menu", "voicemail", "recorded", "hangup NORMAL_CLEARING"]
    # Every webhook reached the IVR signed: it refused none.
    assert journal(ivr).refused == 0
    kinds = [w["kind"] for w in reversed(plivo_sandbox.webhooks())]
    assert kinds[0] == "answer" and kinds[-1] == "hangup"


def test_no_choice_ends_the_call_politely(plivo_sandbox: MockPlivo, support_line: str, ivr: Flask) -> None:
    call_uuid = plivo_sandbox.inbound_call(CALLER, support_line)["call_uuid"]
    until_menu_is_read(plivo_sandbox)
    plivo_sandbox.advance(30)  # no key within the GetDigits timeout, then the goodbye
    [ended] = plivo_sandbox.calls()
    assert ended["call_uuid"] == call_uuid and ended["live"] is False
    assert journal(ivr).calls[call_uuid][0] == "menu" and journal(ivr).calls[call_uuid][-1].startswith(
        "hangup"
    )
    assert plivo_sandbox.recordings() == [] and plivo_sandbox.messages() == []


def test_webhooks_without_plivos_signature_are_refused(ivr: Flask) -> None:
    response = ivr.test_client().post(f"{IVR_URL}/answer", data={"CallUUID": "forged", "From": CALLER})
    assert response.status_code == 403
    assert journal(ivr).refused == 1 and journal(ivr).calls == {}


def test_an_agent_takes_the_call(plivo_sandbox: MockPlivo, support_line: str, ivr: Flask) -> None:
    plivo_sandbox.phone(AGENT, answer="answer", after_seconds=3)  # the agent picks up after 3 s
    call_uuid = plivo_sandbox.inbound_call(CALLER, support_line)["call_uuid"]
    until_menu_is_read(plivo_sandbox)
    plivo_sandbox.press(call_uuid, "1")
    plivo_sandbox.advance(3)

    [agent_leg] = [c for c in plivo_sandbox.calls(live=True) if c["call_uuid"] != call_uuid]
    assert (agent_leg["to"], agent_leg["from"], agent_leg["status"]) == (AGENT, support_line, "in-progress")
    assert agent_leg["parent_call_uuid"] == call_uuid
    plivo_sandbox.advance(60)  # they talk for a minute
    plivo_sandbox.hangup(agent_leg["call_uuid"])  # then the agent hangs up

    assert plivo_sandbox.calls(live=True) == []
    records = {c["call_uuid"]: c for c in plivo_sandbox.calls()}
    assert records[agent_leg["call_uuid"]]["call_duration"] == 60
    assert records[agent_leg["call_uuid"]]["parent_call_uuid"] == call_uuid
    assert journal(ivr).calls[call_uuid][:3] == ["menu", "agent", "dial completed"]
    assert journal(ivr).calls[call_uuid][-1].startswith("hangup")
    assert journal(ivr).voicemails == [] and plivo_sandbox.messages() == []


def test_when_the_agent_does_not_answer_the_caller_leaves_a_voicemail(
    plivo_sandbox: MockPlivo, support_line: str, ivr: Flask
) -> None:
    plivo_sandbox.phone(AGENT, answer="no-answer")
    call_uuid = plivo_sandbox.inbound_call(CALLER, support_line)["call_uuid"]
    until_menu_is_read(plivo_sandbox)
    plivo_sandbox.press(call_uuid, "1")
    plivo_sandbox.advance(20)  # the Dial's timeout
    assert journal(ivr).calls[call_uuid] == ["menu", "agent", "dial no-answer"]
    plivo_sandbox.advance(30)  # the voicemail prompt, the beep, five seconds of silence
    assert [v["call_uuid"] for v in journal(ivr).voicemails] == [call_uuid]
    [confirmation] = plivo_sandbox.messages()
    assert (confirmation["to_number"], confirmation["text"]) == (CALLER, VOICEMAIL_SMS)
