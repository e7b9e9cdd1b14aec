"""The gateway's ASGI application: the RapidAPI package protocol over the catalog and the client.

Routes: ``GET /api/Plivo`` (metadata), ``POST /api/Plivo/<block>`` (run a block),
``GET /openapi.json``, ``GET /docs``, ``GET /healthz``, ``GET /metrics``. Every answer is JSON
except the docs page and the metrics.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plivo_blocks import _json
from plivo_blocks.catalog import Block, get_block
from plivo_blocks.client.idempotency import check_key
from plivo_blocks.errors import (
    APIError,
    IdempotencyError,
    IdempotencyKeyInUseError,
    PacingLimitError,
    PlivoTimeoutError,
    Problem,
    TransportError,
    UnknownBlockError,
    ValidationError,
)
from plivo_blocks.gateway import envelope
from plivo_blocks.gateway.docs import render_docs
from plivo_blocks.gateway.envelope import ErrorCode
from plivo_blocks.gateway.metadata import PACKAGE, RENAME_ARG, build_metadata
from plivo_blocks.gateway.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from plivo_blocks.gateway.metrics import GatewayMetrics
from plivo_blocks.gateway.openapi import build_openapi
from plivo_blocks.gateway.settings import GatewaySettings

if TYPE_CHECKING:
    from plivo_blocks.client import AsyncClient
    from plivo_blocks.client.transport import AsyncSender
    from plivo_blocks.gateway.state import GatewayStores

LOG = logging.getLogger("plivo_blocks.gateway")
ACCESS_LOG = logging.getLogger("plivo_blocks.gateway.access")

#: Scope key where the block handler leaves facts (block, outcome) for the access log.
ACCESS_FACTS = "plivo_blocks.access"
PROXY_SECRET_HEADER = b"x-rapidapi-proxy-secret"
IDEMPOTENCY_HEADER = "idempotency-key"
_IDEMPOTENCY_HEADER_RAW = IDEMPOTENCY_HEADER.encode()
REPLAYED_HEADER = "Idempotent-Replayed"
_MAX_CONTEXT_KEY = 256
_MAX_CREDENTIAL = 256
_MAX_ARGS = 100  # the largest block has about 25 arguments


def _dumps(content: Any) -> bytes:
    # UTF-8, with lone surrogates from a caller's JSON escapes as escapes (plivo_blocks._json).
    return _json.dumps(content)


def json_response(content: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(_dumps(content), status_code=status, headers=headers, media_type="application/json")


def http_error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """Errors outside the callback envelope (routing, auth, body limits) share this small shape."""
    return json_response({"status_code": code, "status_msg": message}, status, headers)


class _BodyRefused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


# -- the upstream client, one per app ---------------------------------------------------------


class GatewayState:
    """What the app keeps between requests: its settings, its metrics, its state stores
    (idempotency keys, pacing) and one pooled client for all callers (per request,
    ``with_credentials`` gives a view with the caller's credentials)."""

    def __init__(self, settings: GatewaySettings, upstream: ASGIApp | None = None) -> None:
        self.settings = settings
        #: Where requests go: Plivo over the network (None), or an app in this process (the sandbox).
        self.upstream = upstream
        self.metrics = GatewayMetrics()
        self._client: AsyncClient | None = None
        self._sender: AsyncSender | None = None
        self._stores: GatewayStores | None = None

    def client(self) -> AsyncClient:
        # Created in the lifespan; lazily too, for hosts (like httpx.ASGITransport) that skip it.
        if self._client is None:
            import httpx

            from plivo_blocks.client import AsyncClient
            from plivo_blocks.client.in_process import InProcessSender
            from plivo_blocks.client.transport import KEEPALIVE_EXPIRY, new_async_sender
            from plivo_blocks.gateway.pacing import Pacer
            from plivo_blocks.gateway.state import CountedKeyStore, open_stores

            settings = self.settings
            limits = httpx.Limits(
                max_connections=settings.max_connections,
                max_keepalive_connections=settings.max_keepalive_connections,
                keepalive_expiry=KEEPALIVE_EXPIRY,
            )
            self._stores = stores = open_stores(settings)
            timeout = httpx.Timeout(settings.timeout)
            if self.upstream is not None:  # the sandbox in this process (serve --sandbox)
                self._sender = InProcessSender(self.upstream, timeout)
            else:
                self._sender = new_async_sender(timeout, limits)
            self._client = AsyncClient(
                base_url=settings.api_url,
                timeout=settings.timeout,
                max_retries=settings.max_retries,
                sender=self._sender,
                idempotency_store=CountedKeyStore(stores.keys, self.metrics),
                idempotency_wait=settings.idempotency_wait,
                idempotency_ttl=settings.idempotency_ttl,
                pacer=Pacer(settings, stores.pacing, self.metrics),
                on_attempt=self.metrics.attempt,
                # The access log line reports a success; failed attempts stay at INFO. One log
                # record fewer per request: ~15% of the gateway's CPU (README, Performance).
                success_log_level=logging.DEBUG,
            )
        return self._client

    async def aclose(self) -> None:
        # The client does not close a sender it was given: the sender is ours to close.
        sender, self._sender, self._client = self._sender, None, None
        stores, self._stores = self._stores, None
        if sender is not None:
            await sender.aclose()
        if stores is not None:
            await stores.aclose()


def _state(request: Request) -> GatewayState:
    state: GatewayState = request.app.state.gateway
    return state


# -- running a block --------------------------------------------------------------------------


def _credential_problems(auth_id: Any, auth_token: Any) -> list[Problem]:
    """Checks on the credentials that never echo their values."""
    problems: list[Problem] = []
    for name, value in (("authId", auth_id), ("authToken", auth_token)):
        if value is None or (isinstance(value, str) and not value.strip()):
            problems.append(Problem(name, "required", "is required"))
        elif not isinstance(value, str):
            problems.append(Problem(name, "type", "must be a string"))
        elif len(value) > _MAX_CREDENTIAL or not value.isprintable() or (name == "authId" and ":" in value):
            problems.append(Problem(name, "credentials", f"is not a valid Plivo {name}"))
    return problems


async def run_block(
    block: Block,
    body: bytes,
    client: AsyncClient,
    *,
    idempotency_key: str | None = None,
    facts: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One RapidAPI call: the raw request body in, the callback envelope out. Never raises.

    With ``idempotency_key`` the call sends at most one request to Plivo for that key. ``facts``
    receives ``replayed`` (the answer is a stored one) and ``retry_after`` (seconds) when they apply.
    """
    facts = facts if facts is not None else {}
    try:
        payload = _json.loads(body)
    except (ValueError, RecursionError):
        return envelope.error(ErrorCode.JSON_VALIDATION, "The request body is not valid JSON")
    if not isinstance(payload, dict):
        return envelope.error(
            ErrorCode.JSON_VALIDATION, 'The request body must be a JSON object: {"args": {...}}'
        )
    args = payload.get("args")
    if args is None:
        misplaced = [key for key in payload if key != "args"]
        if misplaced:
            return envelope.misplaced_args(misplaced)
        args = {}
    if not isinstance(args, dict):
        return envelope.error(ErrorCode.JSON_VALIDATION, '"args" must be a JSON object')

    if len(args) > _MAX_ARGS:
        # Refused before validation: explaining each of thousands of unknown names costs seconds.
        return envelope.error(
            ErrorCode.JSON_VALIDATION, f'"args" has {len(args)} keys; no block takes more than {_MAX_ARGS}'
        )
    args = dict(args)
    key = envelope.DEFAULT_CONTEXT_KEY
    problems: list[Problem] = []
    rename = args.pop(RENAME_ARG, None)
    if isinstance(rename, str) and 0 < len(rename) <= _MAX_CONTEXT_KEY:
        key = rename
    elif rename not in (None, ""):
        problems.append(
            Problem(RENAME_ARG, "type", f"must be a string of at most {_MAX_CONTEXT_KEY} characters")
        )
    auth_id, auth_token = args.pop("authId", None), args.pop("authToken", None)
    problems += _credential_problems(auth_id, auth_token)
    if problems:
        # Report the block's own problems in the same answer.
        try:
            block.validate(args)
        except ValidationError as exc:
            problems += exc.problems
        return envelope.validation_error(ValidationError(block.name, problems), key)

    # The client validates the block's arguments before sending anything (ValidationError below).
    try:
        outcome = await client.with_credentials(auth_id, auth_token).call_block_outcome(
            block.name, args, idempotency_key=idempotency_key
        )
        facts["replayed"] = outcome.replayed
        answer = outcome.unwrap()
    except ValidationError as exc:
        return envelope.validation_error(exc, key)
    except PacingLimitError as exc:
        facts["retry_after"] = exc.retry_after
        return envelope.rate_limited(exc, key)
    except IdempotencyError as exc:
        if isinstance(exc, IdempotencyKeyInUseError):
            facts["retry_after"] = exc.retry_after
        return envelope.idempotency_error(exc, key)
    except APIError as exc:
        return envelope.api_error(exc, key)
    except PlivoTimeoutError:
        return envelope.error(ErrorCode.API_ERROR, "Plivo did not answer within the gateway's timeout", key)
    except TransportError as exc:
        # The client's messages carry no credentials; the caller still gets a generic message.
        LOG.warning("upstream transport failure: %s", exc)
        return envelope.error(ErrorCode.API_ERROR, "Could not reach Plivo (connection failed)", key)
    return envelope.success(answer, key)


def _too_large(settings: GatewaySettings) -> _BodyRefused:
    return _BodyRefused(
        http_error(
            413,
            "PAYLOAD_TOO_LARGE",
            f"The request body is larger than {settings.max_body_bytes} bytes",
            {"Connection": "close"},
        )
    )


def _request_headers(scope: Scope) -> tuple[list[str], str | None]:
    """The ``Idempotency-Key`` values and the ``Content-Length``, in one pass over the raw headers."""
    keys: list[str] = []
    declared: str | None = None
    for name, value in scope["headers"]:
        if name == _IDEMPOTENCY_HEADER_RAW:
            keys.append(value.decode("latin-1"))
        elif name == b"content-length":
            declared = value.decode("latin-1")
    return keys, declared


async def _read_body(request: Request, settings: GatewaySettings, declared: str | None) -> bytes:
    """The body, refused with 413 as soon as it is known to be too big (``declared``, its
    Content-Length, first, then counting while streaming), and with 408 when the client is too
    slow to send it."""
    if declared is not None:
        if not declared.strip().isdigit():
            raise _BodyRefused(
                http_error(400, "BAD_REQUEST", "Invalid Content-Length", {"Connection": "close"})
            )
        if int(declared) > settings.max_body_bytes:
            raise _too_large(settings)
    chunks: list[bytes] = []
    size = 0
    try:
        # asyncio's deadline, not anyio's: a third of the cost per request, and the gateway is
        # served by uvicorn, on asyncio.
        async with asyncio.timeout(settings.body_timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > settings.max_body_bytes:
                    raise _too_large(settings)
                chunks.append(chunk)
    except TimeoutError:  # the body's deadline (the builtin; PlivoTimeoutError is the upstream one)
        raise _BodyRefused(
            http_error(
                408, "REQUEST_TIMEOUT", "The request body did not arrive in time", {"Connection": "close"}
            )
        ) from None
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def block_endpoint(request: Request) -> Response:
    name = request.path_params["block"]
    facts: dict[str, Any] = request.scope.setdefault(ACCESS_FACTS, {})
    try:
        block = get_block(name)
    except UnknownBlockError as unknown:
        facts["outcome"] = "UNKNOWN_BLOCK"
        shown = name if len(name) <= 80 else name[:77] + "..."
        message = f"No block named {shown!r}{unknown.hint()}; GET /api/{PACKAGE} lists them"
        return http_error(404, "UNKNOWN_BLOCK", message)
    facts["block"] = block.name
    if request.method != "POST":
        facts["outcome"] = "METHOD_NOT_ALLOWED"
        return http_error(405, "METHOD_NOT_ALLOWED", "Blocks are called with POST", {"Allow": "POST"})
    keys, declared = _request_headers(request.scope)
    try:
        idempotency_key = check_key(block.name, keys[0]) if len(keys) == 1 else None
    except ValidationError:
        idempotency_key = None
    if keys and idempotency_key is None:
        facts["outcome"] = ErrorCode.IDEMPOTENCY_KEY_INVALID.value
        return json_response(
            envelope.error(
                ErrorCode.IDEMPOTENCY_KEY_INVALID,
                "The Idempotency-Key header must appear once and hold 1 to 255 printable ASCII characters",
            )
        )
    state = _state(request)
    try:
        body = await _read_body(request, state.settings, declared)
    except _BodyRefused as refused:
        facts["outcome"] = "BODY_REFUSED"
        return refused.response
    except ClientDisconnect:
        facts["outcome"] = "CLIENT_DISCONNECTED"
        return Response(status_code=400)
    try:
        result = await run_block(block, body, state.client(), idempotency_key=idempotency_key, facts=facts)
        content = _dumps(result)
    except Exception:
        # Our bug: the traceback goes to our log, the caller gets a generic message.
        LOG.exception("internal error while running block %s", block.name)
        result = envelope.error(
            ErrorCode.INTERNAL_PACKAGE_ERROR, "Internal error in the gateway; it has been logged"
        )
        content = _dumps(result)
    facts["outcome"] = result["callback"] if result["callback"] == "success" else _error_code(result)
    return Response(content, headers=_answer_headers(facts), media_type="application/json")


def _answer_headers(facts: Mapping[str, Any]) -> dict[str, str] | None:
    headers: dict[str, str] = {}
    if facts.get("replayed"):
        headers[REPLAYED_HEADER] = "true"
    if "retry_after" in facts:
        headers["Retry-After"] = str(envelope.retry_after_seconds(facts["retry_after"]))
    return headers or None


def _error_code(result: dict[str, Any]) -> str:
    (detail,) = result["contextWrites"].values()
    return str(detail.get("status_code", "error"))


# -- the other routes -------------------------------------------------------------------------

_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_HEALTH = _dumps({"status": "ok"})


async def healthz(request: Request) -> Response:
    return Response(_HEALTH, media_type="application/json")


async def metrics_endpoint(request: Request) -> Response:
    return Response(_state(request).metrics.render(), media_type=METRICS_CONTENT_TYPE)


async def metadata_endpoint(request: Request) -> Response:
    return Response(_METADATA_BYTES(), media_type="application/json")


async def openapi_endpoint(request: Request) -> Response:
    return Response(_OPENAPI_BYTES(), media_type="application/json")


async def docs_endpoint(request: Request) -> Response:
    return HTMLResponse(render_docs(request.scope.get("root_path", "").rstrip("/") + "/"))


def _cached_bytes(build: Any) -> Any:
    cache: list[bytes] = []

    def get() -> bytes:
        if not cache:
            cache.append(_dumps(build()))
        return cache[0]

    return get


_METADATA_BYTES = _cached_bytes(build_metadata)
_OPENAPI_BYTES = _cached_bytes(build_openapi)


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    codes = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
    return http_error(exc.status_code, codes.get(exc.status_code, "HTTP_ERROR"), exc.detail, exc.headers)


async def _unhandled(request: Request, exc: Exception) -> Response:
    LOG.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return http_error(500, "INTERNAL_PACKAGE_ERROR", "Internal error in the gateway; it has been logged")


# -- proxy secret and access log --------------------------------------------------------------


class GatewayMiddleware:
    """Pure ASGI (cheap per request): refuses requests without the proxy secret when one is
    configured (``/healthz`` exempt), and writes one access-log line per request with the block,
    status, outcome and duration. It never looks at bodies or query strings, so no argument or
    credential can reach the log."""

    def __init__(
        self, app: ASGIApp, proxy_secret: str | None = None, metrics: GatewayMetrics | None = None
    ) -> None:
        self.app = app
        self.secret = proxy_secret.encode() if proxy_secret else None
        self.metrics = metrics

    def _authorised(self, scope: Scope) -> bool:
        if self.secret is None:
            return True
        for name, value in scope["headers"]:
            if name == PROXY_SECRET_HEADER:
                return hmac.compare_digest(value, self.secret)
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        path: str = scope["path"]
        is_health = path.endswith("/healthz") and path[: -len("/healthz")] in ("", scope.get("root_path", ""))
        quiet = is_health or path.endswith("/metrics")  # polled often: logged at DEBUG
        try:
            if is_health or self._authorised(scope):
                await self.app(scope, receive, send_and_note)
            else:
                scope.setdefault(ACCESS_FACTS, {})["outcome"] = "UNAUTHORISED"
                response = http_error(401, "UNAUTHORISED", "Missing or wrong X-RapidAPI-Proxy-Secret")
                await response(scope, receive, send_and_note)
        finally:
            facts = scope.get(ACCESS_FACTS, {})
            if self.metrics is not None and "outcome" in facts:
                self.metrics.request_answered(
                    facts.get("block", "-"), facts["outcome"], facts.get("replayed", False)
                )
            level = logging.DEBUG if quiet else logging.INFO
            if ACCESS_LOG.isEnabledFor(level):
                duration_ms = round((time.perf_counter() - started) * 1000, 2)
                shown_path = path if len(path) <= 120 else path[:117] + "..."
                ACCESS_LOG.log(
                    level,
                    "%s %s status=%s block=%s outcome=%s duration_ms=%.2f",
                    scope["method"],
                    shown_path,
                    status,
                    facts.get("block", "-"),
                    facts.get("outcome", "-"),
                    duration_ms,
                    extra={
                        "block": facts.get("block"),
                        "outcome": facts.get("outcome"),
                        "status": status,
                        "duration_ms": duration_ms,
                        "replayed": bool(facts.get("replayed")),
                    },
                )


# -- the app ----------------------------------------------------------------------------------


def create_app(settings: GatewaySettings | None = None, *, upstream: ASGIApp | None = None) -> Starlette:
    """The gateway. ``settings`` default to :meth:`GatewaySettings.from_env`; ``upstream``: Plivo's
    API as an app in this process (``serve --sandbox`` gives the sandbox, reached through
    :class:`plivo_blocks.client.in_process.InProcessSender`), instead of ``settings.api_url`` over
    the network."""
    settings = settings or GatewaySettings.from_env()
    state = GatewayState(settings, upstream)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.client()
        try:
            yield
        finally:
            await state.aclose()

    app = Starlette(
        routes=[
            Route(f"/api/{PACKAGE}", metadata_endpoint, methods=["GET"]),
            # Every method reaches the handler: an unknown block is a 404 whatever the method.
            Route(f"/api/{PACKAGE}/{{block}}", block_endpoint, methods=_ALL_METHODS),
            Route("/openapi.json", openapi_endpoint, methods=["GET"]),
            Route("/docs", docs_endpoint, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
        ],
        middleware=[Middleware(GatewayMiddleware, proxy_secret=settings.proxy_secret, metrics=state.metrics)],
        exception_handlers={HTTPException: _http_exception, Exception: _unhandled},
        lifespan=lifespan,
    )
    app.state.gateway = state
    return app
