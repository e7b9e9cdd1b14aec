"""``<GetInput>``: speech and keys from the other party (control API ``/speech`` and ``/digits``), the
action's parameters, the timeouts on the manual clock, interim speech results, the profanity filter,
``log``, ``redirect``, and the documents Plivo refuses."""

from __future__ import annotations

import plivo
import pytest
from answer_server import AnswerServer, answers_fixture, settle  # noqa: F401
from sandbox_server import Server

from plivo_blocks.sandbox.voice import xml as px

FROM, TO = "14155550100", "14155550111"


def listening(
    sandbox: Server, client: plivo.RestClient, answers: AnswerServer, attributes: str, prompt: str = ""
) -> str:
    """A call whose answer XML is one GetInput (action /input, then <Speak>No input</Speak>)."""
    answers.reply(
        "/answer",
        f'<Response><GetInput action="{answers.url("/input")}" {attributes}>{prompt}</GetInput>'
        "<Speak>No input</Speak></Response>",
    )
    request_uuid = client.calls.create(
        from_=FROM, to_=TO, answer_url=answers.url("/answer"), hangup_url=answers.url("/hangup")
    ).request_uuid
    settle(sandbox)
    (answer,) = answers.wait_for("/answer", where=lambda r: r.params.get("RequestUUID") == request_uuid)
    return answer.params["CallUUID"]


def press(sandbox: Server, call_uuid: str, digits: str) -> bool:
    with sandbox.main_client() as control:
        answer = control.post(f"/_sandbox/calls/{call_uuid}/digits", json={"digits": digits})
    assert answer.status_code == 202, answer.text
    return bool(answer.json()["taken"])


def say(sandbox: Server, call_uuid: str, text: str) -> bool:
    with sandbox.main_client() as control:
        answer = control.post(f"/_sandbox/calls/{call_uuid}/speech", json={"text": text})
    assert answer.status_code == 202, answer.text
    return bool(answer.json()["taken"])


def test_speech_reaches_the_action_with_plivos_parameters(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/input", "<Response><Speak>Thanks</Speak></Response>")
    call_uuid = listening(
        sandbox,
        main_sdk,
        answers,
        'inputType="speech" speechEndTimeout="3" hints="account balance,pay bill" language="en-GB" '
        f'interimSpeechResultsCallback="{answers.url("/interim")}" interimSpeechResultsCallbackMethod="GET"',
        "<Speak>How can I help?</Speak>",
    )
    settle(sandbox, 2)  # "How can I help?": 2 s
    assert say(sandbox, call_uuid, "I want my account") is True
    settle(sandbox, 2)
    assert say(sandbox, call_uuid, "balance please") is True
    settle(sandbox, 2.9)
    assert not answers.requests_to("/input")
    settle(sandbox, 0.1)  # 3 s of silence after the last words
    (action,) = answers.wait_for("/input")
    assert action.params["InputType"] == "speech" and action.params["Digits"] == ""
    assert action.params["Speech"] == "I want my account balance please"
    assert action.params["SpeechConfidenceScore"] == "0.95"  # it holds a hint
    assert action.params["BilledAmount"] == "0.00500"  # one 15-second increment
    assert action.params["CallUUID"] == call_uuid and action.params["Direction"] == "outbound"
    interim = answers.wait_for("/interim", 2)
    assert [
        (r.params["SequenceNumber"], r.params["StableSpeech"], r.params["UnstableSpeech"]) for r in interim
    ] == [
        ("1", "", "I want my account"),
        ("2", "I want my account", "balance please"),
    ]
    assert {r.method for r in interim} == {"GET"} and {r.params["Stability"] for r in interim} == {"0.8"}
    for received in [action, *interim]:
        assert received.signed_by(sandbox.state.main_auth_token)
    settle(sandbox, 1)  # "Thanks"
    (hangup,) = answers.wait_for("/hangup")
    assert hangup.params["HangupCauseName"] == "End Of XML Instructions"
    assert main_sdk.calls.get(call_uuid).call_duration == 8  # prompt 2, words 2, silence 3, "Thanks" 1


@pytest.mark.usefixtures("unpaced_calls")  # three calls at once, past Plivo's 2 per second
def test_keys_end_with_num_digits_finish_on_key_or_the_digit_end_timeout(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    call_uuid = listening(sandbox, main_sdk, answers, 'inputType="dtmf" numDigits="4" digitEndTimeout="5"')
    assert press(sandbox, call_uuid, "12") is True
    settle(sandbox)
    assert press(sandbox, call_uuid, "3456") is True  # the fourth key ends the input: 1234
    settle(sandbox)
    (action,) = answers.wait_for("/input")
    assert action.params == {**action.params, "InputType": "dtmf", "Digits": "1234", "Speech": ""}
    assert "SpeechConfidenceScore" not in action.params and "BilledAmount" not in action.params

    finish = listening(sandbox, main_sdk, answers, 'inputType="dtmf" finishOnKey="*"')
    press(sandbox, finish, "98*7")
    settle(sandbox)
    (_, finished) = answers.wait_for("/input", 2)
    assert finished.params["Digits"] == "98"

    slow = listening(sandbox, main_sdk, answers, 'inputType="dtmf" digitEndTimeout="4"')
    press(sandbox, slow, "7")
    settle(sandbox, 3.9)
    assert len(answers.requests_to("/input")) == 2
    settle(sandbox, 0.1)
    assert answers.wait_for("/input", 3)[2].params["Digits"] == "7"


def test_no_input_within_the_execution_timeout_goes_on_with_the_next_element(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    call_uuid = listening(
        sandbox, main_sdk, answers, 'inputType="dtmf speech" executionTimeout="7"', "<Speak>Hi</Speak>"
    )
    settle(sandbox, 1 + 6.9)  # the prompt, then 7 s of listening
    with sandbox.main_client() as control:
        assert control.get(f"/_sandbox/calls/{call_uuid}").json()["waiting_for"] == "input"
    settle(sandbox, 0.1)
    settle(sandbox, 1)  # "No input"
    assert not answers.requests_to("/input")
    assert main_sdk.calls.get(call_uuid).call_duration == 9


def test_with_dtmf_speech_the_first_input_wins_and_keys_during_the_prompt_count(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    call_uuid = listening(
        sandbox,
        main_sdk,
        answers,
        'inputType="dtmf speech" numDigits="1"',
        "<Speak>Say or press something</Speak>",
    )
    assert press(sandbox, call_uuid, "5") is False  # not listening yet: kept for when it does
    settle(sandbox, 2)
    (action,) = answers.wait_for("/input")
    assert (action.params["InputType"], action.params["Digits"]) == ("dtmf", "5")

    words_first = listening(sandbox, main_sdk, answers, 'inputType="dtmf speech" speechEndTimeout="2"')
    assert say(sandbox, words_first, "operator") is True
    settle(sandbox)
    assert press(sandbox, words_first, "9") is True  # heard, but speech came first
    settle(sandbox, 2)
    (_, spoken) = answers.wait_for("/input", 2)
    assert (spoken.params["InputType"], spoken.params["Speech"], spoken.params["Digits"]) == (
        "speech",
        "operator",
        "",
    )


def test_speech_only_ignores_keys_and_keys_only_ignore_speech(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    call_uuid = listening(sandbox, main_sdk, answers, 'inputType="speech" executionTimeout="5"')
    assert press(sandbox, call_uuid, "1") is False
    keys_only = listening(sandbox, main_sdk, answers, 'inputType="dtmf" executionTimeout="5"')
    assert say(sandbox, keys_only, "hello") is False
    settle(sandbox, 5)
    assert not answers.requests_to("/input")


def test_profanity_filter_log_and_redirect_false(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    call_uuid = listening(
        sandbox, main_sdk, answers, 'inputType="speech" profanityFilter="true" redirect="false" log="false"'
    )
    say(sandbox, call_uuid, "this damn machine")
    settle(sandbox, 2)
    (action,) = answers.wait_for("/input")
    assert action.params["Speech"] == "this d*** machine"
    assert action.params["SpeechConfidenceScore"] == "0.9"
    settle(sandbox, 1)  # redirect="false": the action was told, the XML went on ("No input")
    (hangup,) = answers.wait_for("/hangup")
    assert hangup.params["HangupCauseName"] == "End Of XML Instructions"
    log = str(sandbox.main_client().get(f"/_sandbox/calls/{call_uuid}").json()["log"])
    assert "damn" not in log and "machine" not in log  # log="false": the words stay out of the log


def test_advance_ends_the_listening_as_if_nothing_came(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    call_uuid = listening(sandbox, main_sdk, answers, 'inputType="speech" executionTimeout="60"')
    with sandbox.main_client() as control:
        assert control.post(f"/_sandbox/calls/{call_uuid}/advance", json={}).status_code == 202
    settle(sandbox, 1)
    assert not answers.requests_to("/input")
    assert answers.wait_for("/hangup")[0].params["CallUUID"] == call_uuid


def test_the_control_endpoints_check_their_input(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    call_uuid = listening(sandbox, main_sdk, answers, 'inputType="speech"')
    with sandbox.main_client() as control:
        for path, body in (
            ("digits", {"digits": "12a"}),
            ("digits", {}),
            ("speech", {}),
            ("speech", {"text": "x" * 2001}),
        ):
            assert control.post(f"/_sandbox/calls/{call_uuid}/{path}", json=body).status_code == 400
        assert control.post("/_sandbox/calls/no-such-call/speech", json={"text": "hi"}).status_code == 404


def test_the_sdk_builds_documents_the_sandbox_reads() -> None:
    from plivo import plivoxml

    response = plivoxml.ResponseElement()
    get_input = plivoxml.GetInputElement(
        action="https://example.com/in/",
        method="GET",
        input_type="dtmf speech",
        execution_timeout=20,
        digit_end_timeout=4,
        speech_end_timeout=3,
        finish_on_key="none",
        num_digits=5,
        speech_model="phone_call",
        hints="yes,no",
        language="es-US",
        interim_speech_results_callback="https://example.com/interim/",
        log=False,
        redirect=False,
        profanity_filter=True,
    )
    get_input.add(plivoxml.SpeakElement("Hola"))
    response.add(get_input)
    (step,) = px.parse(response.to_string())
    assert isinstance(step, px.GetInput)
    assert (step.action, step.method, step.input_type, step.execution_timeout) == (
        "https://example.com/in/",
        "GET",
        "dtmf speech",
        20,
    )
    assert (step.digit_end_timeout, step.speech_end_timeout, step.finish_on_key, step.num_digits) == (
        4,
        3,
        "",
        5,
    )
    assert (step.speech_model, step.hints, step.language, step.log, step.redirect) == (
        "phone_call",
        "yes,no",
        "es-US",
        False,
        False,
    )
    assert step.profanity_filter and step.prompts == (px.Speak("Hola"),)
    defaults = px.parse(
        '<Response><GetInput action="https://x.io/a" inputType="speech" digitEndTimeout="auto"/></Response>'
    )[0]
    assert isinstance(defaults, px.GetInput) and defaults.digit_end_timeout is None
    assert (
        defaults.execution_timeout,
        defaults.num_digits,
        defaults.finish_on_key,
        defaults.speech_model,
    ) == (
        15,
        32,
        "#",
        "default",
    )


@pytest.mark.parametrize(
    ("attributes", "complaint"),
    [
        ('inputType="speech"', "needs the attribute action"),
        ('action="https://x.io/a"', "needs the attribute inputType"),
        ('action="https://x.io/a" inputType="voice"', "inputType"),
        ('action="https://x.io/a" inputType="speech" executionTimeout="4"', "executionTimeout"),
        ('action="https://x.io/a" inputType="speech" executionTimeout="61"', "executionTimeout"),
        ('action="https://x.io/a" inputType="dtmf" digitEndTimeout="1"', "digitEndTimeout"),
        ('action="https://x.io/a" inputType="dtmf" speechEndTimeout="soon"', "speechEndTimeout"),
        ('action="https://x.io/a" inputType="dtmf" finishOnKey="##"', "finishOnKey"),
        ('action="https://x.io/a" inputType="dtmf" numDigits="33"', "numDigits"),
        ('action="https://x.io/a" inputType="speech" speechModel="fast"', "speechModel"),
        ('action="https://x.io/a" inputType="speech" hints="a,,b"', "hints"),
        ('action="https://x.io/a" inputType="speech" language="english"', "language"),
        ('action="https://x.io/a" inputType="speech" profanityFilter="1"', "profanityFilter"),
        (
            'action="https://x.io/a" inputType="speech" interimSpeechResultsCallback="x"',
            "interimSpeechResults",
        ),
    ],
)
def test_get_input_documents_plivo_refuses(attributes: str, complaint: str) -> None:
    with pytest.raises(px.InvalidXML, match=complaint):
        px.parse(f"<Response><GetInput {attributes}/></Response>")
    with pytest.raises(px.InvalidXML, match="cannot be nested in <GetInput>"):
        px.parse(
            '<Response><GetInput action="https://x.io/a" inputType="speech"><Record/></GetInput></Response>'
        )
