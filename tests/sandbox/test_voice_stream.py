"""``<Stream>`` against a real voice-agent WebSocket server on loopback (``ws_server.AgentServer``),
driven by the official Python SDK on the manual clock: the signed handshake, the start message, silence
frames paced by the sandbox clock, playAudio / checkpoint / clearAudio, the caller's keys, stop, and
the status callbacks with their parameters and signatures."""

from __future__ import annotations

import base64
import itertools
from typing import Any

import plivo
import pytest
from answer_server import AnswerServer, Received, answers_fixture, settle  # noqa: F401
from plivo import plivoxml
from plivo.utils.signature_v3 import validate_v3_signature
from sandbox_server import Server
from ws_server import AgentServer, agent_fixture  # noqa: F401

from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.signatures import validate_v2

FROM = "14155550100"


def call(sandbox: Server, sdk: plivo.RestClient, answers: AnswerServer, to: str = "14155550111") -> str:
    request_uuid = sdk.calls.create(
        from_=FROM, to_=to, answer_url=answers.url("/answer"), hangup_url=answers.url("/hangup")
    ).request_uuid
    (answer,) = answers.wait_for("/answer", where=lambda r: r.params.get("RequestUUID") == request_uuid)
    return answer.params["CallUUID"]


def call_log(sandbox: Server, call_uuid: str) -> list[dict[str, Any]]:
    with sandbox.main_client() as control:
        answer = control.get(f"/_sandbox/calls/{call_uuid}")
    assert answer.status_code == 200, answer.text
    log: list[dict[str, Any]] = answer.json()["log"]
    return log


def events(sandbox: Server, call_uuid: str) -> list[str]:
    return [entry["event"] for entry in call_log(sandbox, call_uuid)]


def wait_for_log(sandbox: Server, agent: AgentServer, call_uuid: str, event: str, count: int = 1) -> None:
    """The sandbox read what the server sent (it logs each message on the call)."""
    agent.wait_until(
        lambda: events(sandbox, call_uuid).count(event) >= count, what=f"{event} in the call log"
    )


def stream_xml(agent: AgentServer, answers: AnswerServer, after: str = "", **attributes: Any) -> str:
    """The answer document, built with the official SDK's plivoxml."""
    response = plivoxml.ResponseElement()
    response.add(
        plivoxml.StreamElement(agent.url(), statusCallbackUrl=answers.url("/stream-status"), **attributes)
    )
    return response.to_string(pretty=False).replace("</Response>", f"{after}</Response>")


def assert_signed(received: Received, token: str) -> None:
    assert received.signed_by(token), received.path


def test_a_stream_sends_start_then_silence_frames_paced_by_the_sandbox_clock(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer, agent: AgentServer
) -> None:
    answers.reply(
        "/answer",
        stream_xml(
            agent,
            answers,
            '<Wait length="2"/>',
            contentType="audio/x-mulaw;rate=8000",
            extraHeaders="userId=12345,team=blue",
        ),
    )
    call_uuid = call(sandbox, main_sdk, answers)
    settle(sandbox)
    connection = agent.connection()
    (start,) = agent.wait_for(connection, "start")
    token = sandbox.state.main_auth_token

    # The handshake is signed as Plivo signs it: the official SDK's V3 check (method GET, the URL with
    # ws read as http, as the Node stream SDK validates it) and V2.
    headers = connection.headers
    http_url = f"http://127.0.0.1:{agent.port}{connection.path}"
    assert validate_v3_signature(
        "GET", http_url, headers["x-plivo-signature-v3-nonce"], token, headers["x-plivo-signature-v3"]
    )
    assert validate_v2(
        http_url, headers["x-plivo-signature-v2-nonce"], headers["x-plivo-signature-v2"], token
    )
    assert not validate_v2(
        http_url, headers["x-plivo-signature-v2-nonce"], headers["x-plivo-signature-v2"], "x" * 40
    )

    stream_id = start["start"]["streamId"]
    assert start == {
        "event": "start",
        "sequenceNumber": 1,
        "start": {
            "callId": call_uuid,
            "streamId": stream_id,
            "accountId": sandbox.state.main_auth_id,
            "tracks": ["inbound"],
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000},
        },
        "extra_headers": "userId=12345,team=blue",
    }
    assert connection.of("media") == []  # no sandbox time has passed yet

    settle(sandbox, 1)
    media = agent.wait_for(connection, "media", 50)
    assert len(media) == 50  # 20 ms frames, one second of sandbox time; the clock stands still now
    assert [m["sequenceNumber"] for m in media] == list(range(2, 52))
    assert [m["media"]["chunk"] for m in media] == list(range(1, 51))
    stamps = [int(m["media"]["timestamp"]) for m in media]
    assert [b - a for a, b in itertools.pairwise(stamps)] == [20] * 49
    first = media[0]
    assert first["streamId"] == stream_id and first["media"]["track"] == "inbound"
    assert first["extra_headers"] == "userId=12345,team=blue"
    assert base64.b64decode(first["media"]["payload"]) == b"\xff" * 160  # 20 ms of mu-law silence
    assert main_sdk.live_calls.get(call_uuid).call_uuid == call_uuid

    settle(sandbox, 1)  # the Wait ends, the call ends, the stream stops
    connection.closed.wait(5)
    assert connection.close_code == 1000
    (stop,) = connection.of("stop")
    assert stop["reason"] == "call hangup" and stop["streamId"] == stream_id
    assert stop["sequenceNumber"] == connection.messages[-1]["sequenceNumber"] == len(connection.messages)
    # The frame due at the very moment the call ends (t = 2 s) is not sent: the call ended first.
    assert len(connection.of("media")) == 99

    statuses = answers.wait_for("/stream-status", 2)
    assert [s.params["Event"] for s in statuses] == ["StartStream", "StopStream"]
    for status in statuses:
        assert_signed(status, token)
        assert status.params["CallUUID"] == call_uuid and status.params["StreamID"] == stream_id
        assert status.params["contentType"] == "audio/x-mulaw;rate=8000"
        assert status.params["extraHeaders"] == "userId=12345,team=blue"
        assert (status.params["bidirectional"], status.params["keepCallAlive"]) == ("false", "false")
        assert (status.params["audioTrack"], status.params["streamTimeout"]) == ("inbound", "86400")
    assert main_sdk.calls.get(call_uuid).call_duration == 2
    assert {"stream", "stream_started", "stream_ended"} <= set(events(sandbox, call_uuid))
    with sandbox.main_client() as control:
        (shown,) = control.get("/_sandbox/streams", params={"call_uuid": call_uuid}).json()["streams"]
    assert (shown["stream_id"], shown["status"], shown["end_reason"]) == (stream_id, "stopped", "call hangup")
    assert shown["frames_sent"] == {"inbound": 99} and shown["service_url"] == agent.url()


def test_a_bidirectional_stream_plays_audio_answers_checkpoints_and_keeps_the_call(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer, agent: AgentServer
) -> None:
    one_second = base64.b64encode(bytes(16000)).decode()  # 16-bit PCM at 8 kHz
    agent.on_start = [
        {
            "event": "playAudio",
            "media": {"contentType": "audio/x-l16", "sampleRate": 8000, "payload": one_second},
        },
        {"event": "checkpoint", "streamId": "", "name": "greeting"},
    ]
    answers.reply(
        "/answer",
        stream_xml(agent, answers, "<Speak>Back in the XML</Speak>", bidirectional=True, keepCallAlive=True),
    )
    call_uuid = call(sandbox, main_sdk, answers)
    connection = agent.connection()
    wait_for_log(sandbox, agent, call_uuid, "stream_checkpoint")
    settle(sandbox, 0.98)
    assert connection.of("playedStream") == []  # the second of audio has not played yet
    settle(sandbox, 0.02)
    (played,) = agent.wait_for(connection, "playedStream")
    stream_id = connection.of("start")[0]["start"]["streamId"]
    assert played["name"] == "greeting" and played["streamId"] == stream_id
    log = {e["event"]: e for e in call_log(sandbox, call_uuid)}
    assert log["stream_play_audio"]["seconds"] == 1.0 and log["stream_play_audio"]["bytes"] == 16000

    # clearAudio drops what is queued, checkpoints included; the server is told with clearedAudio.
    two_seconds = base64.b64encode(b"\xff" * 16000).decode()  # mu-law at 8 kHz
    connection.send(
        {
            "event": "playAudio",
            "media": {"contentType": "audio/x-mulaw", "sampleRate": 8000, "payload": two_seconds},
        }
    )
    connection.send({"event": "checkpoint", "streamId": stream_id, "name": "never"})
    connection.send({"event": "clearAudio", "streamId": stream_id})
    (cleared,) = agent.wait_for(connection, "clearedAudio")
    assert cleared["streamId"] == stream_id
    settle(sandbox, 3)
    assert [m["name"] for m in connection.of("playedStream")] == ["greeting"]

    # The caller's keys reach the server as dtmf messages; the call stays on the stream.
    with sandbox.main_client() as control:
        assert control.post(f"/_sandbox/calls/{call_uuid}/digits", json={"digits": "42"}).status_code == 202
    settle(sandbox)
    dtmf = agent.wait_for(connection, "dtmf", 2)
    assert [d["dtmf"]["digit"] for d in dtmf] == ["4", "2"] and dtmf[0]["dtmf"]["track"] == "inbound"
    assert "speak" not in events(sandbox, call_uuid)
    assert main_sdk.live_calls.get(call_uuid).call_uuid == call_uuid

    # The server hangs up the stream: StopStream, and the XML goes on after it.
    connection.close(1000)
    settle(sandbox)
    statuses = answers.wait_for("/stream-status", 2)
    assert [s.params["Event"] for s in statuses] == ["StartStream", "StopStream"]
    assert statuses[1].params["bidirectional"] == "true" and statuses[1].params["keepCallAlive"] == "true"
    settle(sandbox, 2)
    order = events(sandbox, call_uuid)
    assert order.index("stream_ended") < order.index("speak")
    (hangup,) = answers.wait_for("/hangup")
    assert hangup.params["HangupCauseName"] == "End Of XML Instructions"


def test_a_stream_without_keep_call_alive_lets_the_xml_go_on_and_ignores_play_audio_unless_bidirectional(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer, agent: AgentServer
) -> None:
    agent.on_start = [
        {"event": "playAudio", "media": {"contentType": "audio/x-l16", "sampleRate": 16000, "payload": ""}}
    ]
    answers.reply(
        "/answer", stream_xml(agent, answers, '<Speak>Hello</Speak><Wait length="5"/>', audioTrack="both")
    )
    call_uuid = call(sandbox, main_sdk, answers)
    connection = agent.connection()
    wait_for_log(sandbox, agent, call_uuid, "stream_message_ignored")
    assert "speak" in events(sandbox, call_uuid)
    settle(sandbox, 0.1)
    media = agent.wait_for(connection, "media", 10)
    assert connection.of("start")[0]["start"]["tracks"] == ["inbound", "outbound"]
    assert [(m["media"]["track"], m["media"]["chunk"]) for m in media[:4]] == [
        ("inbound", 1),
        ("outbound", 1),
        ("inbound", 2),
        ("outbound", 2),
    ]
    assert base64.b64decode(media[0]["media"]["payload"]) == bytes(320)  # 16-bit PCM silence at 8 kHz


def test_stream_timeout_stops_the_stream_and_the_call_goes_on(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer, agent: AgentServer
) -> None:
    answers.reply(
        "/answer",
        stream_xml(
            agent,
            answers,
            '<Wait length="10"/>',
            bidirectional=True,
            keepCallAlive=True,
            streamTimeout=3,
            contentType="audio/x-l16;rate=16000",
        ),
    )
    call_uuid = call(sandbox, main_sdk, answers)
    connection = agent.connection()
    agent.wait_for(connection, "start")
    settle(sandbox, 3)
    connection.closed.wait(5)
    (stop,) = connection.of("stop")
    assert stop["reason"] == "stream timeout" and connection.close_code == 1000
    media = connection.of("media")
    # 3 s of 20 ms frames but the last: the timeout falls due with it and ends the stream first.
    assert len(media) == 149 and base64.b64decode(media[0]["media"]["payload"]) == bytes(640)
    statuses = answers.wait_for("/stream-status", 2)
    assert [s.params["Event"] for s in statuses] == ["StartStream", "StopStream"]
    assert statuses[1].params["streamTimeout"] == "3"
    assert events(sandbox, call_uuid)[-1] == "wait"  # the XML went on at the timeout
    assert main_sdk.live_calls.get(call_uuid).call_uuid == call_uuid


def test_an_unreachable_or_lost_server_drops_the_stream(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer, agent: AgentServer
) -> None:
    agent.refuse = True
    answers.reply("/answer", stream_xml(agent, answers, "<Speak>No agent today</Speak>", keepCallAlive=True))
    refused = call(sandbox, main_sdk, answers)
    settle(sandbox)
    (dropped,) = answers.wait_for("/stream-status")
    assert dropped.params["Event"] == "DroppedStream" and dropped.params["CallUUID"] == refused
    assert_signed(dropped, sandbox.state.main_auth_token)
    log = events(sandbox, refused)
    assert log.count("stream_connect_failed") == 3  # the first try and Plivo's two more
    assert log.index("stream_ended") < log.index("speak")

    agent.refuse = False
    answers.reply("/answer", stream_xml(agent, answers, '<Wait length="30"/>'))
    lost = call(sandbox, main_sdk, answers, to="14155550122")
    connection = agent.connection()
    agent.wait_for(connection, "start")
    connection.drop()
    agent.wait_until(lambda: "stream_ended" in events(sandbox, lost), what="the sandbox to notice the loss")
    settle(sandbox)
    statuses = [r for r in answers.requests_to("/stream-status") if r.params["CallUUID"] == lost]
    assert [s.params["Event"] for s in statuses] == ["StartStream", "DroppedStream"]
    assert main_sdk.live_calls.get(lost).call_uuid == lost  # the call goes on without its stream


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        ("<Stream>https://agent.example.com/ws</Stream>", "ws:// or wss://"),
        ('<Stream bidirectional="true" audioTrack="both">wss://a.example.com</Stream>', "inbound track only"),
        ('<Stream audioTrack="Inbound">wss://a.example.com</Stream>', "audioTrack"),
        ('<Stream contentType="audio/x-l16;rate=44100">wss://a.example.com</Stream>', "contentType"),
        ('<Stream extraHeaders="user-id=1">wss://a.example.com</Stream>', "extraHeaders"),
        ('<Stream streamTimeout="0">wss://a.example.com</Stream>', "streamTimeout"),
        ('<Stream keepCallAlive="yes">wss://a.example.com</Stream>', "keepCallAlive"),
        ('<Stream noiseCancellationLevel="50">wss://a.example.com</Stream>', "noiseCancellationLevel"),
        ("<Stream><Speak>hi</Speak>wss://a.example.com</Stream>", "holds only text"),
    ],
)
def test_plivo_refuses_a_bad_stream(xml: str, reason: str) -> None:
    with pytest.raises(px.InvalidXML, match=reason):
        px.parse(f"<Response>{xml}</Response>")


def test_a_stream_element_built_by_the_sdk_parses_with_its_attributes() -> None:
    element = plivoxml.StreamElement(
        "wss://agent.example.com/ws",
        bidirectional=True,
        audioTrack="inbound",
        streamTimeout=120,
        statusCallbackMethod="GET",
        contentType="audio/x-l16;rate=16000",
        keepCallAlive=True,
    )
    response = plivoxml.ResponseElement().add(element)
    (stream,) = px.parse(response.to_string(pretty=False))
    assert stream == px.Stream(
        "wss://agent.example.com/ws",
        bidirectional=True,
        stream_timeout=120,
        status_callback_method="GET",
        content_type="audio/x-l16;rate=16000",
        keep_call_alive=True,
    )
