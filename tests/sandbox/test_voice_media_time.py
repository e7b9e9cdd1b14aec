"""Media takes the time it takes: Play the length of its file (WAV and MP3 measured from their
headers, a documented default otherwise), and audio played by the Play and Speak APIs holds the XML,
which resumes afterwards. On the manual clock, with the official SDK and a real receiver."""

from __future__ import annotations

import io
import struct
import wave

import plivo
import pytest
from answer_server import AnswerServer, answers_fixture, settle  # noqa: F401
from sandbox_server import Server

from plivo_blocks.sandbox.voice.audio import mp3_frame, silent_mp3
from plivo_blocks.sandbox.voice.audio_length import audio_seconds, mp3_seconds, wav_seconds
from plivo_blocks.sandbox.voice.playback import PLAY_DEFAULT_SECONDS, speak_seconds

FROM, TO = "14155550100", "14155550111"


def pcm_wav(seconds: float, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(2 * round(seconds * rate)))
    return buffer.getvalue()


def mulaw_wav(seconds: float) -> bytes:
    """8 kHz mu-law (format 7), which the stdlib's wave does not read."""
    data = b"\xff" * round(seconds * 8000)
    fmt = struct.pack("<HHIIHH", 7, 1, 8000, 8000, 1, 8) + b"\x00\x00"
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def vbr_mp3(frames: int) -> bytes:
    """An ID3v2 tag, then a first frame holding a Xing header that declares ``frames`` frames."""
    first = bytearray(mp3_frame())
    first[4 + 17 : 4 + 17 + 12] = b"Xing" + struct.pack(">II", 1, frames)
    return b"ID3\x04\x00\x00\x00\x00\x00\x05" + b"tags!" + bytes(first) + mp3_frame() * 3


def test_audio_lengths_are_read_from_the_files() -> None:
    assert wav_seconds(pcm_wav(3.5)) == 3.5
    assert wav_seconds(pcm_wav(1.25, rate=16000)) == 1.25
    assert audio_seconds(mulaw_wav(2.0)) == 2.0
    # 1152 samples at 48 kHz per frame: 24 ms each.
    assert mp3_seconds(silent_mp3(2000)) == pytest.approx(84 * 0.024)
    assert mp3_seconds(silent_mp3(2000) + b"TAG" + bytes(125)) == pytest.approx(84 * 0.024)
    assert mp3_seconds(vbr_mp3(500)) == pytest.approx(500 * 0.024)
    for junk in (b"", b"<html>404</html>", b"RIFF\x00\x00\x00\x00WAVEjunk", bytes(4000), b"\xff\xfb" * 10):
        assert audio_seconds(junk) is None, junk


def test_speak_takes_an_estimate_from_the_text() -> None:
    assert speak_seconds("Hi") == 1 and speak_seconds("a" * 15) == 1 and speak_seconds("a" * 16) == 2
    assert speak_seconds("Hello from the sandbox!") == 2


def call(client: plivo.RestClient, answers: AnswerServer, xml: str) -> str:
    answers.reply("/answer", xml)
    request_uuid = client.calls.create(
        from_=FROM, to_=TO, answer_url=answers.url("/answer"), hangup_url=answers.url("/hangup")
    ).request_uuid
    (answer,) = answers.wait_for("/answer", where=lambda r: r.params.get("RequestUUID") == request_uuid)
    return answer.params["CallUUID"]


def ends_at(
    sandbox: Server, client: plivo.RestClient, call_uuid: str, answers: AnswerServer, seconds: float
) -> None:
    """The call is live until ``seconds`` after now and ends then."""
    settle(sandbox, seconds - 0.05)
    assert call_uuid in client.live_calls.list_ids().calls
    settle(sandbox, 0.05)
    assert call_uuid not in client.live_calls.list_ids().calls
    answers.wait_for("/hangup")


def test_play_lasts_as_long_as_its_file(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/tone.wav", body=pcm_wav(3.5), media_type="audio/wav")
    answers.reply("/tone.mp3", body=silent_mp3(2000), media_type="audio/mpeg")
    call_uuid = call(
        main_sdk,
        answers,
        f'<Response><Play>{answers.url("/tone.wav")}</Play><Play loop="2">{answers.url("/tone.mp3")}</Play></Response>',
    )
    settle(sandbox)
    ends_at(sandbox, main_sdk, call_uuid, answers, 3.5 + 2 * 84 * 0.024)
    (fetched,) = answers.requests_to("/tone.wav")
    assert fetched.method == "GET" and fetched.signed_by(sandbox.state.main_auth_token)
    with sandbox.main_client() as control:
        log = control.get(f"/_sandbox/calls/{call_uuid}").json()["log"]
        logged = control.get("/_sandbox/webhooks", params={"kind": "play_audio"}).json()["objects"]
    assert [(e["seconds"], e["length"]) for e in log if e["event"] == "play"] == [
        (3.5, "file"),
        (2.016, "file"),
    ]
    assert len(logged) == 2 and {d["status"] for d in logged} == {"delivered"}
    assert main_sdk.calls.get(call_uuid).call_duration == 8


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        ({"status": 404}, "default: HTTP 404"),
        ({"body": b"<html>not audio</html>", "media_type": "text/html"}, "default: neither WAV nor MP3"),
    ],
)
def test_play_of_a_file_that_cannot_be_measured_lasts_the_default(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer, reply: dict[str, object], why: str
) -> None:
    answers.reply("/tone.mp3", **reply)  # type: ignore[arg-type]
    call_uuid = call(main_sdk, answers, f"<Response><Play>{answers.url('/tone.mp3')}</Play></Response>")
    settle(sandbox)
    ends_at(sandbox, main_sdk, call_uuid, answers, PLAY_DEFAULT_SECONDS)
    with sandbox.main_client() as control:
        log = control.get(f"/_sandbox/calls/{call_uuid}").json()["log"]
    assert [e["length"] for e in log if e["event"] == "play"] == [why]


def test_the_play_api_holds_the_xml_which_resumes_afterwards(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/hold.wav", body=pcm_wav(3), media_type="audio/wav")
    call_uuid = call(main_sdk, answers, "<Response><Wait length='10'/></Response>")
    settle(sandbox, 2)
    assert main_sdk.calls.play(call_uuid, urls=answers.url("/hold.wav")).message == "play started"
    settle(sandbox)
    # The Wait had 8 s left when the 3 s file started: it resumes after it.
    ends_at(sandbox, main_sdk, call_uuid, answers, 3 + 8)
    assert main_sdk.calls.get(call_uuid).call_duration == 13


def test_the_play_api_length_caps_the_audio(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/hold.wav", body=pcm_wav(30), media_type="audio/wav")
    call_uuid = call(main_sdk, answers, "<Response><Wait length='4'/></Response>")
    settle(sandbox, 1)
    main_sdk.calls.play(call_uuid, urls=answers.url("/hold.wav"), length=2)
    settle(sandbox)
    ends_at(sandbox, main_sdk, call_uuid, answers, 2 + 3)


def test_the_speak_api_holds_the_xml_until_stopped(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    call_uuid = call(main_sdk, answers, "<Response><Wait length='10'/><Speak>Goodbye</Speak></Response>")
    settle(sandbox, 2)
    assert main_sdk.calls.speak(call_uuid, text="Please hold on", loop=True).message == "speak started"
    settle(sandbox, 20)
    assert call_uuid in main_sdk.live_calls.list_ids().calls  # looping: the XML waits
    main_sdk.calls.stop_speaking(call_uuid)
    settle(sandbox)
    # The Wait gets its 8 s back, then Speak "Goodbye" (1 s).
    ends_at(sandbox, main_sdk, call_uuid, answers, 8 + 1)
    assert main_sdk.calls.get(call_uuid).call_duration == 2 + 20 + 9


def test_an_element_starting_during_api_audio_starts_after_it(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    call_uuid = call(
        main_sdk,
        answers,
        f'<Response><GetDigits action="{answers.url("/digits")}" timeout="5"><Speak>Hi</Speak></GetDigits>'
        "<Wait length='3'/></Response>",
    )
    settle(sandbox, 2)  # waiting for digits (its timeout is not held)
    main_sdk.calls.speak(call_uuid, text="A" * 90)  # 6 s of speech
    settle(sandbox, 4)  # the GetDigits times out at 6 s; the Wait waits for the speech to end at 8 s
    ends_at(sandbox, main_sdk, call_uuid, answers, 2 + 3)
