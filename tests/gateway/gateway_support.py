"""Helpers shared by the gateway tests."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx

AUTH_ID = "MAGATEWAYTESTXXXXXXX"
#: A distinctive token: tests search logs, bodies and documents for it.
AUTH_TOKEN = "gw-secret-token-7f3a9c1e5b"


def args(**extra: Any) -> dict[str, Any]:
    """A request body with valid credentials plus ``extra`` arguments."""
    return {"args": {"authId": AUTH_ID, "authToken": AUTH_TOKEN, **extra}}


def detail(response: httpx.Response, key: str = "to") -> Any:
    """What the envelope wrote under ``key`` (the only key)."""
    body = response.json()
    assert list(body["contextWrites"]) == [key]
    return body["contextWrites"][key]


GatewayFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
