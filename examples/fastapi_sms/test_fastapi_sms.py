"""The SMS auto-responder end to end in one process: inbound texts, replies through Plivo's API,
and every delivery report Plivo sends back, tracked per reply."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from bot_line import AUTH_ID, BOT_URL
from fastapi import FastAPI
from sms_bot import ANSWERS, DEFAULT_ANSWER

from plivo_blocks.testing import MockPlivo

CUSTOMER = "14155550123"


async def replies(bot_app: FastAPI) -> list[dict[str, Any]]:
    """What the bot shows its operators (``GET /replies``)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=bot_app), base_url=BOT_URL) as client:
        shown: list[dict[str, Any]] = (await client.get("/replies")).json()
    return shown


@pytest.mark.anyio
async def test_a_keyword_gets_its_answer_and_the_delivery_is_tracked(
    plivo_sandbox: MockPlivo, bot_number: str, bot_app: FastAPI
) -> None:
    plivo_sandbox.inbound_sms(CUSTOMER, bot_number, " hours ")
    plivo_sandbox.advance(60)  # time for the carrier to deliver it

    [reply] = plivo_sandbox.messages(direction="outbound")
    assert (reply["from_number"], reply["to_number"], reply["text"]) == (
        bot_number,
        CUSTOMER,
        ANSWERS["HOURS"],
    )
    assert (reply["message_state"], reply["auth_id"]) == ("delivered", AUTH_ID)
    [tracked] = await replies(bot_app)
    assert tracked["message_uuid"] == reply["message_uuid"]
    assert tracked["statuses"] == ["queued", "sent", "delivered"] and tracked["error_code"] is None
    reports = plivo_sandbox.webhooks(kind="message_status")
    assert len(reports) == 3 and {r["url"] for r in reports} == {f"{BOT_URL}/delivery"}
    assert {r["status"] for r in reports} == {"delivered"}  # the bot answered each report


def test_anything_else_gets_the_default_answer(plivo_sandbox: MockPlivo, bot_number: str) -> None:
    plivo_sandbox.inbound_sms(CUSTOMER, bot_number, "Do you ship to Canada?")
    [reply] = plivo_sandbox.messages(direction="outbound")
    assert reply["text"] == DEFAULT_ANSWER


@pytest.mark.plivo_sandbox(settings={"message_hold_state": "sent"})
@pytest.mark.anyio
async def test_an_undelivered_reply_is_tracked_with_its_error(
    plivo_sandbox: MockPlivo, bot_number: str, bot_app: FastAPI
) -> None:
    plivo_sandbox.inbound_sms(CUSTOMER, bot_number, "help")
    plivo_sandbox.advance(60)
    [reply] = plivo_sandbox.messages(direction="outbound")
    assert reply["message_state"] == "sent"  # held there: the carrier has not answered yet
    plivo_sandbox.set_message_state(reply["message_uuid"], "undelivered", error_code="30")
    [tracked] = await replies(bot_app)
    assert tracked["statuses"] == ["queued", "sent", "undelivered"] and tracked["error_code"] == "30"


def test_stop_unsubscribes_and_start_subscribes_again(
    plivo_sandbox: MockPlivo, bot_number: str, bot_app: FastAPI
) -> None:
    for text in ("STOP", "hours", "START", "hours"):
        plivo_sandbox.inbound_sms(CUSTOMER, bot_number, text)
    sent = [m["text"] for m in reversed(plivo_sandbox.messages(direction="outbound"))]
    assert sent == [ANSWERS["STOP"], ANSWERS["START"], ANSWERS["HOURS"]]
    assert len(plivo_sandbox.messages(direction="inbound")) == 4


@pytest.mark.anyio
async def test_requests_without_plivos_signature_are_refused(bot_app: FastAPI) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=bot_app), base_url=BOT_URL) as client:
        answer = await client.post("/inbound", data={"From": CUSTOMER, "To": "14155550100", "Text": "hours"})
    assert answer.status_code == 403
    assert bot_app.state.bot.refused == 1 and bot_app.state.bot.replies == {}
