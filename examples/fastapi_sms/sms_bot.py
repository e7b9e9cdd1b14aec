"""An SMS auto-responder on FastAPI, with delivery tracking.

A text to the number gets an answer by keyword (``HOURS``, ``HELP``, anything else), sent through
Plivo's API with ``plivo_blocks.AsyncClient`` and a status callback URL; each status Plivo reports
(``queued``, ``sent``, ``delivered``, or ``undelivered``/``failed`` with an error code) is kept with
the reply, and ``GET /replies`` shows them. ``STOP`` unsubscribes a sender (one last confirmation,
then silence) and ``START`` subscribes them again. Webhooks must carry a valid Plivo V3 signature,
checked with ``plivo_blocks.signatures.validate_v3``; others get 403.

``create_app(auth_id, auth_token, public_url)``; point the number's application ``message_url`` at
``{public_url}/inbound``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from fastapi import FastAPI, HTTPException, Request

import plivo_blocks
from plivo_blocks.signatures import V3_HEADER, V3_NONCE_HEADER, validate_v3

ANSWERS = {
    "HOURS": "We are open 9am to 5pm, Monday to Friday.",
    "HELP": "Reply HOURS for our opening hours, STOP to unsubscribe.",
    "STOP": "You are unsubscribed and will get no more messages. Reply START to subscribe again.",
    "START": "Welcome back! Reply HELP for options.",
}
DEFAULT_ANSWER = "Thanks for your message! Reply HELP for options."
#: Statuses that end a message without delivering it; their report carries Plivo's error code.
FAILED = ("undelivered", "failed", "rejected")


@dataclass
class Reply:
    message_uuid: str
    to: str
    text: str
    statuses: list[str] = field(default_factory=list)
    error_code: str | None = None


@dataclass
class Bot:
    replies: dict[str, Reply] = field(default_factory=dict)
    unsubscribed: set[str] = field(default_factory=set)
    refused: int = 0


def create_app(auth_id: str, auth_token: str, public_url: str) -> FastAPI:
    app = FastAPI(title="SMS auto-responder")
    bot = Bot()
    app.state.bot = bot
    base = public_url.rstrip("/")

    async def signed_form(request: Request) -> dict[str, str]:
        params = {name: str(value) for name, value in (await request.form()).items()}
        signature, nonce = request.headers.get(V3_HEADER, ""), request.headers.get(V3_NONCE_HEADER, "")
        valid = bool(signature and nonce) and validate_v3(
            url=str(request.url),
            nonce=nonce,
            signature=signature,
            auth_token=auth_token,
            method="POST",
            params=params,
        )
        if not valid:
            bot.refused += 1
            raise HTTPException(403, "invalid Plivo signature")
        return params

    def answer_to(sender: str, text: str) -> str | None:
        keyword = text.strip().upper()
        if keyword == "STOP":
            bot.unsubscribed.add(sender)
        elif keyword == "START":
            bot.unsubscribed.discard(sender)
        elif sender in bot.unsubscribed:
            return None
        return ANSWERS.get(keyword, DEFAULT_ANSWER)

    @app.post("/inbound")
    async def inbound(request: Request) -> dict[str, Any]:
        params = await signed_form(request)
        text = answer_to(params["From"], params["Text"])
        if text is None:
            return {"replied": False}
        async with plivo_blocks.AsyncClient(auth_id, auth_token) as plivo:
            sent = await plivo.send_message(
                src=params["To"], destination=params["From"], text=text, url=f"{base}/delivery"
            )
        uuid = sent["message_uuid"][0]
        bot.replies[uuid] = Reply(uuid, params["From"], text)
        return {"replied": True, "message_uuid": uuid}

    @app.post("/delivery")
    async def delivery(request: Request) -> dict[str, str]:
        params = await signed_form(request)
        reply = bot.replies.get(params["MessageUUID"])
        if reply is not None:
            reply.statuses.append(params["Status"])
            if params["Status"] in FAILED:
                reply.error_code = params.get("ErrorCode") or None
        return {"status": "noted"}

    @app.get("/replies")
    async def replies() -> list[dict[str, Any]]:
        return [asdict(reply) for reply in bot.replies.values()]

    return app
