"""The voice drivers of the controls: the caller's keys, words and hang-up, and phone scripts, as an
app under test sees them."""

from __future__ import annotations

from typing import Any

import plivo
from flask import Flask, Response
from flask import request as flask_request
from rent import rent_number

from plivo_blocks.testing import mock_plivo

ALICE = ("MAALICE0000000000001", "alice-token")
CALLER = "14155550123"
APP = "https://voice.test"
ASK = f'<Response><GetInput action="{APP}/heard" inputType="speech"><Speak>Which department?</Speak></GetInput></Response>'
HOLD = "<Response><Wait length='600'/></Response>"


def voice_app(heard: list[dict[str, Any]], answer: str) -> Flask:
    app = Flask("voice")

    @app.post("/answer")
    def answered() -> Response:
        return Response(answer, mimetype="application/xml")

    @app.post("/heard")
    def got() -> Response:
        heard.append(flask_request.form.to_dict())
        return Response("<Response><Hangup/></Response>", mimetype="application/xml")

    return app


def test_say_is_the_callers_words_and_a_phone_script_says_them_by_itself() -> None:
    heard: list[dict[str, Any]] = []
    with mock_plivo(apps={APP: voice_app(heard, ASK)}) as sandbox:
        number = rent_number(plivo.RestClient(*ALICE), answer_url=f"{APP}/answer")
        call_uuid = sandbox.inbound_call(CALLER, number)["call_uuid"]
        sandbox.advance(2)  # "Which department?"
        assert sandbox.say(call_uuid, "sales please")["taken"] is True
        sandbox.advance(5)  # the end of the utterance
        [first] = heard
        assert (first["CallUUID"], first["InputType"], first["Speech"]) == (
            call_uuid,
            "speech",
            "sales please",
        )

        sandbox.phone("14155550999", says="billing")  # this caller answers every prompt by itself
        second_uuid = sandbox.inbound_call("14155550999", number)["call_uuid"]
        sandbox.advance(10)
        assert [(h["CallUUID"], h["Speech"]) for h in heard[1:]] == [(second_uuid, "billing")]


def test_hangup_is_the_other_party_hanging_up() -> None:
    with mock_plivo(apps={APP: voice_app([], HOLD)}) as sandbox:
        number = rent_number(plivo.RestClient(*ALICE), answer_url=f"{APP}/answer")
        call_uuid = sandbox.inbound_call(CALLER, number)["call_uuid"]
        sandbox.advance(12)
        sandbox.hangup(call_uuid)
        [ended] = sandbox.calls()
        assert ended["live"] is False and ended["call_duration"] == 12
        assert ended["hangup_source"] == "Caller"
