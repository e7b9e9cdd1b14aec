"""A small IVR on Flask: Acme's support line.

A caller hears a menu (``<GetDigits>``): 1 puts them through to an agent (``<Dial>``), 2 lets them
leave a voicemail (``<Record>``), after which they get an SMS confirming it. When the agent does not
answer, the caller is offered the voicemail instead. A text to the line gets an answer by SMS. Every
webhook must carry a valid Plivo V3 signature (checked with the official SDK's validator); anything
else is refused with 403.

``create_app(auth_id, auth_token, public_url, agent_number)`` builds the app; ``public_url`` is
where Plivo reaches it (``https://ivr.example.com`` in production, ``https://ivr.test`` in its
tests). Run it for real with ``flask --app "ivr:create_app(...)" run`` behind a public URL, and set
the number's application URLs to ``{public_url}/answer``, ``/hangup`` and ``/sms``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import plivo
from flask import Flask, Response, abort, request
from plivo import plivoxml
from plivo.utils import validate_v3_signature

MENU = "Welcome to Acme support. Press 1 to talk to an agent. Press 2 to leave a message."
NO_CHOICE = "We did not get your choice. Goodbye."
LEAVE_MESSAGE = "Please leave your message after the beep, then press hash."
THANKS = "Thank you. We will call you back. Goodbye."
SMS_REPLY = "Acme support: call this number and press 1 for an agent, or 2 to leave a message."
VOICEMAIL_SMS = "Acme support: we got your voicemail and will call you back soon."


@dataclass
class Journal:
    """What the IVR saw, for its operators (and its tests)."""

    calls: dict[str, list[str]] = field(default_factory=dict)  # call uuid -> the steps it went through
    voicemails: list[dict[str, str]] = field(default_factory=list)
    texts: list[dict[str, str]] = field(default_factory=list)
    refused: int = 0

    def step(self, call_uuid: str, what: str) -> None:
        self.calls.setdefault(call_uuid, []).append(what)


def _xml(response: plivoxml.ResponseElement) -> Response:
    return Response(response.to_string(False), mimetype="application/xml")


def create_app(auth_id: str, auth_token: str, public_url: str, agent_number: str) -> Flask:
    app = Flask("flask_ivr")
    journal = Journal()
    app.extensions["journal"] = journal
    base = public_url.rstrip("/")
    plivo_api = plivo.RestClient(auth_id, auth_token)

    @app.before_request
    def check_signature() -> None:
        """Plivo's V3 signature on every webhook: the URL Plivo called, the POST parameters, the nonce."""
        signature = request.headers.get("X-Plivo-Signature-V3", "")
        nonce = request.headers.get("X-Plivo-Signature-V3-Nonce", "")
        params: dict[str, Any] = request.form.to_dict() if request.method == "POST" else {}
        if not (
            signature
            and nonce
            and validate_v3_signature(request.method, request.url, nonce, auth_token, signature, params)
        ):
            journal.refused += 1
            abort(403)

    def menu() -> plivoxml.ResponseElement:
        digits = plivoxml.GetDigitsElement(
            action=f"{base}/menu", method="POST", num_digits=1, timeout=5, retries=1, valid_digits="12"
        )
        return (
            plivoxml.ResponseElement()
            .add(digits.add(plivoxml.SpeakElement(MENU)))
            .add(plivoxml.SpeakElement(NO_CHOICE))
        )

    def voicemail() -> plivoxml.ResponseElement:
        record = plivoxml.RecordElement(
            action=f"{base}/voicemail",
            method="POST",
            max_length=60,
            timeout=5,
            finish_on_key="#",
            play_beep=True,
        )
        return plivoxml.ResponseElement().add(plivoxml.SpeakElement(LEAVE_MESSAGE)).add(record)

    @app.post("/answer")
    def answer() -> Response:
        journal.step(request.form["CallUUID"], "menu")
        return _xml(menu())

    @app.post("/menu")
    def choice() -> Response:
        call_uuid, digits = request.form["CallUUID"], request.form.get("Digits", "")
        if digits == "1":
            journal.step(call_uuid, "agent")
            dial = plivoxml.DialElement(
                action=f"{base}/dial-status", method="POST", timeout=20, caller_id=request.form["To"]
            )
            return _xml(plivoxml.ResponseElement().add(dial.add(plivoxml.NumberElement(agent_number))))
        journal.step(call_uuid, "voicemail")
        return _xml(voicemail())

    @app.post("/dial-status")
    def dial_status() -> Response:
        call_uuid, status = request.form["CallUUID"], request.form.get("DialStatus", "")
        journal.step(call_uuid, f"dial {status}")
        if status == "completed":
            return _xml(plivoxml.ResponseElement().add(plivoxml.HangupElement()))
        return _xml(voicemail())  # the agent did not answer: take a message instead

    @app.post("/voicemail")
    def voicemail_left() -> Response:
        form = request.form
        journal.step(form["CallUUID"], "recorded")
        journal.voicemails.append(
            {
                "call_uuid": form["CallUUID"],
                "from": form["From"],
                "recording_id": form["RecordingID"],
                "url": form["RecordUrl"],
            }
        )
        # The confirmation goes out through Plivo's API while Plivo waits for this answer.
        plivo_api.messages.create(src=form["To"], dst=form["From"], text=VOICEMAIL_SMS)
        return _xml(
            plivoxml.ResponseElement().add(plivoxml.SpeakElement(THANKS)).add(plivoxml.HangupElement())
        )

    @app.post("/hangup")
    def hangup() -> str:
        journal.step(request.form["CallUUID"], f"hangup {request.form.get('HangupCause', '')}")
        return "ok"

    @app.post("/sms")
    def sms() -> str:
        form = request.form
        journal.texts.append({"from": form["From"], "text": form["Text"]})
        plivo_api.messages.create(src=form["To"], dst=form["From"], text=SMS_REPLY)
        return "ok"

    return app
