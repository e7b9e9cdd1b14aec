"""Serving on uvicorn: the gateway alone (optionally several worker processes), the sandbox alone,
or both composed into one app on one port (``plivo-blocks serve --sandbox``).

With a sandbox, the console shows one line per API request, webhook delivery and call event
(:mod:`plivo_blocks.sandbox.console`) unless ``quiet``; the server ends the sandbox's event streams
when it starts to shut down, so an open inspector never holds the shutdown up.

uvicorn is hardened for hostile clients (:mod:`plivo_blocks.http_guards`): an idle or trickling
connection must deliver its request head within ``header_timeout`` (uvicorn itself only times out
idle keep-alive connections), request heads are bounded in size; concurrency is capped (503 beyond
it), and keep-alive is short. Request bodies are bounded by the gateway itself (413, 408).
"""

from __future__ import annotations

import copy
import gc
import json
import logging
import os
import shlex
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.config import LOGGING_CONFIG

from plivo_blocks._env import NumberRule
from plivo_blocks.errors import ConfigurationError
from plivo_blocks.gateway import GatewaySettings, create_app
from plivo_blocks.http_guards import (
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_MAX_HEADER_BYTES,
    GuardedConfig,
    GuardedHttpToolsProtocol,
)

if TYPE_CHECKING:  # the sandbox is imported only by the commands that serve it
    from plivo_blocks.sandbox.accounts import MainCredentials
    from plivo_blocks.sandbox.clock import ClockSpec
    from plivo_blocks.sandbox.state import SandboxState

LOG = logging.getLogger("plivo_blocks.serving")

#: Paths the composed app hands to the sandbox; everything else goes to the gateway.
SANDBOX_PREFIXES = ("/v1", "/_sandbox")


#: The rule of each numeric field of :class:`ServerSettings`, by field name.
SERVER_NUMBERS: dict[str, NumberRule] = {
    "header_timeout": NumberRule("PLIVO_BLOCKS_HEADER_TIMEOUT", 0.01),
    "timeout_keep_alive": NumberRule("PLIVO_BLOCKS_KEEP_ALIVE", 1, integer=True),
    "limit_concurrency": NumberRule("PLIVO_BLOCKS_LIMIT_CONCURRENCY", 1, integer=True),
    "max_header_bytes": NumberRule("PLIVO_BLOCKS_MAX_HEADER_BYTES", 1024, integer=True),
    "backlog": NumberRule("PLIVO_BLOCKS_BACKLOG", 1, integer=True),
    "timeout_graceful_shutdown": NumberRule("PLIVO_BLOCKS_GRACEFUL_SHUTDOWN", 0, integer=True),
}
LOG_FORMATS = ("text", "json")


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """uvicorn's limits, from the environment:

    - ``PLIVO_BLOCKS_HEADER_TIMEOUT``: seconds a connection may take to send a request head (10).
    - ``PLIVO_BLOCKS_KEEP_ALIVE``: seconds an idle keep-alive connection stays open (5).
    - ``PLIVO_BLOCKS_LIMIT_CONCURRENCY``: connections/requests at once before 503s (1000;
      ``none`` for no limit).
    - ``PLIVO_BLOCKS_MAX_HEADER_BYTES``: largest request line plus headers (16 KiB).
    - ``PLIVO_BLOCKS_BACKLOG``: listen backlog (2048).
    - ``PLIVO_BLOCKS_GRACEFUL_SHUTDOWN``: seconds to finish in-flight requests on shutdown (10).
    - ``PLIVO_BLOCKS_LOG_FORMAT``: ``text`` (default) or ``json`` (one JSON object per line).
    """

    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    timeout_keep_alive: int = 5
    limit_concurrency: int | None = 1000
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES
    backlog: int = 2048
    timeout_graceful_shutdown: int = 10
    log_format: str = "text"

    def __post_init__(self) -> None:
        for name, rule in SERVER_NUMBERS.items():
            value = getattr(self, name)
            if value is not None or name != "limit_concurrency":
                rule.check(value)
        if self.log_format not in LOG_FORMATS:
            raise ConfigurationError(f"PLIVO_BLOCKS_LOG_FORMAT must be text or json, got {self.log_format!r}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServerSettings:
        source = os.environ if env is None else env
        defaults = cls()
        unlimited = source.get("PLIVO_BLOCKS_LIMIT_CONCURRENCY", "").strip().lower() in ("none", "off")
        numbers: dict[str, Any] = {
            name: None
            if unlimited and name == "limit_concurrency"
            else rule.read(source, getattr(defaults, name))
            for name, rule in SERVER_NUMBERS.items()
        }
        log_format = source.get("PLIVO_BLOCKS_LOG_FORMAT", "").strip().lower() or "text"
        return cls(**numbers, log_format=log_format)


# -- uvicorn, hardened ------------------------------------------------------------------------


def log_config(level: str = "info", log_format: str = "text") -> dict[str, Any]:
    """uvicorn's logging config plus our loggers (the gateway's access log among them); with
    ``log_format="json"`` every record is one JSON line (:mod:`plivo_blocks.logformat`)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    # Propagating too, so that handlers an embedding application put on the root logger see it.
    config["loggers"]["plivo_blocks"] = {"handlers": ["default"], "level": level.upper(), "propagate": True}
    if log_format == "json":
        for formatter in config["formatters"].values():
            formatter.clear()
            formatter["()"] = "plivo_blocks.logformat.JsonFormatter"
    return config


def uvicorn_config(
    app: ASGIApp | str,
    *,
    settings: ServerSettings | None = None,
    log_level: str = "info",
    workers: int = 1,
    factory: bool = False,
    configure_logging: bool = True,
) -> GuardedConfig:
    """uvicorn's config with our limits. ``configure_logging=False`` leaves the process's logging
    alone (for embedding, and for tests: uvicorn applies its config process-wide)."""
    settings = settings or ServerSettings.from_env()
    config = GuardedConfig(
        app,
        # httptools, with our guards (plivo_blocks.http_guards); the event loop is uvicorn's
        # "auto": uvloop where it is installed.
        http=GuardedHttpToolsProtocol,
        lifespan="on",
        workers=workers,
        factory=factory,
        log_config=log_config(log_level, settings.log_format) if configure_logging else None,
        log_level=log_level,
        # Our access log replaces uvicorn's, which would print query strings.
        access_log=False,
        server_header=False,
        timeout_keep_alive=settings.timeout_keep_alive,
        limit_concurrency=settings.limit_concurrency,
        backlog=settings.backlog,
        timeout_graceful_shutdown=settings.timeout_graceful_shutdown,
    )
    config.header_timeout = settings.header_timeout
    config.max_header_bytes = settings.max_header_bytes
    return config


class ClosingServer(uvicorn.Server):
    """uvicorn's server that runs ``on_shutdown`` callbacks as it begins to shut down: uvicorn waits
    for open responses to finish before the app's lifespan ends, so endless ones (the inspector's
    event streams) must be ended first."""

    def __init__(self, config: uvicorn.Config, on_shutdown: tuple[Callable[[], None], ...] = ()) -> None:
        super().__init__(config)
        self.on_shutdown = on_shutdown

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for callback in self.on_shutdown:
            callback()
        await super().shutdown(sockets)


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind before building the app, so that ``port=0`` works and the app can know its own URL."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio sets TCP_NODELAY only on sockets whose proto is IPPROTO_TCP, and
    # accepted sockets inherit it. With proto 0, Nagle holds the response body (written after the
    # head) until the client's delayed ACK: ~40 ms per request on a keep-alive connection.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def local_url(host: str, port: int) -> str:
    """A URL this machine can reach the server at (a wildcard address becomes loopback)."""
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


# -- the gateway alone ------------------------------------------------------------------------


def gateway_factory() -> Starlette:
    """The gateway as configured by the environment: uvicorn's factory in every worker process."""
    return create_app(GatewaySettings.from_env())


def serve_gateway(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    workers: int = 1,
    log_level: str = "info",
    settings: ServerSettings | None = None,
    announce: Callable[[str], None] = print,
) -> None:
    """Run the gateway until interrupted; with ``workers > 1``, in that many processes sharing the
    socket and the state store (idempotency keys, pacing), so that any worker can answer any
    request, and sharing a fresh prometheus_client multiprocess folder for ``/metrics``."""
    from plivo_blocks.gateway.state import prepare_state_dir

    gateway_settings = GatewaySettings.from_env()  # fail fast, before forking, on a bad setting
    settings = settings or ServerSettings.from_env()
    prepare_state_dir(gateway_settings)
    sock = bind_socket(host, port)
    url = local_url(host, sock.getsockname()[1])
    announce(f"plivo-blocks gateway on {url} -> {gateway_settings.api_url} ({workers} worker(s))")
    announce(
        f"  metadata {url}/api/Plivo   docs {url}/docs   OpenAPI {url}/openapi.json   metrics {url}/metrics"
    )
    announce(f"  idempotency keys and pacing: {_state_description(gateway_settings)}")
    if workers > 1:
        from uvicorn.supervisors import Multiprocess

        config = uvicorn_config(
            "plivo_blocks.serving:gateway_factory",
            settings=settings,
            log_level=log_level,
            workers=workers,
            factory=True,
        )
        with metrics_folder():
            Multiprocess(config, sockets=[sock]).run()
    else:
        config = uvicorn_config(create_app(gateway_settings), settings=settings, log_level=log_level)
        uvicorn.Server(config).run(sockets=[sock])


def _state_description(settings: GatewaySettings) -> str:
    from plivo_blocks.gateway.settings import redacted_url

    if settings.redis_url is not None:
        return f"Redis at {redacted_url(settings.redis_url)}"
    return f"SQLite in {settings.state_dir}" if settings.state_dir else "this process's memory"


@contextmanager
def metrics_folder() -> Iterator[None]:
    """A fresh ``PROMETHEUS_MULTIPROC_DIR`` for the worker processes, removed when they are done.
    One the operator set is used as it is (prometheus_client asks that it be emptied between runs)."""
    from plivo_blocks.gateway.metrics import MULTIPROC_ENV

    if os.environ.get(MULTIPROC_ENV):
        yield
        return
    folder = tempfile.mkdtemp(prefix="plivo-blocks-metrics-")
    os.environ[MULTIPROC_ENV] = folder
    try:
        yield
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(folder, ignore_errors=True)


# -- the sandbox, alone or composed with the gateway -------------------------------------------


class ComposedApp:
    """The gateway and the sandbox as one ASGI app: ``/v1/...`` and ``/_sandbox/...`` go to the
    sandbox (paths unchanged), ``page_paths`` to ``pages`` (pages that speak for both:
    :mod:`plivo_blocks.stack_pages`), the rest to the gateway. Both apps' lifespans run: startup
    enters the sandbox's then the gateway's (the gateway calls the sandbox), shutdown leaves them in
    reverse. A Starlette ``Mount`` would not do either."""

    def __init__(
        self,
        gateway: Starlette,
        sandbox: Starlette,
        pages: ASGIApp | None = None,
        page_paths: tuple[str, ...] = (),
    ) -> None:
        self.gateway = gateway
        self.sandbox = sandbox
        self.pages = pages
        self.page_paths = page_paths if pages is not None else ()

    def _target(self, path: str) -> ASGIApp:
        if path in self.page_paths and self.pages is not None:
            return self.pages
        for prefix in SANDBOX_PREFIXES:
            if path == prefix or path.startswith(prefix + "/"):
                return self.sandbox
        return self.gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
        else:
            await self._target(scope["path"])(scope, receive, send)

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup
        stack = AsyncExitStack()
        try:
            for app in (self.sandbox, self.gateway):
                state = await stack.enter_async_context(app.router.lifespan_context(app))
                if state:
                    scope.setdefault("state", {}).update(state)
        except Exception as exc:
            LOG.exception("startup failed")
            await stack.aclose()
            await send({"type": "lifespan.startup.failed", "message": f"{type(exc).__name__}: {exc}"})
            return
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        try:
            await stack.aclose()
        except Exception as exc:
            LOG.exception("shutdown failed")
            await send({"type": "lifespan.shutdown.failed", "message": f"{type(exc).__name__}: {exc}"})
            return
        await send({"type": "lifespan.shutdown.complete"})


@dataclass(frozen=True, slots=True)
class SandboxStack:
    """The composed app and what a user needs to call it."""

    app: ComposedApp
    url: str
    credentials: MainCredentials

    @property
    def auth_id(self) -> str:
        return self.credentials.auth_id

    @property
    def state(self) -> SandboxState:
        state: SandboxState = self.app.sandbox.state.sandbox
        return state

    @property
    def auth_token(self) -> str:
        return self.credentials.auth_token


def build_sandbox_stack(url: str, db_path: str, clock: ClockSpec | None = None) -> SandboxStack:
    """The sandbox at ``db_path`` and a gateway pointed at ``url`` (where the composed app will be
    served), with the sandbox's main account credentials. The gateway reaches the sandbox in this
    process (:class:`~plivo_blocks.client.in_process.InProcessSender`), not through a loopback
    HTTP round trip."""
    from plivo_blocks import stack_pages
    from plivo_blocks.sandbox import create_app as create_sandbox

    sandbox = create_sandbox(db_path, clock=clock)
    state = sandbox.state.sandbox
    settings = replace(GatewaySettings.from_env(), api_url=url)
    gateway = create_app(settings, upstream=sandbox)
    pages = stack_pages.StackPages(sandbox, state.accounts.main, settings.proxy_secret)
    composed = ComposedApp(gateway, sandbox, pages, stack_pages.PATHS)
    return SandboxStack(composed, url, state.accounts.main)


def attach_console(state: SandboxState, announce: Callable[[str], None], quiet: bool) -> None:
    """Unless ``quiet``, print one line per sandbox event (request, webhook, call, message)."""
    from plivo_blocks.sandbox.console import ConsolePrinter

    if not quiet:
        state.events.listen(ConsolePrinter(announce))


def shown_token(credentials: MainCredentials) -> str:
    """The token as a banner may print it: a token the user gave (environment) is never echoed."""
    return credentials.auth_token if credentials.printable else "$PLIVO_SANDBOX_AUTH_TOKEN"


def curl_example(url: str, credentials: MainCredentials) -> str:
    args = {"authId": credentials.auth_id, "authToken": shown_token(credentials)}
    body = json.dumps({"args": args}, separators=(",", ":"))
    quote = "'" if credentials.printable else '"'
    if not credentials.printable:
        body = body.replace('"', '\\"')
    return (
        f"curl -s -X POST {url}/api/Plivo/getAccountDetails -H 'Content-Type: application/json' "
        f"-d {quote}{body}{quote}"
    )


def _announce_credentials(announce: Callable[[str], None], credentials: MainCredentials, label: str) -> None:
    announce(f"  {label} auth id:    {credentials.auth_id}")
    if credentials.printable:
        announce(f"  {label} auth token: {credentials.auth_token}")
    else:
        announce(f"  {label} auth token: (from PLIVO_SANDBOX_AUTH_TOKEN, not shown)")


def client_env(url: str, credentials: MainCredentials) -> str:
    """The ``export`` line that points plivo-blocks' client and CLI at the server at ``url``. A token
    the user gave is not echoed: the line refers to its variable, for the shell to expand."""
    pairs = {"PLIVO_API_URL": shlex.quote(url), "PLIVO_AUTH_ID": shlex.quote(credentials.auth_id)}
    token = shlex.quote(credentials.auth_token) if credentials.printable else '"$PLIVO_SANDBOX_AUTH_TOKEN"'
    return "export " + " ".join(
        f"{name}={value}" for name, value in {**pairs, "PLIVO_AUTH_TOKEN": token}.items()
    )


#: The cyclic garbage collector's thresholds in a process that serves the sandbox. With Python's
#: (700, 10, 10), ``serve --sandbox`` under 200 clients ran a full collection three times a second,
#: 80-130 ms each, a quarter of its time and most of its p99, and freed nothing: the sandbox's
#: objects live long (state, timers, caches) and its requests' garbage goes by reference counting.
#: Collecting the young generation every 50,000 net allocations instead of 700 leaves the older
#: generations rarely touched (README, Performance: p99 -50%, req/s +40%, memory still levelling).
SANDBOX_GC_THRESHOLDS = (50_000, 20, 10)


def tune_collector() -> None:
    """Before serving the sandbox: what start-up built is moved out of the collector's sight
    (``gc.freeze``: it lives as long as the process), and collections come less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SANDBOX_GC_THRESHOLDS)


def serve_with_sandbox(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    db_path: str = "plivo-sandbox.db",
    clock: ClockSpec | None = None,
    log_level: str = "info",
    settings: ServerSettings | None = None,
    announce: Callable[[str], None] = print,
    quiet: bool = False,
) -> None:
    """Gateway and sandbox in one process on one port; prints the (local, demo) sandbox
    credentials and a curl example, then one line per sandbox event unless ``quiet``. Always a
    single worker: the sandbox's state and background workers live in this process."""
    from plivo_blocks.gateway.state import prepare_state_dir

    prepare_state_dir(GatewaySettings.from_env())  # a bad setting fails here, not in the lifespan
    sock = bind_socket(host, port)
    try:
        stack = build_sandbox_stack(local_url(host, sock.getsockname()[1]), db_path, clock)
    except BaseException:
        sock.close()
        raise
    clock_label = clock.label if clock else "real"
    announce(f"plivo-blocks gateway + sandbox on {stack.url} (database {db_path}, clock {clock_label})")
    _announce_credentials(announce, stack.credentials, "sandbox")
    announce("  client and CLI: " + client_env(stack.url, stack.credentials))
    announce(f"  inspector: {stack.url}/_sandbox/ui/   docs: {stack.url}/docs   home: {stack.url}/")
    announce("  try:")
    announce("  " + curl_example(stack.url, stack.credentials))
    attach_console(stack.state, announce, quiet)
    server = ClosingServer(
        uvicorn_config(stack.app, settings=settings, log_level=log_level), (stack.state.events.close,)
    )
    tune_collector()
    server.run(sockets=[sock])


def serve_sandbox(
    host: str = "127.0.0.1",
    port: int = 8100,
    *,
    db_path: str = "plivo-sandbox.db",
    clock: ClockSpec | None = None,
    log_level: str = "info",
    settings: ServerSettings | None = None,
    announce: Callable[[str], None] = print,
    quiet: bool = False,
) -> None:
    """The sandbox alone: a fake Plivo API at ``/v1`` (and its control API at ``/_sandbox``); prints
    one line per sandbox event unless ``quiet``."""
    from plivo_blocks.sandbox import create_app as create_sandbox

    sock = bind_socket(host, port)
    url = local_url(host, sock.getsockname()[1])
    try:
        sandbox = create_sandbox(db_path, clock=clock)
    except BaseException:
        sock.close()
        raise
    credentials = sandbox.state.sandbox.accounts.main
    clock_label = clock.label if clock else "real"
    announce(
        f"plivo-blocks sandbox (a local fake Plivo API) on {url} (database {db_path}, clock {clock_label})"
    )
    _announce_credentials(announce, credentials, "main")
    token = shown_token(credentials)
    quote = "'" if credentials.printable else '"'
    announce(
        f"  try: curl -s -u {quote}{credentials.auth_id}:{token}{quote} {url}/v1/Account/{credentials.auth_id}/"
    )
    announce(f"  point a client at it: PLIVO_API_URL={url}")
    announce(f"  inspector: {url}/_sandbox/ui/   home: {url}/")
    state: SandboxState = sandbox.state.sandbox
    attach_console(state, announce, quiet)
    server = ClosingServer(
        uvicorn_config(sandbox, settings=settings, log_level=log_level), (state.events.close,)
    )
    tune_collector()
    server.run(sockets=[sock])
