"""Identifiers in Plivo's formats.

- auth ids: 20 characters, ``MA`` (main account) or ``SA`` (subaccount) + 18 uppercase letters/digits;
- auth tokens: 40 characters, base64 of random hex, like the real ones;
- UUIDs (api_id, message_uuid, call_uuid, request_uuid, recording_id): ``uuid4`` strings;
- numeric ids (app_id: 17 digits, endpoint_id and carrier_id: 14 digits): digit strings without a leading 0.

Uniqueness of numeric ids is enforced where they are stored (the store's primary key); the
callers retry on the astronomically rare collision (see ``models.common.insert_new``).
"""

from __future__ import annotations

import base64
import secrets
import string
import uuid
from typing import Literal

_ID_ALPHABET = string.ascii_uppercase + string.digits

APP_ID_DIGITS = 17
ENDPOINT_ID_DIGITS = 14
CARRIER_ID_DIGITS = 14


def new_auth_id(kind: Literal["MA", "SA"]) -> str:
    return kind + "".join(secrets.choice(_ID_ALPHABET) for _ in range(18))


def new_auth_token() -> str:
    # 30 hex characters encode to exactly 40 base64 characters, no padding.
    return base64.b64encode(secrets.token_hex(15).encode()).decode()


def new_uuid() -> str:
    return str(uuid.uuid4())


def new_numeric_id(digits: int) -> str:
    first = secrets.choice("123456789")
    return first + "".join(secrets.choice(string.digits) for _ in range(digits - 1))


def is_main_auth_id(value: str) -> bool:
    return len(value) == 20 and value.startswith("MA") and all(c in _ID_ALPHABET for c in value[2:])


def is_subaccount_auth_id(value: str) -> bool:
    return len(value) == 20 and value.startswith("SA") and all(c in _ID_ALPHABET for c in value[2:])
