"""Scripted phones (``/_sandbox/phones/{number}``): the control API, and how a script drives the
destination of ``makeCall`` and a simulated inbound caller, with the official SDK on the manual
clock and a real receiver on loopback."""

from __future__ import annotations

from collections.abc import Callable

import plivo
import pytest
from answer_server import AnswerServer, answers_fixture, settle  # noqa: F401
from sandbox_server import MANUAL, Server
from starlette.applications import Starlette

from plivo_blocks.sandbox import SandboxSettings, create_app

FROM, TO = "14155550100", "14155550111"


def script_of(answer: object) -> dict[str, object]:
    """A script as the control API shows it (without the api_id every answer carries)."""
    body = dict(answer.json())  # type: ignore[attr-defined]
    assert body.pop("api_id")
    return body


def test_scripts_are_put_read_listed_and_removed(sandbox: Server) -> None:
    with sandbox.main_client() as control:
        put = control.put(
            "/_sandbox/phones/+1 (415) 555-0111",
            json={
                "answer": "busy",
                "after_seconds": 2.5,
                "machine": True,
                "says": " hello  there ",
                "presses": "12#",
            },
        )
        assert put.status_code == 200
        assert script_of(put) == {
            "number": TO,
            "answer": "busy",
            "after_seconds": 2.5,
            "machine": True,
            "says": "hello there",
            "presses": "12#",
        }
        assert script_of(control.get(f"/_sandbox/phones/{TO}")) == script_of(put)
        sip = control.put("/_sandbox/phones/sip:alice@phone.plivo.com", json={})
        assert script_of(sip) == {
            "number": "sip:alice@phone.plivo.com",
            "answer": "answer",
            "after_seconds": None,
            "machine": False,
            "says": "",
            "presses": "",
        }
        assert [p["number"] for p in control.get("/_sandbox/phones").json()["phones"]] == [
            TO,
            "sip:alice@phone.plivo.com",
        ]
        assert (
            control.put(f"/_sandbox/phones/{TO}", json={"answer": "no-answer"}).json()["after_seconds"]
            is None
        )
        assert control.delete(f"/_sandbox/phones/+{TO}").status_code == 204
        assert control.get(f"/_sandbox/phones/{TO}").status_code == 404
        assert control.delete(f"/_sandbox/phones/{TO}").status_code == 404
        # /_sandbox/reset forgets every script.
        assert control.post("/_sandbox/reset").status_code == 200
        assert control.get("/_sandbox/phones").json()["phones"] == []


@pytest.mark.parametrize(
    ("number", "body", "complaint"),
    [
        (TO, {"answer": "maybe"}, "answer must be one of answer, busy, no-answer, reject"),
        (TO, {"after_seconds": -1}, "after_seconds must be between 0 and 3600"),
        (TO, {"after_seconds": "5"}, "after_seconds must be a number"),
        (TO, {"after_seconds": True}, "after_seconds must be a number"),
        (TO, {"machine": "yes"}, "machine must be true or false"),
        (TO, {"says": 5}, "says must be a string"),
        (TO, {"presses": "12a"}, "presses must be keys"),
        (TO, {"ring": 3}, "unknown field 'ring'"),
        ("not-a-number", {}, "must be a phone number"),
        ("sip:nobody", {}, "sip:user@host"),
    ],
)
def test_bad_scripts_are_refused_by_name(
    sandbox: Server, number: str, body: dict[str, object], complaint: str
) -> None:
    with sandbox.main_client() as control:
        answer = control.put(f"/_sandbox/phones/{number}", json=body)
        assert answer.status_code == 400 and complaint in answer.json()["error"]
        assert control.get("/_sandbox/phones").json()["phones"] == []
        assert control.put(f"/_sandbox/phones/{TO}", content=b"[1]").status_code == 400


def make_call(client: plivo.RestClient, answers: AnswerServer, **extra: object) -> str:
    return str(
        client.calls.create(
            from_=FROM,
            to_=TO,
            answer_url=answers.url("/answer"),
            ring_url=answers.url("/ring"),
            hangup_url=answers.url("/hangup"),
            **extra,
        ).request_uuid
    )


@pytest.mark.parametrize(
    ("answer", "after", "cause", "code", "status", "source"),
    [
        ("busy", 0, "Busy Line", "3010", "busy", "Callee"),
        ("reject", 4, "Rejected", "3020", "busy", "Callee"),
        ("no-answer", None, "Ring Timeout Reached", "6010", "no-answer", "Plivo"),
    ],
)
def test_make_call_to_a_phone_that_does_not_answer(
    sandbox: Server,
    main_sdk: plivo.RestClient,
    answers: AnswerServer,
    answer: str,
    after: float | None,
    cause: str,
    code: str,
    status: str,
    source: str,
) -> None:
    with sandbox.main_client() as control:
        control.put(f"/_sandbox/phones/{TO}", json={"answer": answer, "after_seconds": after})
    make_call(main_sdk, answers, ring_timeout=30)
    settle(sandbox)
    (ring,) = answers.wait_for("/ring")
    call_uuid = ring.params["CallUUID"]
    if after:
        settle(sandbox, after - 0.1)
        assert call_uuid in main_sdk.live_calls.list_ids().calls
        settle(sandbox, 0.1)
    elif after is None:  # rings until ring_timeout
        settle(sandbox, 29.9)
        assert call_uuid in main_sdk.live_calls.list_ids().calls
        settle(sandbox, 0.1)
    (hangup,) = answers.wait_for("/hangup")
    assert (hangup.params["HangupCauseName"], hangup.params["HangupCauseCode"]) == (cause, code)
    assert hangup.params["CallStatus"] == status and hangup.params["HangupSource"] == source
    assert hangup.params["Duration"] == "0" and hangup.params["AnswerTime"] == ""
    assert hangup.signed_by(sandbox.state.main_auth_token)
    assert not answers.requests_to("/answer")
    record = main_sdk.calls.get(call_uuid)
    assert record.answer_time is None and record.hangup_cause_code == int(code)


def test_a_phone_answers_after_its_scripted_ring(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    answers.reply("/answer", "<Response><Wait length='2'/></Response>")
    with sandbox.main_client() as control:
        control.put(f"/_sandbox/phones/{TO}", json={"answer": "answer", "after_seconds": 6})
    make_call(main_sdk, answers)
    settle(sandbox, 5.9)
    (ring,) = answers.requests_to("/ring")
    assert not answers.requests_to("/answer")
    assert main_sdk.live_calls.get(ring.params["CallUUID"]).call_status == "ringing"
    settle(sandbox, 0.1)
    (answer,) = answers.wait_for("/answer")
    settle(sandbox, 2)
    record = main_sdk.calls.get(answer.params["CallUUID"])
    assert record.call_duration == 2  # billed from the answer, not from the ring


def test_scripted_presses_and_words_answer_every_prompt(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    with sandbox.main_client() as control:
        control.put(f"/_sandbox/phones/{TO}", json={"presses": "42", "says": "billing please"})
    answers.reply(
        "/answer",
        f'<Response><GetDigits action="{answers.url("/digits")}" numDigits="2"><Speak>Code</Speak></GetDigits>'
        "</Response>",
    )
    answers.reply(
        "/digits",
        f'<Response><GetInput action="{answers.url("/said")}" inputType="speech"/></Response>',
    )
    make_call(main_sdk, answers)
    settle(sandbox, 1)  # "Code"
    assert not answers.requests_to("/digits")
    settle(sandbox, 1)  # the scripted party presses 42, a second after the prompt
    (digits,) = answers.wait_for("/digits")
    assert digits.params["Digits"] == "42"
    settle(sandbox, 1)  # it says its words a second after GetInput starts listening
    settle(sandbox, 2)  # then 2 s of silence end the utterance (speechEndTimeout auto)
    (said,) = answers.wait_for("/said")
    assert said.params["Speech"] == "billing please" and said.params["InputType"] == "speech"


def test_an_inbound_callers_script_presses_keys(
    sandbox: Server, main_sdk: plivo.RestClient, answers: AnswerServer
) -> None:
    app = main_sdk.applications.create(app_name="ivr", answer_url=answers.url("/inbound"))
    number = main_sdk.numbers.search(country_iso="US", type="local")[0].number
    main_sdk.numbers.buy(number, app_id=app.app_id)
    answers.reply(
        "/inbound",
        f'<Response><GetDigits action="{answers.url("/menu")}" numDigits="1" timeout="10"/></Response>',
    )
    with sandbox.main_client() as control:
        # The caller's answer/machine do not apply (it is the caller): only what it presses and says.
        control.put("/_sandbox/phones/15551230000", json={"answer": "busy", "presses": "3"})
        received = control.post("/_sandbox/calls/inbound", json={"from": "+15551230000", "to": number})
        assert received.status_code == 201
    settle(sandbox)
    answers.wait_for("/inbound")
    settle(sandbox, 1)
    (menu,) = answers.wait_for("/menu")
    assert menu.params["Digits"] == "3" and menu.params["Direction"] == "inbound"


def test_unscripted_phones_ring_two_seconds_by_default_and_inbound_calls_do_not_ring(
    serve: Callable[[Starlette], Server], answers: AnswerServer
) -> None:
    """The suite's fixture answers at once; the sandbox's own default is a short ring."""
    defaults = SandboxSettings()
    assert defaults.call_ring_seconds == 2.0
    sandbox = serve(create_app(":memory:", clock=MANUAL, settings=defaults))
    answers.reply("/answer", "<Response><Wait length='60'/></Response>")
    with sandbox.main_client() as control:
        control.patch("/_sandbox/settings", json={"calls_per_second": 0}).raise_for_status()
        made = control.post(
            f"/v1/Account/{sandbox.state.main_auth_id}/Call/",
            json={
                "from": FROM,
                "to": TO,
                "answer_url": answers.url("/answer"),
                "ring_url": answers.url("/ring"),
            },
        )
        assert made.status_code == 201
        settle(sandbox, 1.9)
        assert answers.requests_to("/ring") and not answers.requests_to("/answer")
        settle(sandbox, 0.1)
        (answer,) = answers.wait_for("/answer")
        assert answer.params["CallStatus"] == "in-progress"
        # A call to a rented number is taken by Plivo at once: its answer_url is fetched at 0 s.
        app = control.post(
            f"/v1/Account/{sandbox.state.main_auth_id}/Application/",
            json={"app_name": "ivr", "answer_url": answers.url("/inbound")},
        ).json()
        number = control.get(
            f"/v1/Account/{sandbox.state.main_auth_id}/PhoneNumber/", params={"country_iso": "US"}
        ).json()["objects"][0]["number"]
        control.post(
            f"/v1/Account/{sandbox.state.main_auth_id}/PhoneNumber/{number}/", json={"app_id": app["app_id"]}
        ).raise_for_status()
        control.post("/_sandbox/calls/inbound", json={"from": "15551230000", "to": number}).raise_for_status()
        settle(sandbox)  # no sandbox time passes
        first, *_ = answers.wait_for("/inbound")  # (then the hangup: the app's hangup_url defaults to it)
        assert first.params["Direction"] == "inbound" and first.params["CallStatus"] == "ringing"
