"""The Plivo XML reader and the silent audio the sandbox serves for recordings."""

from __future__ import annotations

import io
import wave

import pytest
from plivo import plivoxml

from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.audio import MAX_SECONDS, mp3_frame, silent_audio


def test_parses_every_supported_verb_in_order() -> None:
    document = """<?xml version="1.0" encoding="utf-8"?>
    <Response>
      <Speak voice="MAN" language="en-GB" loop="2">Hello <break time="1s"/> there</Speak>
      <Play loop="3">https://example.com/a.mp3</Play>
      <Wait length="4" silence="true" minSilence="300" beep="true"/>
      <GetDigits action="https://example.com/digits/" method="GET" numDigits="4" timeout="7"
                 finishOnKey="*" retries="2" redirect="false">
        <Speak>Enter your PIN</Speak>
        <Play>https://example.com/beep.wav</Play>
      </GetDigits>
      <Record action="https://example.com/rec/" fileFormat="wav" maxLength="30" recordSession="true"
              callbackUrl="https://example.com/rec-ready/" callbackMethod="GET"/>
      <Conference muted="true" endConferenceOnExit="true" record="true" recordFileFormat="wav"
                  callbackUrl="https://example.com/conf/">  Room 1 </Conference>
      <Redirect method="GET">https://example.com/next/</Redirect>
      <Dial><Number>15551234567</Number></Dial>
      <Hangup reason="busy" schedule="10"/>
    </Response>"""
    steps = px.parse(document)
    assert steps[0] == px.Speak(text="Hello there", voice="MAN", language="en-GB", loop=2)
    assert steps[1] == px.Play(url="https://example.com/a.mp3", loop=3)
    assert steps[2] == px.Wait(length=4, silence=True, min_silence=300, beep=True)
    digits = steps[3]
    assert isinstance(digits, px.GetDigits)
    assert (digits.action, digits.method, digits.num_digits, digits.timeout) == (
        "https://example.com/digits/",
        "GET",
        4,
        7,
    )
    assert (digits.finish_on_key, digits.retries, digits.redirect) == ("*", 2, False)
    assert digits.prompts == (px.Speak(text="Enter your PIN"), px.Play(url="https://example.com/beep.wav"))
    record = steps[4]
    assert isinstance(record, px.Record)
    assert (record.file_format, record.max_length, record.record_session, record.callback_method) == (
        "wav",
        30,
        True,
        "GET",
    )
    conference = steps[5]
    assert isinstance(conference, px.Conference)
    assert (conference.name, conference.muted, conference.end_conference_on_exit) == ("Room 1", True, True)
    assert (conference.record, conference.record_file_format, conference.callback_url) == (
        True,
        "wav",
        "https://example.com/conf/",
    )
    assert steps[6] == px.Redirect(url="https://example.com/next/", method="GET")
    assert isinstance(steps[7], px.Unsupported) and steps[7].tag == "Dial"
    assert steps[8] == px.Hangup(reason="busy", schedule=10)


def test_reads_documents_built_by_the_sdk() -> None:
    response = plivoxml.ResponseElement()
    response.add(plivoxml.SpeakElement("Welcome", voice="WOMAN", language="en-US"))
    digits = plivoxml.GetDigitsElement(action="https://example.com/d/", method="POST", num_digits=1)
    digits.add(plivoxml.SpeakElement("Press 1"))
    response.add(digits)
    response.add(plivoxml.ConferenceElement("sales", muted=True, start_conference_on_enter=False))
    response.add(plivoxml.RecordElement(action="https://example.com/r/", max_length=10))
    response.add(plivoxml.HangupElement())
    steps = px.parse(response.to_string())
    assert [type(s).__name__ for s in steps] == ["Speak", "GetDigits", "Conference", "Record", "Hangup"]
    conference = steps[2]
    assert isinstance(conference, px.Conference)
    assert conference.muted and not conference.start_conference_on_enter
    assert isinstance(steps[1], px.GetDigits) and steps[1].num_digits == 1


def test_defaults_follow_plivo() -> None:
    record, conference, digits = px.parse(
        "<Response><Record/><Conference>r</Conference><GetDigits/></Response>"
    )
    assert isinstance(record, px.Record)
    assert (record.file_format, record.max_length, record.redirect, record.method) == (
        "mp3",
        60,
        True,
        "POST",
    )
    assert isinstance(conference, px.Conference)
    assert conference.start_conference_on_enter and not conference.end_conference_on_exit
    assert isinstance(digits, px.GetDigits)
    assert (digits.num_digits, digits.finish_on_key, digits.action) == (99, "#", None)
    assert px.parse("<Response/>") == []


@pytest.mark.parametrize(
    "document",
    [
        "",
        "not xml",
        "<Response><Speak>unclosed</Response>",
        "<Reply><Speak>hi</Speak></Reply>",
        "<Response><Speak></Speak></Response>",
        "<Response><Play>not-a-url</Play></Response>",
        "<Response><Wait length='abc'/></Response>",
        "<Response><Wait length='0'/></Response>",
        "<Response><Record fileFormat='ogg'/></Response>",
        "<Response><GetDigits method='PUT'/></Response>",
        "<Response><GetDigits><Record/></GetDigits></Response>",
        "<Response><Conference muted='yes'>r</Conference></Response>",
        "<Response><Redirect>ftp://x</Redirect></Response>",
        "<Response><Speek>typo</Speek></Response>",  # unknown element
        "<Response><speak>mis-cased</speak></Response>",  # names are case-sensitive
        "<Response><Dial><Speak>not here</Speak></Dial></Response>",  # wrong nesting
        "<Response><Wait>text</Wait></Response>",  # text where none belongs
        "<Response><Speak><Play>https://x.test/a.mp3</Play></Speak></Response>",
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><Response><Speak>&a;</Speak></Response>',
    ],
)
def test_invalid_documents_are_refused(document: str) -> None:
    with pytest.raises(px.InvalidXML):
        px.parse(document)


def test_silent_wav_is_a_real_wav_of_the_asked_length() -> None:
    data = silent_audio("wav", 1500)
    with wave.open(io.BytesIO(data)) as reader:
        assert (reader.getnchannels(), reader.getsampwidth(), reader.getframerate()) == (1, 2, 8000)
        assert reader.getnframes() == 12000
        assert set(reader.readframes(reader.getnframes())) == {0}


def _mp3_frames(data: bytes) -> list[bytes]:
    bitrates = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
    rates = [44100, 48000, 32000]
    frames, position = [], 0
    while position < len(data):
        header = data[position : position + 4]
        assert header[0] == 0xFF and header[1] & 0xE0 == 0xE0, "frame sync"
        assert (header[1] >> 3) & 0b11 == 0b11, "MPEG-1"
        assert (header[1] >> 1) & 0b11 == 0b01, "Layer III"
        bitrate = bitrates[header[2] >> 4] * 1000
        rate = rates[(header[2] >> 2) & 0b11]
        padding = (header[2] >> 1) & 1
        size = 144 * bitrate // rate + padding
        frames.append(data[position : position + size])
        position += size
    assert position == len(data)
    return frames


def test_silent_mp3_is_a_run_of_valid_silent_frames() -> None:
    data = silent_audio("mp3", 1000)
    frames = _mp3_frames(data)
    # 1152 samples per frame at 48 kHz: 24 ms each, rounded up.
    assert len(frames) == 42
    assert all(frame == mp3_frame() for frame in frames)
    # Side information all zero: no Huffman data, so every sample decodes to 0.
    assert set(frames[0][4:]) == {0}


def test_audio_length_is_capped_and_format_checked() -> None:
    assert len(_mp3_frames(silent_audio("mp3", 10**9))) * 1152 / 48000 <= MAX_SECONDS + 0.03
    with pytest.raises(ValueError):
        silent_audio("ogg", 1000)
