"""The bot under test, given to the ``plivo_sandbox`` fixture, and its number set up the way its
owner sets it up on Plivo (with the official SDK)."""

from __future__ import annotations

import plivo
import pytest
from bot_line import AUTH_ID, AUTH_TOKEN, BOT_URL
from fastapi import FastAPI
from sms_bot import create_app


@pytest.fixture
def bot_app() -> FastAPI:
    return create_app(AUTH_ID, AUTH_TOKEN, BOT_URL)


@pytest.fixture
def plivo_sandbox_apps(bot_app: FastAPI) -> dict[str, FastAPI]:
    """The sandbox calls the bot in-process for every URL under https://bot.test."""
    return {BOT_URL: bot_app}


@pytest.fixture
def bot_number(plivo_sandbox: object) -> str:
    client = plivo.RestClient(AUTH_ID, AUTH_TOKEN)
    app = client.applications.create(app_name="SMS bot", message_url=f"{BOT_URL}/inbound")
    number: str = client.numbers.search(country_iso="US", type="local").objects[0]["number"]
    client.numbers.buy(number, app_id=app.app_id)
    return number
