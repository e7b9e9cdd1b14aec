"""Inspector sessions: a signed cookie that stands in a browser for the main account's Basic auth.

The inspector's login form checks the main account's credentials and sets :data:`COOKIE` to
``{expiry}.{signature}``: the signature is an HMAC-SHA256 of the main auth id and the expiry, keyed
with a key derived from the main auth token. The cookie never carries the token, and nothing is
kept server side: a session ends when it expires (:data:`LIFETIME_SECONDS` of wall-clock time:
sessions are about people, not sandbox time), when the browser drops the cookie (logout), or when
the main account's token changes. It is ``HttpOnly`` and ``SameSite=Strict``, and the control API
refuses requests that browsers mark as coming from another site (:func:`from_another_site`).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

from plivo_blocks.sandbox.accounts import MainCredentials

__all__ = ["COOKIE", "LIFETIME_SECONDS", "from_another_site", "issue", "valid"]

COOKIE = "plivo_sandbox_session"
LIFETIME_SECONDS = 12 * 3600
_KEY_PURPOSE = b"plivo-blocks sandbox inspector session"


def _signature(main: MainCredentials, expiry: int) -> str:
    key = hmac.new(main.auth_token.encode(), _KEY_PURPOSE, hashlib.sha256).digest()
    return hmac.new(key, f"{main.auth_id}.{expiry}".encode(), hashlib.sha256).hexdigest()


def issue(main: MainCredentials, now: float | None = None) -> str:
    """A session cookie value for the main account, valid :data:`LIFETIME_SECONDS` from ``now``."""
    expiry = int((time.time() if now is None else now) + LIFETIME_SECONDS)
    return f"{expiry}.{_signature(main, expiry)}"


def valid(value: str | None, main: MainCredentials, now: float | None = None) -> bool:
    """Whether ``value`` is an unexpired session of the main account (constant-time check)."""
    if not value:
        return False
    expiry_text, _, signature = value.partition(".")
    if not expiry_text.isdigit() or len(expiry_text) > 12:
        return False
    expiry = int(expiry_text)
    if expiry <= (time.time() if now is None else now):
        return False
    return hmac.compare_digest(signature.encode(), _signature(main, expiry).encode())


def from_another_site(headers: Mapping[str, str]) -> bool:
    """Whether a browser says the request comes from another site's page (``Sec-Fetch-Site``):
    such requests could carry the inspector's cookie or remembered Basic credentials without the
    user meaning them (cross-site request forgery). Other clients send no such header."""
    return headers.get("sec-fetch-site", "").lower() in ("cross-site", "same-site")
