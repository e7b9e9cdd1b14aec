"""The RapidAPI callback envelope: ``{"callback": ..., "contextWrites": {<to>: ...}}``."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any

from plivo_blocks.errors import (
    APIError,
    IdempotencyError,
    IdempotencyKeyInUseError,
    IdempotencyKeyReusedError,
    IdempotencyOutcomeUnknownError,
    PacingLimitError,
    ValidationError,
)

DEFAULT_CONTEXT_KEY = "to"


class ErrorCode(StrEnum):
    """``status_code`` values of an error callback."""

    JSON_VALIDATION = "JSON_VALIDATION"
    REQUIRED_FIELDS = "REQUIRED_FIELDS"
    INVALID_FIELDS = "INVALID_FIELDS"
    API_ERROR = "API_ERROR"
    INTERNAL_PACKAGE_ERROR = "INTERNAL_PACKAGE_ERROR"
    RATE_LIMITED = "RATE_LIMITED"
    IDEMPOTENCY_KEY_INVALID = "IDEMPOTENCY_KEY_INVALID"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENCY_KEY_IN_USE = "IDEMPOTENCY_KEY_IN_USE"
    IDEMPOTENCY_OUTCOME_UNKNOWN = "IDEMPOTENCY_OUTCOME_UNKNOWN"
    IDEMPOTENCY_STORE_UNAVAILABLE = "IDEMPOTENCY_STORE_UNAVAILABLE"


def success(payload: Any, key: str = DEFAULT_CONTEXT_KEY) -> dict[str, Any]:
    # An empty upstream answer (204, or an empty object) reads as a plain success, as in the original.
    if payload is None or payload == {} or payload == "":
        payload = {"status": "success"}
    return {"callback": "success", "contextWrites": {key: payload}}


def error(code: ErrorCode, message: str, key: str = DEFAULT_CONTEXT_KEY, **extra: Any) -> dict[str, Any]:
    return {
        "callback": "error",
        "contextWrites": {key: {"status_code": code.value, "status_msg": message, **extra}},
    }


def validation_error(exc: ValidationError, key: str = DEFAULT_CONTEXT_KEY) -> dict[str, Any]:
    """REQUIRED_FIELDS when anything required is missing (other problems ride along under
    ``invalid``), else INVALID_FIELDS. Messages name arguments and rules, never values."""
    missing = list(dict.fromkeys(exc.missing))
    invalid = exc.invalid
    if missing:
        message = "Required fields are missing: " + ", ".join(missing)
        extra: dict[str, Any] = {"fields": missing}
        if invalid:
            extra["invalid"] = invalid
            message += "; and some fields are invalid: " + ", ".join(invalid)
        return error(ErrorCode.REQUIRED_FIELDS, message, key, **extra)
    return error(
        ErrorCode.INVALID_FIELDS, "Some fields are invalid: " + ", ".join(invalid), key, fields=invalid
    )


def api_error(exc: APIError, key: str = DEFAULT_CONTEXT_KEY) -> dict[str, Any]:
    detail = exc.error if isinstance(exc.error, str) and exc.error else None
    message = f"Plivo answered HTTP {exc.status_code}" + (f": {detail}" if detail else "")
    return error(
        ErrorCode.API_ERROR, message, key, status=exc.status_code, error=exc.error, api_id=exc.api_id
    )


def rate_limited(exc: PacingLimitError, key: str = DEFAULT_CONTEXT_KEY) -> dict[str, Any]:
    """Pacing refused the request (nothing was sent); ``retry_after`` in whole seconds."""
    return error(ErrorCode.RATE_LIMITED, str(exc), key, retry_after=retry_after_seconds(exc.retry_after))


def idempotency_error(exc: IdempotencyError, key: str = DEFAULT_CONTEXT_KEY) -> dict[str, Any]:
    if isinstance(exc, IdempotencyKeyInUseError):
        return error(
            ErrorCode.IDEMPOTENCY_KEY_IN_USE, str(exc), key, retry_after=retry_after_seconds(exc.retry_after)
        )
    if isinstance(exc, IdempotencyKeyReusedError):
        code = ErrorCode.IDEMPOTENCY_KEY_REUSED
    elif isinstance(exc, IdempotencyOutcomeUnknownError):
        code = ErrorCode.IDEMPOTENCY_OUTCOME_UNKNOWN
    else:
        code = ErrorCode.IDEMPOTENCY_STORE_UNAVAILABLE
    return error(code, str(exc), key)


def retry_after_seconds(seconds: float) -> int:
    """Whole seconds for a ``Retry-After``, rounded up, at least 1."""
    return max(1, math.ceil(seconds))


def misplaced_args(keys: list[str]) -> dict[str, Any]:
    """A body with its arguments at the top level instead of under ``"args"``: names the keys it
    found (a few, shortened), never their values."""
    shown = ", ".join(key if len(key) <= 40 else key[:37] + "..." for key in keys[:10])
    more = f" and {len(keys) - 10} more" if len(keys) > 10 else ""
    message = (
        'The arguments must be inside "args": send {"args": {"authId": ..., "authToken": ..., ...}}; '
        f'this body has {shown}{more} at the top level and no "args"'
    )
    return error(ErrorCode.JSON_VALIDATION, message)
