"""The sandbox ASGI app.

``create_app(db_path="plivo-sandbox.db", *, auth_id=None, auth_token=None, settings=None)``
opens (or creates) the SQLite database, settles the main account's credentials (arguments, else
``PLIVO_AUTH_ID``/``PLIVO_AUTH_TOKEN``, else stored demo credentials, else new ones, stored) and
returns a Starlette app whose ``app.state.sandbox`` is the :class:`SandboxState`.

Extensions: after the state is built, each module in :data:`EXTENSIONS` that exists and defines
``install(state: SandboxState) -> None`` is called (in order). That is where the webhook outbox
replaces ``state.webhooks`` and the voice engine registers its startup/background/reset hooks.
Routes come from :func:`plivo_blocks.sandbox.routes.all_routes`.

Middleware (outermost first): path normalisation (``/v1/...`` gets its trailing slash and its
repeated slashes collapsed, ``/_sandbox/...`` loses it), then fault injection
(:mod:`plivo_blocks.sandbox.faults`).
The lifespan runs one task group for background work and closes the store at shutdown.

Embedding (e.g. ``serve --sandbox``): the app may be mounted under a prefix (``Mount("/sandbox",
app=sandbox_app)``); paths, links and faults work from the mount point. Starlette does not run a
mounted app's lifespan, so the host runs it from its own::

    async with sandbox_app.router.lifespan_context(sandbox_app):
        yield
"""

from __future__ import annotations

import importlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from plivo_blocks.sandbox.faults import FaultMiddleware
from plivo_blocks.sandbox.responses import PlivoError, http_exception_handler, plivo_error_handler
from plivo_blocks.sandbox.routes import all_routes
from plivo_blocks.sandbox.settings import SandboxSettings
from plivo_blocks.sandbox.state import SandboxState, resolve_main_credentials
from plivo_blocks.sandbox.store import Store

EXTENSIONS: tuple[str, ...] = (
    "plivo_blocks.sandbox.webhooks",
    "plivo_blocks.sandbox.voice",
    "plivo_blocks.sandbox.models.messages",
)


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


def _install_extensions(state: SandboxState) -> None:
    for name in EXTENSIONS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        install = getattr(module, "install", None)
        if callable(install):
            install(state)


def create_app(
    db_path: str = "plivo-sandbox.db",
    *,
    auth_id: str | None = None,
    auth_token: str | None = None,
    settings: SandboxSettings | None = None,
) -> Starlette:
    store = Store(db_path)
    main_id, main_token = resolve_main_credentials(store, auth_id, auth_token)
    state = SandboxState(store, settings or SandboxSettings(), main_id, main_token)
    _install_extensions(state)

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
        middleware=[Middleware(PathNormalizer), Middleware(FaultMiddleware, injector=state.faults)],
        exception_handlers=handlers,
        lifespan=lifespan,
    )
    app.state.sandbox = state
    return app
