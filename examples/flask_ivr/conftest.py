"""The IVR under test, given to the ``plivo_sandbox`` fixture, and its phone line set up the way its
owner sets it up on Plivo: an application with the IVR's URLs and a rented number linked to it."""

from __future__ import annotations

import plivo
import pytest
from acme_line import AGENT, AUTH_ID, AUTH_TOKEN, IVR_URL
from flask import Flask
from ivr import create_app


@pytest.fixture
def ivr() -> Flask:
    return create_app(AUTH_ID, AUTH_TOKEN, IVR_URL, AGENT)


@pytest.fixture
def plivo_sandbox_apps(ivr: Flask) -> dict[str, Flask]:
    """The sandbox calls the IVR in-process for every URL under https://ivr.test."""
    return {IVR_URL: ivr}


@pytest.fixture
def plivo_client() -> plivo.RestClient:
    return plivo.RestClient(AUTH_ID, AUTH_TOKEN)


@pytest.fixture
def support_line(plivo_sandbox: object, plivo_client: plivo.RestClient) -> str:
    """Acme's support number, rented and pointed at the IVR."""
    app = plivo_client.applications.create(
        app_name="Acme support IVR",
        answer_url=f"{IVR_URL}/answer",
        hangup_url=f"{IVR_URL}/hangup",
        message_url=f"{IVR_URL}/sms",
    )
    number: str = plivo_client.numbers.search(country_iso="US", type="local").objects[0]["number"]
    plivo_client.numbers.buy(number, app_id=app.app_id)
    return number
