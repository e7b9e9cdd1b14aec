"""Plivo XML as Plivo reads it: every element's attributes with their allowed values and defaults,
what each refuses (with where and which rule), what Plivo ignores (warnings), and the size limit."""

from __future__ import annotations

import pytest
from plivo import plivoxml

from plivo_blocks.sandbox.voice import xml as px


def only(document: str) -> px.Instruction:
    (step,) = px.parse(f"<Response>{document}</Response>")
    return step


def problems(document: str) -> list[str]:
    checked = px.check(f"<Response>{document}</Response>")
    assert not checked.ok
    return [str(p) for p in checked.errors]


@pytest.mark.parametrize(
    ("document", "where", "complaint"),
    [
        (
            '<Speak voice="ROBOT">x</Speak>',
            "/Response/Speak[1]",
            "voice='ROBOT': must be WOMAN, MAN, or an Amazon Polly",
        ),
        ('<Speak voice="Polly.Nobody">x</Speak>', "/Response/Speak[1]", "is not a Polly voice Plivo offers"),
        (
            '<Speak language="xx-YY">x</Speak>',
            "/Response/Speak[1]",
            "language='xx-YY': must be a language code",
        ),
        # Plivo refuses a language the WOMAN/MAN voice does not speak (Invalid Answer XML).
        (
            '<Speak voice="WOMAN" language="hi-IN">x</Speak>',
            "Speak[1]",
            "voice='WOMAN' does not speak language='hi-IN'",
        ),
        (
            '<Speak voice="MAN" language="sv-SE">x</Speak>',
            "Speak[1]",
            "voice='MAN' does not speak language='sv-SE'",
        ),
        (f'<Speak voice="Polly.Joanna">{"a" * 3001}</Speak>', "Speak[1]", "at most 3000 characters"),
        ('<Speak loop="-1">x</Speak>', "Speak[1]", "loop='-1': must be an integer of at least 0"),
        ('<Play loop="x">https://a.test/a.mp3</Play>', "Play[1]", "loop='x'"),
        ("<Play>hello there</Play>", "Play[1]", "must be an absolute http(s) URL"),
        ('<Wait length="0"/>', "Wait[1]", "length='0': must be an integer of at least 1"),
        ('<Wait minSilence="-5"/>', "Wait[1]", "minSilence='-5'"),
        ('<Wait silence="yes"/>', "Wait[1]", "silence='yes': must be true or false"),
        (
            '<GetDigits finishOnKey="*#"/>',
            "GetDigits[1]",
            "finishOnKey='*#': must be one key among 0-9, * and #",
        ),
        ('<GetDigits numDigits="0"/>', "GetDigits[1]", "numDigits='0'"),
        ('<GetDigits retries="0"/>', "GetDigits[1]", "retries='0'"),
        ('<GetDigits validDigits="12a"/>', "GetDigits[1]", "validDigits='12a'"),
        (
            '<GetDigits action="/relative"/>',
            "GetDigits[1]",
            "action='/relative': must be an absolute http(s) URL",
        ),
        ('<Record fileFormat="ogg"/>', "Record[1]", "fileFormat='ogg': must be one of mp3, wav"),
        ('<Record timeout="0"/>', "Record[1]", "timeout='0'"),
        (
            '<Conference maxMembers="21">r</Conference>',
            "Conference[1]",
            "maxMembers='21': must be an integer from 1 to 20",
        ),
        (
            '<Conference enterSound="ding">r</Conference>',
            "Conference[1]",
            "enterSound='ding': must be beep:1, beep:2",
        ),
        (
            '<Redirect method="PUT">https://a.test/x</Redirect>',
            "Redirect[1]",
            "method='PUT': must be one of GET, POST",
        ),
        ('<Hangup reason="rude"/>', "Hangup[1]", "reason='rude': must be one of rejected, busy"),
        ('<Hangup schedule="0"/>', "Hangup[1]", "schedule='0': must be an integer of at least 1"),
        ('<PreAnswer loop="2"><Speak>x</Speak></PreAnswer>', "PreAnswer[1]", "takes no attribute loop"),
        (
            "<PreAnswer><Conference>r</Conference></PreAnswer>",
            "PreAnswer[1]/Conference[1]",
            "cannot be nested in <PreAnswer>",
        ),
        ("<DTMF>12x</DTMF>", "DTMF[1]", "digits '12x' must be among 0-9, *, # and w or W"),
        ("<DTMF></DTMF>", "DTMF[1]", "<DTMF> needs text"),
        ('<DTMF async="maybe">1</DTMF>', "DTMF[1]", "async='maybe': must be true or false"),
        ('<Message dst="14155550111">hi</Message>', "Message[1]", "needs the attribute src"),
        ('<Message src="14155550100">hi</Message>', "Message[1]", "needs the attribute dst"),
        (
            '<Message src="14155550100" dst="14155550111" type="mms">hi</Message>',
            "Message[1]",
            "type='mms': must be one of sms",
        ),
        (
            '<Message src="abc" dst="14155550111">hi</Message>',
            "Message[1]",
            "src='abc': must be a phone number",
        ),
        ('<Message src="14155550100" dst="14155550111"></Message>', "Message[1]", "needs text"),
        (
            '<Speak voice="Polly.Joanna">a <break time="5 seconds"/></Speak>',
            "Speak[1]/break[1]",
            "time='5 seconds'",
        ),
        (
            '<Speak voice="Polly.Joanna"><say-as>12</say-as></Speak>',
            "say-as[1]",
            "needs the attribute interpret-as",
        ),
        (
            '<Speak voice="Polly.Joanna"><prosody rate="quick">x</prosody></Speak>',
            "prosody[1]",
            "rate='quick'",
        ),
        ('<Speak voice="Polly.Joanna"><lang>x</lang></Speak>', "lang[1]", "needs the attribute xml:lang"),
        (
            '<Speak voice="Polly.Joanna"><emphasis level="loud">x</emphasis></Speak>',
            "emphasis[1]",
            "level='loud'",
        ),
        (
            '<Speak voice="Polly.Joanna"><phoneme ph="x">y</phoneme></Speak>',
            "phoneme[1]",
            "needs the attribute alphabet",
        ),
    ],
)
def test_each_rule_is_enforced_and_named(document: str, where: str, complaint: str) -> None:
    found = problems(document)
    assert any(where in p and complaint in p for p in found), found


def test_every_problem_of_a_document_is_reported_with_where_it_is() -> None:
    found = problems('<Speak voice="X">a</Speak><GetDigits><Speak loop="z">b</Speak></GetDigits><Speek/>')
    assert len(found) == 3
    assert found[0].startswith("/Response/Speak[1]: <Speak> attribute voice='X'")
    assert found[1].startswith("/Response/GetDigits[2]/Speak[1]: <Speak> attribute loop='z'")
    assert found[2] == "/Response/Speek[3]: unknown element <Speek>"
    with pytest.raises(px.InvalidXML) as refused:
        px.parse('<Response><Speak voice="X">a</Speak><Speek/></Response>')
    assert len(refused.value.problems) == 2 and "Speek" in str(refused.value)


def test_allowed_values_and_defaults_follow_plivo() -> None:
    assert only("<Speak>Hi</Speak>") == px.Speak("Hi", "WOMAN", "en-US", 1)
    assert only('<Speak voice="man" language="EN-gb">Hi</Speak>') == px.Speak("Hi", "MAN", "en-GB", 1)
    assert only('<Speak voice="Polly.aditi" language="hi-IN">नमस्ते</Speak>') == px.Speak(
        "नमस्ते", "Polly.Aditi", "hi-IN", 1
    )
    ssml = (
        '<Speak voice="Polly.Joanna-Neural">Say <break strength="weak" time="300ms"/>'
        '<say-as interpret-as="digits">123</say-as> <prosody rate="90%" pitch="+5%" volume="-6dB">soft</prosody>'
        ' <lang xml:lang="fr-FR">bonjour</lang> <sub alias="World Wide Web">WWW</sub>'
        ' <phoneme alphabet="ipa" ph="pɪˈkɑːn">pecan</phoneme> <w role="amazon:VBD">read</w>'
        ' <emphasis level="strong">now</emphasis></Speak>'
    )
    assert only(ssml) == px.Speak(
        "Say 123 soft bonjour WWW pecan read now", "Polly.Joanna-Neural", "en-US", 1
    )
    assert only('<Play loop="0">https://a.test/a.wav</Play>') == px.Play("https://a.test/a.wav", 0)
    assert only("<Wait/>") == px.Wait(1, False, 2000, False)
    assert only("<Hangup/>") == px.Hangup(None, 0)
    assert only("<DTMF>12w3W#</DTMF>") == px.DTMF("12w3W#", True)
    assert only('<DTMF async="false">9</DTMF>') == px.DTMF("9", False)
    assert only('<Message src="+14155550100" dst="14155550111&lt;14155550112">Hi</Message>') == px.Message(
        "Hi", "+14155550100", "14155550111<14155550112", "sms", None, "POST"
    )
    pre = only("<PreAnswer><Speak>Early</Speak><Wait length='2'/></PreAnswer>")
    assert pre == px.PreAnswer((px.Speak("Early"), px.Wait(2)))
    digits = only('<GetDigits finishOnKey="none"/>')
    assert isinstance(digits, px.GetDigits) and digits.finish_on_key == ""
    conference = only('<Conference enterSound="beep:2" exitSound="https://a.test/x.xml">r</Conference>')
    assert isinstance(conference, px.Conference) and conference.enter_sound == "beep:2"


def test_unknown_and_mis_cased_attributes_are_ignored_with_a_warning() -> None:
    checked = px.check('<Response><Wait Length="30" colour="red"/></Response>')
    assert checked.ok and checked.instructions == [px.Wait(1)]  # the default length applies
    assert [str(w) for w in checked.warnings] == [
        "/Response/Wait[1]: <Wait> attribute Length is ignored: attribute names are case-sensitive "
        "(did you mean length?)",
        "/Response/Wait[1]: <Wait> attribute colour is ignored: Plivo does not define it "
        "(known: length, silence, minSilence, beep)",
    ]


def test_documents_built_by_the_official_sdk_are_read() -> None:
    response = plivoxml.ResponseElement()
    pre = plivoxml.PreAnswerElement()
    pre.add_speak("Please hold", voice="MAN", language="en-GB")
    pre.add_dtmf("12", async_=False)
    response.add(pre)
    response.add(plivoxml.DTMFElement("1w2", async_=True))
    response.add(
        plivoxml.MessageElement(
            "Your code",
            src="+14155550100",
            dst="+14155550111",
            type="sms",
            callback_url="https://a.test/sms",
            callback_method="GET",
        )
    )
    speak = plivoxml.SpeakElement("Hello", voice="Polly.Matthew", language="en-US")
    speak.add_break(time="1s")
    response.add(speak)
    steps = px.parse(response.to_string())
    assert steps[0] == px.PreAnswer((px.Speak("Please hold", "MAN", "en-GB"), px.DTMF("12", False)))
    assert steps[1] == px.DTMF("1w2", True)
    assert steps[2] == px.Message(
        "Your code", "+14155550100", "+14155550111", "sms", "https://a.test/sms", "GET"
    )
    assert steps[3] == px.Speak("Hello", "Polly.Matthew", "en-US", 1)


def test_the_size_limit_is_plivos_100_kb() -> None:
    head, tail = "<Response><Speak>", "</Speak></Response>"
    fits = head + "a" * (px.MAX_XML_BYTES - len(head) - len(tail)) + tail
    assert len(fits.encode()) == 100 * 1024 and px.parse(fits)
    too_big = head + "a" * (px.MAX_XML_BYTES - len(head) - len(tail) + 1) + tail
    with pytest.raises(px.InvalidXML, match="Plivo takes at most 102400"):
        px.parse(too_big)


def test_a_mis_cased_root_is_named() -> None:
    with pytest.raises(px.InvalidXML, match="names are case-sensitive"):
        px.parse("<response><Speak>x</Speak></response>")
