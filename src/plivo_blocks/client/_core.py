"""The part of the client that does no I/O, shared by :class:`Client` and :class:`AsyncClient`.

The two clients differ only in how they send a request and how they sleep; everything else
lives here: configuration, turning a block call into a :class:`WireRequest` (or an
:class:`httpx.Request`), reading Plivo's answer (or a transport failure) into a result or a typed error, the retry policy,
per-attempt logging and the pagination walk. Each attempt ends in an :class:`Outcome`
that says "done", "failed" or "retry in N seconds".
"""

from __future__ import annotations

import base64
import email.utils
import json
import logging
import math
import os
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, NoReturn, Protocol
from urllib.parse import parse_qs, urlsplit

import httpx

from plivo_blocks import _json
from plivo_blocks._version import __version__
from plivo_blocks.catalog import BLOCKS, Block, PlivoRequest, get_block
from plivo_blocks.errors import (
    APIError,
    ConfigurationError,
    PlivoBlocksError,
    PlivoTimeoutError,
    Problem,
    TransportError,
    ValidationError,
    api_error_class,
)

logger = logging.getLogger("plivo_blocks.client")

ENV_AUTH_ID = "PLIVO_AUTH_ID"
ENV_AUTH_TOKEN = "PLIVO_AUTH_TOKEN"
ENV_API_URL = "PLIVO_API_URL"
DEFAULT_BASE_URL = "https://api.plivo.com"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2
PAGE_SIZE = 20  # Plivo's maximum page size
USER_AGENT = f"plivo-blocks/{__version__}"

#: Methods a retry cannot turn into a second side effect (a second DELETE finds nothing to delete).
IDEMPOTENT_METHODS = frozenset({"GET", "DELETE"})

#: Failures where the request provably never reached the server: safe to retry for any method.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

_BODY_SNIPPET = 2000  # characters of a non-JSON body kept on an error
_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


# -- configuration -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Credentials:
    """A Plivo auth id and token. The token never appears in a repr."""

    auth_id: str
    auth_token: str = field(repr=False)
    #: The ``Authorization`` header's value, encoded once (every request carries it).
    _authorization: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pair = f"{self.auth_id}:{self.auth_token}".encode()
        object.__setattr__(self, "_authorization", "Basic " + base64.b64encode(pair).decode("ascii"))

    def authorization(self) -> str:
        return self._authorization

    def secrets(self) -> tuple[str, ...]:
        """Strings that must never leave the process in a message, a log line or an error body."""
        return (self.auth_token, self.authorization().removeprefix("Basic "))


def resolve_credentials(auth_id: str | None, auth_token: str | None) -> Credentials | None:
    """Explicit values first, then PLIVO_AUTH_ID / PLIVO_AUTH_TOKEN; ``None`` when either is missing."""
    resolved_id = auth_id if auth_id is not None else os.environ.get(ENV_AUTH_ID)
    resolved_token = auth_token if auth_token is not None else os.environ.get(ENV_AUTH_TOKEN)
    if not resolved_id or not resolved_token:
        return None
    return Credentials(resolved_id, resolved_token)


def resolve_base_url(base_url: str | None) -> str:
    """The API root, without a trailing slash; ``http(s)://host[:port][/prefix]`` and nothing else."""
    raw = base_url if base_url is not None else os.environ.get(ENV_API_URL) or DEFAULT_BASE_URL
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"base_url must be an absolute http(s) URL, got {raw!r}")
    if parts.username is not None or parts.password is not None:
        # Never echo it: the userinfo may be a credential.
        raise ConfigurationError("base_url must not carry credentials; pass auth_id and auth_token")
    if parts.query or parts.fragment:
        raise ConfigurationError("base_url must not have a query string or a fragment")
    return raw.strip().rstrip("/")


def resolve_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    """A bounded :class:`httpx.Timeout`: ``None`` (wait forever) is refused, in whole or in part."""
    if isinstance(timeout, httpx.Timeout):
        parts = {
            "connect": timeout.connect,
            "read": timeout.read,
            "write": timeout.write,
            "pool": timeout.pool,
        }
        unbounded = [name for name, value in parts.items() if value is None]
        if unbounded:
            raise ConfigurationError(f"timeout must be bounded; {', '.join(unbounded)} is unbounded")
        return timeout
    if timeout is None:
        raise ConfigurationError("timeout must be a number of seconds; unbounded requests are refused")
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise ConfigurationError(f"timeout must be a number of seconds, got {type(timeout).__name__}")
    if not timeout > 0 or math.isinf(timeout):
        raise ConfigurationError(f"timeout must be a positive, finite number of seconds, got {timeout!r}")
    return httpx.Timeout(float(timeout))


# -- retries -------------------------------------------------------------------------------------


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date; ``None`` if unusable."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - (now or datetime.now(UTC))).total_seconds()
        return max(seconds, 0.0)
    if math.isnan(seconds) or seconds < 0:
        return None
    return seconds


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times to retry, and how long to wait in between.

    The wait is exponential backoff (``initial_backoff`` doubled per attempt, capped at
    ``max_backoff``) with jitter, or the server's ``Retry-After`` when it sent one. A server
    asking to wait longer than ``max_retry_after`` gets no retry: the error is raised at once
    rather than blocking the caller for minutes.
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    initial_backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0
    jitter: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if (
            isinstance(self.max_retries, bool)
            or not isinstance(self.max_retries, int)
            or self.max_retries < 0
        ):
            raise ConfigurationError(f"max_retries must be a non-negative integer, got {self.max_retries!r}")

    def backoff(self, attempt: int) -> float:
        """The jittered wait after failed attempt number ``attempt`` (1-based): between 75% and 100% of the step."""
        step = min(self.initial_backoff * 2.0 ** (attempt - 1), self.max_backoff)
        return step * (1 - 0.25 * self.jitter())

    def delay(self, attempt: int, retry_after: str | None = None) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` when there will be no other attempt."""
        if attempt > self.max_retries:
            return None
        asked = parse_retry_after(retry_after)
        if asked is not None:
            return asked if asked <= self.max_retry_after else None
        return self.backoff(attempt)


# -- what goes on the wire ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WireRequest:
    """One HTTP request to Plivo, in plain values: any sender can write it (httpx, aiohttp)."""

    method: str
    url: str  # absolute and already percent-encoded
    headers: dict[str, str] = field(repr=False)  # Authorization among them
    body: bytes | None = None

    def to_httpx(self, timeout: httpx.Timeout) -> httpx.Request:
        return httpx.Request(
            self.method,
            self.url,
            headers=self.headers,
            content=self.body,
            extensions={"timeout": timeout.as_dict()},
        )


class HTTPAnswer(Protocol):
    """What the core reads of an answer: :class:`httpx.Response` has it, and so does the async
    client's leaner :class:`~plivo_blocks.client.transport.Answer`."""

    @property
    def status_code(self) -> int: ...

    @property
    def reason_phrase(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def content(self) -> bytes: ...


# -- one call ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedCall:
    """A validated block call: the block and the Plivo request it maps to."""

    block: Block
    request: PlivoRequest

    @property
    def idempotent(self) -> bool:
        return self.request.method in IDEMPOTENT_METHODS

    @property
    def where(self) -> str:
        """``POST Message/``: method and path relative to the account, for messages and logs."""
        return f"{self.request.method} {self.request.path or '/'}"


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one attempt (or a whole call) ended: a result, or an error and possibly the wait before
    trying again. ``replayed``: the outcome of an earlier call with the same idempotency key."""

    result: dict[str, Any] | None = None
    error: PlivoBlocksError | None = None
    retry_in: float | None = None
    replayed: bool = False

    def unwrap(self) -> dict[str, Any]:
        # Raised here, outside any ``except`` block, so that no httpx exception (which holds the
        # request and its Authorization header) ends up as the __context__ of ours.
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


def scrub(value: Any, secrets: Sequence[str]) -> Any:
    """``value`` with every secret replaced by ``***`` (strings, and strings inside lists and dicts)."""
    if isinstance(value, str):
        for secret in secrets:
            if secret:
                value = value.replace(secret, "***")
        return value
    if isinstance(value, list):
        return [scrub(item, secrets) for item in value]
    if isinstance(value, dict):
        return {scrub(k, secrets): scrub(v, secrets) for k, v in value.items()}
    return value


def _short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe_non_json(response: HTTPAnswer) -> str:
    """A short description of a body that is not Plivo's JSON, e.g. ``HTML page "502 Bad Gateway"``."""
    content = response.content
    if not content.strip():
        return "empty body"
    content_type = response.headers.get("content-type", "").split(";")[0].strip() or "unknown type"
    title = _HTML_TITLE.search(content[: _BODY_SNIPPET * 4])
    if title:
        text = " ".join(title.group(1).decode("utf-8", "replace").split())
        return f"HTML page {text!r} ({content_type}, {len(content)} bytes)"
    return f"non-JSON body ({content_type}, {len(content)} bytes)"


def _body_snippet(response: HTTPAnswer, secrets: Sequence[str]) -> str:
    # Scrubbed before it is cut: a secret straddling the cut must not survive in part.
    text: str = scrub(response.content.decode("utf-8", "replace"), secrets)
    return text[:_BODY_SNIPPET]


#: Told about every attempt: block name, status (HTTP status or exception name), seconds, and
#: whether another attempt follows. The gateway's metrics listen here.
AttemptObserver = Callable[[str, str, float, bool], None]


@dataclass(frozen=True)
class ClientCore:
    """Configuration plus every decision a client makes; the clients add only I/O."""

    credentials: Credentials | None
    base_url: str
    timeout: httpx.Timeout
    retry: RetryPolicy
    on_attempt: AttemptObserver | None = None
    #: The level of the log line of an attempt that succeeded (others: INFO).
    success_log_level: int = logging.INFO

    @classmethod
    def configure(
        cls,
        auth_id: str | None,
        auth_token: str | None,
        *,
        base_url: str | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
        on_attempt: AttemptObserver | None = None,
        success_log_level: int = logging.INFO,
    ) -> ClientCore:
        return cls(
            credentials=resolve_credentials(auth_id, auth_token),
            base_url=resolve_base_url(base_url),
            timeout=resolve_timeout(timeout),
            retry=RetryPolicy(max_retries=max_retries),
            on_attempt=on_attempt,
            success_log_level=success_log_level,
        )

    def with_credentials(self, auth_id: str, auth_token: str) -> ClientCore:
        credentials = Credentials(auth_id, auth_token) if auth_id and auth_token else None
        return replace(self, credentials=credentials)

    @property
    def auth_id(self) -> str | None:
        return self.credentials.auth_id if self.credentials else None

    def describe(self, class_name: str) -> str:
        return f"{class_name}(auth_id={self.auth_id!r}, base_url={self.base_url!r})"

    # -- planning ------------------------------------------------------------------------------

    def plan(self, block: str, args: Mapping[str, Any]) -> PlannedCall:
        """Validate ``args`` for ``block``; raises UnknownBlockError or ValidationError before any I/O."""
        found = get_block(block)
        return PlannedCall(found, found.prepare(_plain(args)))

    def longest_call(self, wait_per_attempt: float = 0.0) -> float:
        """An upper bound on the seconds one call can take: every attempt at its full timeout (plus
        ``wait_per_attempt``, e.g. a pacing queue), every wait between attempts at its longest."""
        parts = self.timeout.as_dict().values()
        per_attempt = sum(float(part) for part in parts if part is not None) + wait_per_attempt
        between = max(self.retry.max_retry_after, self.retry.max_backoff)
        return per_attempt * (self.retry.max_retries + 1) + between * self.retry.max_retries

    def require_credentials(self) -> Credentials:
        if self.credentials is None:
            raise ConfigurationError(
                f"no Plivo credentials: pass auth_id and auth_token, or set {ENV_AUTH_ID} and {ENV_AUTH_TOKEN}"
            )
        return self.credentials

    def wire_request(self, call: PlannedCall, credentials: Credentials) -> WireRequest:
        """What goes to Plivo for ``call``, ready for any HTTP library."""
        request = call.request
        url = self.base_url + request.url_path(credentials.auth_id)
        if request.query or not url.isascii():
            # httpx encodes the query (and anything unusual in the URL): one encoding for every
            # sender, so the sync and async clients send the same bytes.
            url = str(httpx.URL(url, params=request.query or None))
        body = None
        headers = {
            "Authorization": credentials.authorization(),
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }
        if request.method == "POST":
            # As httpx's json= encodes it (compact UTF-8).
            body = _json.dumps(request.body)
            headers["Content-Type"] = "application/json"
        return WireRequest(request.method, url, headers, body)

    def build_request(self, call: PlannedCall, credentials: Credentials) -> httpx.Request:
        # An httpx.Request built directly, not via client.build_request: the pool may be shared
        # by views with other credentials, and this keeps the client's cookie jar out of it.
        return self.wire_request(call, credentials).to_httpx(self.timeout)

    # -- reading the outcome of an attempt -----------------------------------------------------

    def after_response(
        self, call: PlannedCall, response: HTTPAnswer, attempt: int, seconds: float
    ) -> Outcome:
        status = response.status_code
        if 200 <= status < 300:
            outcome = self._success(call, response)
        else:
            error = self._api_error(call, response)
            retryable = status == 429 or (status >= 500 and call.idempotent)
            delay = self.retry.delay(attempt, response.headers.get("retry-after")) if retryable else None
            outcome = Outcome(error=error, retry_in=delay)
        self._log(call, str(status), attempt, seconds, outcome)
        return outcome

    def after_failure(self, call: PlannedCall, exc: httpx.HTTPError, attempt: int, seconds: float) -> Outcome:
        never_sent = isinstance(exc, _NEVER_SENT)
        retryable = never_sent or call.idempotent
        delay = self.retry.delay(attempt) if retryable else None
        error = self._transport_error(call, exc, attempt, never_sent=never_sent, final=delay is None)
        outcome = Outcome(error=error, retry_in=delay)
        self._log(call, type(exc).__name__, attempt, seconds, outcome)
        return outcome

    def _success(self, call: PlannedCall, response: HTTPAnswer) -> Outcome:
        content = response.content
        if not content.strip() and (response.status_code == 204 or call.block.status == 204):
            return Outcome(result={})
        try:
            # An empty body where Plivo always sends JSON (a 200/201/202 answer) is no success:
            # nothing says what was done (no message_uuid), so it is reported, not guessed at.
            data = _json.loads(content)
        except ValueError:
            data = None
            problem = f"a body that is not valid JSON: {_describe_non_json(response)}"
        else:
            problem = "" if isinstance(data, dict) else f"JSON {type(data).__name__} instead of an object"
        if not problem:
            assert isinstance(data, dict)
            return Outcome(result=data)
        secrets = self._secrets()
        problem = scrub(problem, secrets)
        return Outcome(
            error=APIError(
                f"{call.block.name}: Plivo answered HTTP {response.status_code} with {problem}",
                status_code=response.status_code,
                error=problem,
                body=_body_snippet(response, secrets) if data is None else scrub(data, secrets),
            )
        )

    def _api_error(self, call: PlannedCall, response: HTTPAnswer) -> APIError:
        status = response.status_code
        secrets = self._secrets()
        api_id: str | None = None
        error: Any
        body: Any
        try:
            data = _json.loads(response.content) if response.content.strip() else None
        except ValueError:
            data = None
        data = scrub(data, secrets)  # before anything below shortens a text that may hold a secret
        if isinstance(data, dict):
            body = data
            error = data.get("error", data.get("message"))
            api_id = data["api_id"] if isinstance(data.get("api_id"), str) else None
            if error is None:
                error = "no error text in Plivo's answer"
        elif data is not None:
            body, error = data, _short(data)
        else:
            body = _body_snippet(response, secrets) or None
            error = scrub(_describe_non_json(response), secrets)
        reason = response.reason_phrase or ""
        message = f"{call.block.name} ({call.where}): Plivo answered HTTP {status} {reason}".rstrip()
        message += f": {_short(error)}"
        if api_id:
            message += f" (api_id {api_id})"
        return api_error_class(status)(message, status_code=status, error=error, api_id=api_id, body=body)

    def _transport_error(
        self, call: PlannedCall, exc: httpx.HTTPError, attempt: int, *, never_sent: bool, final: bool
    ) -> TransportError:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        timed_out = isinstance(exc, httpx.TimeoutException)
        if never_sent:
            what = f"could not connect to {httpx.URL(self.base_url).host}"
        elif timed_out:
            what = "no answer from Plivo in time"
        else:
            what = "the connection to Plivo failed"
        message = f"{call.block.name} ({call.where}): {what} ({detail})"
        if attempt > 1:
            message += f" after {attempt} attempts"
        if final and not never_sent and not call.idempotent:
            message += (
                "; not retried, because the request may have reached Plivo and repeating it could act twice"
            )
        cls = PlivoTimeoutError if timed_out else TransportError
        return cls(scrub(message, self._secrets()), may_have_reached_plivo=not never_sent)

    def _secrets(self) -> tuple[str, ...]:
        return self.credentials.secrets() if self.credentials else ()

    def _log(self, call: PlannedCall, status: str, attempt: int, seconds: float, outcome: Outcome) -> None:
        if self.on_attempt is not None:
            self.on_attempt(call.block.name, status, seconds, outcome.retry_in is not None)
        # Block, method, path relative to the account, status, duration, attempt: never headers.
        level = self.success_log_level if outcome.error is None else logging.INFO
        if not logger.isEnabledFor(level):
            return
        then = "" if outcome.retry_in is None else f"; retrying in {outcome.retry_in:.2f}s"
        logger.log(
            level,
            "%s %s -> %s in %.1f ms (attempt %d of %d)%s",
            call.block.name,
            call.where,
            status,
            seconds * 1000,
            attempt,
            self.retry.max_retries + 1,
            then,
            extra={
                "block": call.block.name,
                "http_method": call.request.method,
                "path": call.request.path,
                "status": status,
                "duration_ms": round(seconds * 1000, 1),
                "attempt": attempt,
            },
        )

    # -- pagination ------------------------------------------------------------------------------

    def start_walk(self, block: str, filters: Mapping[str, Any]) -> PageWalk:
        found = get_block(block)
        if not found.paginated:
            paginated = ", ".join(b.name for b in _paginated_blocks())
            raise ValidationError(
                found.name,
                [
                    Problem(
                        "block",
                        "paginated",
                        f"{found.name} does not return pages; paginated blocks: {paginated}",
                    )
                ],
            )
        args = _plain(filters)
        args.setdefault("limit", PAGE_SIZE)
        args.setdefault("offset", 0)
        call = self.plan(found.name, args)
        return PageWalk(call, limit=int(call.request.query["limit"]))


#: Values that are already what the catalog's types expect (checked first: ABC checks are slow).
_SCALARS = (str, int, float, bool, type(None))


def _plain(args: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments as the catalog's types expect them: any sequence as a list, any mapping as a dict."""
    out: dict[str, Any] = {}
    for name, value in args.items():
        if type(value) in _SCALARS:
            pass
        elif isinstance(value, Mapping):
            value = dict(value)
        elif isinstance(value, Sequence) and not isinstance(value, str | bytes | bytearray):
            value = list(value)
        out[name] = value
    return out


def _paginated_blocks() -> list[Block]:
    return [b for b in BLOCKS if b.paginated]


def _not_a_page(call: PlannedCall, page: Mapping[str, Any]) -> NoReturn:
    raise APIError(
        f"{call.block.name}: Plivo's answer has no 'objects' list, so it is not a page",
        status_code=200,
        error="no objects list in a list answer",
        api_id=page.get("api_id") if isinstance(page.get("api_id"), str) else None,
        body=dict(page),
    )


class PageWalk:
    """Where a walk over a paginated list stands: the next request to send, and when to stop.

    Like the official SDK it follows ``meta.next`` (which carries an ``offset``, or an opaque
    ``cursor`` on deployments that page by cursor) instead of computing offsets itself; a
    cursor replaces the offset, never rides along with it. It stops on an empty page, when
    ``next`` is null, when the next offset reaches ``total_count``, and when the next request
    would repeat the previous one or a page repeats the previous page (a server ignoring the
    paging parameters must not make the walk endless). Without ``meta`` it steps the offset
    by ``limit`` and stops at the first short page.
    """

    def __init__(self, call: PlannedCall, *, limit: int) -> None:
        self.block = call.block
        self.next_call: PlannedCall | None = call
        self._limit = limit
        self._previous_objects: list[Any] | None = None

    def advance(self, page: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Read one page: answer its objects, and set ``next_call`` (``None`` when the walk is over)."""
        call = self.next_call
        assert call is not None, "advance() after the walk ended"
        objects = page.get("objects")
        if not isinstance(objects, list):
            _not_a_page(call, page)
        repeated = objects == self._previous_objects
        self._previous_objects = objects
        self.next_call = None if not objects or repeated else self._following(call, page, len(objects))
        return [] if repeated else objects

    def _following(self, call: PlannedCall, page: Mapping[str, Any], count: int) -> PlannedCall | None:
        query = dict(call.request.query)
        meta = page.get("meta")
        if not isinstance(meta, Mapping):
            if count < self._limit or "offset" not in query:
                return None
            query["offset"] = int(query["offset"]) + self._limit
        else:
            next_url = meta.get("next")
            if not next_url or not isinstance(next_url, str):
                return None
            hints = {k: v[-1] for k, v in parse_qs(urlsplit(next_url).query).items()}
            limit = hints.get("limit", "")
            if limit.isdigit() and 1 <= int(limit) <= PAGE_SIZE:
                query["limit"] = self._limit = int(limit)
            if hints.get("cursor"):
                query.pop("offset", None)
                query["cursor"] = hints["cursor"]
            elif hints.get("offset", "").isdigit():
                offset = int(hints["offset"])
                if "offset" in query and offset <= int(query["offset"]):
                    return None  # an offset that does not move forward would walk in circles
                query.pop("cursor", None)
                query["offset"] = offset
                total = meta.get("total_count")
                if isinstance(total, int) and not isinstance(total, bool) and offset >= total:
                    return None
            else:
                return None
        if query == call.request.query:
            return None
        return PlannedCall(call.block, replace(call.request, query=query))
