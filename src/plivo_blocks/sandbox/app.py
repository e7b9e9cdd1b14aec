"""The sandbox ASGI app.

``create_app(db_path="plivo-sandbox.db", *, auth_id=None, auth_token=None, settings=None,
clock=None, webhook_transport=None, adopt_unknown_accounts=False)`` opens (or creates) the SQLite
database, settles the main account's credentials (:func:`plivo_blocks.sandbox.accounts.resolve_main_credentials`), builds the
:class:`~plivo_blocks.sandbox.state.SandboxState` and returns a Starlette app whose
``app.state.sandbox`` is that state. ``clock`` is a :class:`~plivo_blocks.sandbox.clock.ClockSpec`
(default ``real``); ``webhook_transport`` is the httpx transport callbacks go through (default: the
network), which is how ``mock_plivo`` hands them to an app in the same process;
``adopt_unknown_accounts`` makes unknown ``MA…`` credentials a new main account on first use (as ``mock_plivo`` does, see
:mod:`plivo_blocks.sandbox.accounts`).

Routes are the route modules' ``routes`` lists, named one by one below: Plivo's API (``/v1``), the
control API and the inspector (``/_sandbox``), and the landing page (``/``).

Middleware (outermost first): path normalisation (``/v1/...`` gets its trailing slash and its
repeated slashes collapsed, ``/_sandbox/...`` loses it), request events (one event per API request
and control change, :mod:`plivo_blocks.sandbox.activity`: the console's lines), then fault
injection (:mod:`plivo_blocks.sandbox.faults`).
The lifespan runs one task group for background work and closes the store at shutdown.

Embedding (e.g. ``serve --sandbox``): the app may be mounted under a prefix (``Mount("/sandbox",
app=sandbox_app)``); paths, links and faults work from the mount point. Starlette does not run a
mounted app's lifespan, so the host runs it from its own::

    async with sandbox_app.router.lifespan_context(sandbox_app):
        yield
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from plivo_blocks.sandbox import inspector, landing
from plivo_blocks.sandbox.accounts import resolve_main_credentials
from plivo_blocks.sandbox.activity import RequestEvents
from plivo_blocks.sandbox.clock import ClockSpec, SandboxClock
from plivo_blocks.sandbox.dispatch import IndexedRouter
from plivo_blocks.sandbox.faults import FaultMiddleware
from plivo_blocks.sandbox.responses import PlivoError, http_exception_handler, plivo_error_handler
from plivo_blocks.sandbox.routes import (
    account,
    applications,
    bins,
    calls,
    carriers,
    clock,
    conferences,
    control,
    endpoints,
    events,
    messages,
    numbers,
    phones,
    pricing,
    recordings,
    reference,
    resources,
    subaccounts,
    voice_control,
    voice_media,
    webhooks,
)
from plivo_blocks.sandbox.settings import SandboxSettings
from plivo_blocks.sandbox.state import SandboxState
from plivo_blocks.sandbox.store import Store


def all_routes() -> list[BaseRoute]:
    """Plivo's API (``/v1/...``), the control API and the inspector (``/_sandbox/...``), ``/``."""
    return [
        *account.routes,
        *subaccounts.routes,
        *applications.routes,
        *endpoints.routes,
        *carriers.routes,
        *numbers.routes,
        *pricing.routes,
        *messages.routes,
        *calls.routes,
        *conferences.routes,
        *recordings.routes,
        *control.routes,
        *clock.routes,
        *voice_control.routes,
        *webhooks.routes,
        *bins.routes,
        *resources.routes,
        *events.routes,
        *reference.routes,
        *inspector.routes,
        *landing.routes,
        *phones.routes,
        *voice_media.routes,
    ]


_REPEATED_SLASHES = re.compile(r"/{2,}")


class PathNormalizer:
    """Plivo's paths end with ``/``; clients sometimes omit it. Accept both without redirecting.

    Repeated slashes in ``/v1/`` paths count as one, as on Plivo: the official Node SDK asks for
    the account at ``/v1/Account/{auth_id}//`` (it appends its ``'/'`` action to a base URL that
    already ends the path), for ``accounts.get()`` and ``accounts.update()``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            root = scope.get("root_path", "")
            route_path = path[len(root) :] if root and path.startswith(root) else path
            if route_path.startswith("/v1/"):
                normal = path[: len(path) - len(route_path)] + _REPEATED_SLASHES.sub("/", route_path)
                if not normal.endswith("/"):
                    normal += "/"
                if normal != path:
                    scope = {**scope, "path": normal}
            elif route_path.startswith("/_sandbox/") and path.endswith("/"):
                scope = {**scope, "path": path.rstrip("/")}
        await self.app(scope, receive, send)


def create_app(
    db_path: str = "plivo-sandbox.db",
    *,
    auth_id: str | None = None,
    auth_token: str | None = None,
    settings: SandboxSettings | None = None,
    clock: ClockSpec | None = None,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
    adopt_unknown_accounts: bool = False,
) -> Starlette:
    sandbox_clock = SandboxClock(clock)
    store = Store(db_path, now=sandbox_clock.now)
    main = resolve_main_credentials(store, auth_id, auth_token)
    state = SandboxState(
        store,
        settings or SandboxSettings(),
        sandbox_clock,
        main,
        webhook_transport=webhook_transport,
        adopt_unknown_accounts=adopt_unknown_accounts,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with anyio.create_task_group() as task_group:
            await state.start(task_group)
            try:
                yield
            finally:
                await state.stop()
                task_group.cancel_scope.cancel()
        store.close()

    handlers: dict[Any, Any] = {PlivoError: plivo_error_handler, HTTPException: http_exception_handler}
    app = Starlette(
        routes=all_routes(),
        middleware=[
            Middleware(PathNormalizer),
            Middleware(RequestEvents, events=state.events),
            Middleware(FaultMiddleware, injector=state.faults),
        ],
        exception_handlers=handlers,
        lifespan=lifespan,
    )
    # Starlette's router, finding a route without trying the hundred others first.
    app.router = IndexedRouter(app.router.routes, lifespan=lifespan)
    app.state.sandbox = state
    return app
