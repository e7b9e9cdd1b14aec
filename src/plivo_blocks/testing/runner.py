"""The in-process sandbox: the sandbox app on its own event loop, in a background thread.

``mock_plivo`` must serve requests made from anywhere in the test's process: synchronous code (the
official SDK over ``requests``, ``plivo_blocks.Client``), async code on the test's own event loop
(``AsyncClient``), and the app under test while the sandbox is calling it (a Flask view runs in a
worker thread; an async FastAPI view runs on the sandbox's loop). So the sandbox gets a loop of its
own, in a thread started with anyio's blocking portal (:func:`anyio.from_thread.start_blocking_portal`),
and its lifespan runs there (which starts its clock's driver). Each request reaches the app through
:class:`httpx.ASGITransport` on that loop:

* :meth:`SandboxThread.exchange`, from any other thread: hands the request to the portal and waits;
* :meth:`SandboxThread.aexchange`, from any event loop: awaits the portal's future without blocking
  that loop; on the sandbox's own loop (an async view of an app under test) it calls the app directly.

Bodies are read before they cross threads, and answers come back whole (status, raw headers, raw
body), so no stream is shared between two loops.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import AbstractContextManager
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import httpx
import sniffio
from anyio.from_thread import BlockingPortal, start_blocking_portal
from starlette.applications import Starlette

__all__ = ["Answer", "SandboxThread", "read_timeout"]

T = TypeVar("T")

#: What crosses back from the sandbox's loop: status, raw headers, raw body.
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


class SandboxThread:
    """``app`` served on its own event loop in a background thread, lifespan included."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self._asgi = httpx.ASGITransport(app=app)
        self._portal_cm: AbstractContextManager[BlockingPortal] | None = None
        self._portal: BlockingPortal | None = None
        self._lifespan: AbstractContextManager[Any] | None = None
        self._thread_id: int | None = None

    def __repr__(self) -> str:
        return f"SandboxThread(running={self._portal is not None})"

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        portal_cm = start_blocking_portal("asyncio")
        portal = portal_cm.__enter__()
        try:
            lifespan = portal.wrap_async_context_manager(self.app.router.lifespan_context(self.app))
            lifespan.__enter__()
        except BaseException as exc:
            portal_cm.__exit__(type(exc), exc, exc.__traceback__)
            raise
        self._portal_cm, self._portal, self._lifespan = portal_cm, portal, lifespan
        self._thread_id = portal.call(threading.get_ident)

    def stop(self) -> None:
        lifespan, portal_cm = self._lifespan, self._portal_cm
        self._lifespan = self._portal_cm = self._portal = None
        self._thread_id = None
        try:
            if lifespan is not None:
                lifespan.__exit__(None, None, None)
        finally:
            if portal_cm is not None:
                portal_cm.__exit__(None, None, None)

    @property
    def running(self) -> bool:
        return self._portal is not None

    @property
    def on_loop(self) -> bool:
        """Whether the caller runs on the sandbox's own event loop thread."""
        return self._thread_id is not None and threading.get_ident() == self._thread_id

    def _running_portal(self) -> BlockingPortal:
        if self._portal is None:
            raise RuntimeError("the in-process sandbox is not running (mock_plivo is not active)")
        return self._portal

    # -- running work on the sandbox's loop --------------------------------------------------------

    def call(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run ``fn(*args)`` on the sandbox's loop and wait for it (from another thread)."""
        if self.on_loop:
            raise RuntimeError(
                "a blocking call into the sandbox was made on the sandbox's own event loop (from an async "
                "view of an app under test?): use an async client there, or a sync view"
            )
        return self._running_portal().call(fn, *args)

    # -- requests ----------------------------------------------------------------------------------

    def exchange(self, request: httpx.Request, body: bytes, timeout: float | None) -> Answer:
        """Serve ``request`` (its body already read) from another thread; ``TimeoutError`` after
        ``timeout`` wall seconds."""
        if self.on_loop:
            raise RuntimeError(
                f"{request.method} {request.url}: a blocking Plivo request was made on the sandbox's own event "
                "loop (from an async view of an app under test?): use plivo_blocks.AsyncClient there, or a "
                "sync view (run in a worker thread)"
            )
        future: Future[Answer] = self._running_portal().start_task_soon(self._serve, request, body)
        try:
            return future.result(timeout)
        except FutureTimeout:
            future.cancel()
            raise TimeoutError(
                f"the sandbox did not answer {request.method} {request.url} in {timeout:g} s"
            ) from None

    async def aexchange(self, request: httpx.Request, body: bytes, timeout: float | None) -> Answer:
        """Serve ``request`` from any event loop, without blocking it."""
        if self.on_loop:
            with anyio.fail_after(timeout):
                return await self._serve(request, body)
        future: Future[Answer] = self._running_portal().start_task_soon(self._serve, request, body)
        with anyio.fail_after(timeout):
            return await _wait_for_future(future)

    async def _serve(self, request: httpx.Request, body: bytes) -> Answer:
        detached = httpx.Request(request.method, request.url, headers=request.headers, content=body)
        response = await self._asgi.handle_async_request(detached)
        try:
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
        finally:
            await response.aclose()
        return response.status_code, list(response.headers.raw), raw


async def _wait_for_future(future: Future[T]) -> T:
    # On asyncio the future is awaited in place; elsewhere (trio) a worker thread waits for it.
    if sniffio.current_async_library() == "asyncio":
        return await asyncio.wrap_future(future)
    return await anyio.to_thread.run_sync(future.result, abandon_on_cancel=True)


def read_timeout(timeout: object) -> float | None:
    """The read timeout in an httpx request's ``timeout`` extension or a ``requests`` timeout
    (a number or a ``(connect, read)`` pair); ``None``: wait as long as it takes."""
    if isinstance(timeout, dict):
        timeout = timeout.get("read")
    if isinstance(timeout, tuple):
        timeout = timeout[1] if len(timeout) > 1 else timeout[0]
    if isinstance(timeout, int | float) and not isinstance(timeout, bool):
        return float(timeout)
    return None
