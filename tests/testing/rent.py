"""Setting up a Plivo account as an app's owner would, through the official SDK: an application
and a rented number linked to it."""

from __future__ import annotations

import plivo


def rent_number(client: plivo.RestClient, *, country: str = "US", **application: str) -> str:
    """Rent a number of ``country`` linked to a new application (``answer_url``, ``message_url``,
    ...); answers the number."""
    app_id = client.applications.create(app_name="app under test", **application).app_id
    number: str = client.numbers.search(country_iso=country, type="local").objects[0]["number"]
    client.numbers.buy(number, app_id=app_id)
    return number
