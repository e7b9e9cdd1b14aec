"""HTTP Basic authentication, as Plivo does it.

``await authenticate(request) -> Account`` checks the ``Authorization: Basic`` header against the
stored accounts (constant-time token comparison) and returns the account the request acts for:

- the credentials' own account when the path's ``{auth_id}`` is that account (or there is none);
- a subaccount, when a main account's credentials are used on that subaccount's path (a main account
  may act for its subaccounts);
- anything else (unknown auth_id, wrong token, a subaccount on another account's path, a main
  account on a stranger's path) is 401 with Plivo's error body.

Disabled subaccounts can still authenticate (the SDK creates subaccounts disabled by default).
``await authenticate_main(request)`` additionally requires the main account (the control API).
The credentials account is kept as ``request.state.caller``.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from starlette.requests import Request

from plivo_blocks.sandbox.accounts import Account
from plivo_blocks.sandbox.responses import PlivoError
from plivo_blocks.sandbox.state import SandboxState

AUTH_FAILED = "Could not verify your access level for that URL.\nYou have to login with proper credentials"
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="Authentication Required"'}


def sandbox_state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def unauthorized() -> PlivoError:
    return PlivoError(401, AUTH_FAILED, _CHALLENGE)


def _credentials(request: Request) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise unauthorized()
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise unauthorized() from None
    auth_id, sep, token = decoded.partition(":")
    if not sep:
        raise unauthorized()
    return auth_id, token


async def authenticate(request: Request) -> Account:
    state = sandbox_state(request)
    auth_id, token = _credentials(request)
    caller = await state.accounts.get(auth_id)
    # Compare even when the account is unknown, so timing does not reveal which auth_ids exist.
    expected = caller.auth_token if caller else "\0" * 40
    if not hmac.compare_digest(expected.encode(), token.encode()) or caller is None:
        raise unauthorized()
    request.state.caller = caller
    path_id = request.path_params.get("auth_id")
    if path_id is None or path_id == caller.auth_id:
        return caller
    if caller.is_main:
        acting = await state.accounts.get(path_id)
        if acting is not None and acting.parent_id == caller.auth_id:
            return acting
    raise unauthorized()


async def authenticate_main(request: Request) -> Account:
    account = await authenticate(request)
    if not account.is_main:
        raise unauthorized()
    return account
