"""The error tree shared by the catalog, the client and the gateway.

Every error raised by plivo-blocks derives from :class:`PlivoBlocksError`. None of them
ever holds a credential: messages are built from argument names, rules, HTTP statuses
and Plivo's own ``error`` text, never from request headers or URLs with userinfo.
"""

from __future__ import annotations

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

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(name)

    def __str__(self) -> str:
        return f"unknown block {self.name!r}"


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
    """The request could not be completed: connection refused or reset, DNS, protocol error."""


class PlivoTimeoutError(TransportError):
    """No answer within the configured timeout."""


#: The former name, kept so that existing imports work. It shadows the builtin ``TimeoutError`` in
#: any module that imports it by that name, which is why the class was renamed.
TimeoutError = PlivoTimeoutError


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
