"""The error tree shared by the catalog, the client and the gateway.

Every error raised by plivo-blocks derives from :class:`PlivoBlocksError`. None of them
ever holds a credential: messages are built from argument names, rules, HTTP statuses
and Plivo's own ``error`` text, never from request headers or URLs with userinfo.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class PlivoBlocksError(Exception):
    """Base of every error plivo-blocks raises."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one argument: which argument, which rule, and a readable message."""

    argument: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.argument}: {self.message}"


class ValidationError(PlivoBlocksError, ValueError):
    """Arguments refused locally, before any request left the process. Lists every problem at once."""

    def __init__(self, block: str, problems: list[Problem]) -> None:
        self.block = block
        self.problems = list(problems)
        detail = "; ".join(str(p) for p in self.problems)
        super().__init__(f"invalid arguments for {block}: {detail}")

    @property
    def missing(self) -> list[str]:
        """Names of required arguments that were not given."""
        return [p.argument for p in self.problems if p.rule == "required"]

    @property
    def invalid(self) -> dict[str, str]:
        """Argument name -> what is wrong with it, for every problem other than a missing argument."""
        return {p.argument: p.message for p in self.problems if p.rule != "required"}


class UnknownBlockError(PlivoBlocksError, KeyError):
    """No block of that name exists in the catalog."""

    def __init__(self, name: str, suggestions: Sequence[str] = ()) -> None:
        self.name = name
        #: Block names close to ``name``, best first (the CLI and the gateway offer them).
        self.suggestions = tuple(suggestions)
        super().__init__(name)

    def hint(self) -> str:
        """`` (did you mean sendMessage?)``, or nothing when no block name is close."""
        return f" (did you mean {', '.join(self.suggestions)}?)" if self.suggestions else ""

    def __str__(self) -> str:
        return f"unknown block {self.name!r}{self.hint()}"


class ConfigurationError(PlivoBlocksError):
    """The client cannot be used as configured (for example, no credentials were found)."""


class APIError(PlivoBlocksError):
    """Plivo answered with a non-2xx status.

    ``status_code`` is the HTTP status, ``error`` Plivo's ``error`` text (or a short
    description of the body when it was not Plivo's JSON), ``api_id`` Plivo's request id.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        error: Any = None,
        api_id: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error = error
        self.api_id = api_id
        self.body = body

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code!r}, error={self.error!r}, "
            f"api_id={self.api_id!r})"
        )


class BadRequestError(APIError):
    """400: Plivo refused the request's parameters."""


class AuthenticationError(APIError):
    """401: the credentials were refused."""


class PermissionDeniedError(APIError):
    """403: the account may not do this."""


class NotFoundError(APIError):
    """404: no such resource."""


class MethodNotAllowedError(APIError):
    """405: the endpoint does not take that HTTP method."""


class RateLimitError(APIError):
    """429: too many requests."""


class ServerError(APIError):
    """5xx: Plivo failed."""


class TransportError(PlivoBlocksError):
    """The request could not be completed: connection refused or reset, DNS, protocol error.

    ``may_have_reached_plivo`` is False only when the request provably never left (the connection
    was refused, or no connection could be had): then sending it again cannot act twice.
    """

    def __init__(self, message: str, *, may_have_reached_plivo: bool = True) -> None:
        super().__init__(message)
        self.may_have_reached_plivo = may_have_reached_plivo


class PlivoTimeoutError(TransportError):
    """No answer within the configured timeout."""


#: The former name, kept so that existing imports work. It shadows the builtin ``TimeoutError`` in
#: any module that imports it by that name, which is why the class was renamed.
TimeoutError = PlivoTimeoutError


class PacingLimitError(PlivoBlocksError):
    """The account is at Plivo's request rate and its turn would come later than the queue allows:
    nothing was sent (the gateway never sends a request just to collect a 429).
    ``retry_after`` is the number of seconds after which a retry would be queued, not refused."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class IdempotencyError(PlivoBlocksError):
    """An idempotency key could not be honoured as asked. Nothing was sent to Plivo for this call."""


class IdempotencyKeyReusedError(IdempotencyError):
    """The key was first used with other arguments or other credentials (Stripe's
    ``idempotency_error``): a key names one request, so this one is refused."""


class IdempotencyKeyInUseError(IdempotencyError):
    """The first request with this key is still in flight and did not finish within the wait bound.
    Retry with the same key after ``retry_after`` seconds to get its outcome."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class IdempotencyOutcomeUnknownError(IdempotencyError):
    """The first request with this key was interrupted after it may have reached Plivo (its process
    died, or it was cancelled, before its outcome was recorded). It is never sent again: look its
    effect up (e.g. ``getMessages``) and use a new key for a new attempt."""


class IdempotencyStoreError(IdempotencyError):
    """The store that keeps idempotency keys could not be reached in time: the keyed request was
    refused rather than sent unguarded."""


def api_error_class(status_code: int) -> type[APIError]:
    """The most specific :class:`APIError` subclass for an HTTP status."""
    if status_code >= 500:
        return ServerError
    return {
        400: BadRequestError,
        401: AuthenticationError,
        403: PermissionDeniedError,
        404: NotFoundError,
        405: MethodNotAllowedError,
        429: RateLimitError,
    }.get(status_code, APIError)
