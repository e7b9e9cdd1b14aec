"""Your own web app, called in-process for its answer URLs and callbacks (``apps=``).

``mock_plivo(apps={"https://myapp.test": app})`` gives the sandbox's outbox (the one httpx client
every callback and answer-URL fetch goes through) a
:class:`~plivo_blocks.sandbox.webhooks.routing.RoutingTransport` that hands each request under that
base to ``app``, with the parameters and signature headers Plivo sends; other URLs go over the
network (an unreachable one is a failed delivery in the webhook log, as on Plivo). ``app`` is:

* an ASGI app (FastAPI, Starlette, Django's ASGI handler): called on the sandbox's event loop through
  :class:`httpx.ASGITransport`;
* a WSGI app (Flask, Django's WSGI handler): called through :class:`httpx.WSGITransport` in a worker
  thread (``anyio.to_thread``), because a WSGI app blocks and because its views may call Plivo
  themselves (send an SMS from a webhook), which the sandbox must be free to answer meanwhile;
* any :class:`httpx.AsyncBaseTransport`, used as it is.

**Failures stay in the test.** An exception inside the app becomes a 500 answer to the sandbox (as
a server would answer), and a :class:`AppFailure` kept in :class:`AppFailures`; the controls raise it
as :class:`PlivoAppError` at the next ``advance()``, ``settle()``, driver call or exit. Frameworks that
turn exceptions into 500 pages themselves (Flask, Django) log them with the traceback: an exception
logged while a view answered 5xx is caught from the log records of that worker thread.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
import httpx

from plivo_blocks.sandbox.webhooks.routing import RoutingTransport

__all__ = [
    "AppFailure",
    "AppFailures",
    "AsgiAppTransport",
    "PlivoAppError",
    "WsgiAppTransport",
    "app_transport",
    "routing_transport",
]

_FAILED = b"Internal Server Error (the app under test raised; mock_plivo reports it to the test)"


@dataclass(frozen=True)
class AppFailure:
    """An exception inside an app under test while the sandbox was calling it."""

    base: str
    method: str
    url: str
    error: BaseException | None
    detail: str = ""

    def describe(self) -> str:
        what = f"{type(self.error).__name__}: {self.error}" if self.error is not None else self.detail
        return f"{self.method} {self.url} -> {what}"


class PlivoAppError(Exception):
    """The app under test failed while the sandbox called it (the first failure is the cause)."""

    def __init__(self, failures: list[AppFailure]) -> None:
        first = failures[0]
        more = f" (and {len(failures) - 1} more: " + "; ".join(f.describe() for f in failures[1:]) + ")"
        super().__init__(
            f"the app at {first.base} failed while the sandbox called it: {first.describe()}"
            + (more if len(failures) > 1 else "")
        )
        self.failures = failures


@dataclass
class AppFailures:
    """Failures not yet reported to the test (appended from any thread)."""

    _items: list[AppFailure] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, failure: AppFailure) -> None:
        with self._lock:
            self._items.append(failure)

    def take(self) -> list[AppFailure]:
        with self._lock:
            items, self._items = self._items, []
        return items

    def raise_any(self) -> None:
        """Raise :class:`PlivoAppError` for the failures not reported yet (the first as its cause)."""
        failures = self.take()
        if failures:
            raise PlivoAppError(failures) from failures[0].error


def _server_error() -> httpx.Response:
    return httpx.Response(500, headers={"Content-Type": "text/plain"}, content=_FAILED)


class AsgiAppTransport(httpx.AsyncBaseTransport):
    """An ASGI app called in-process; its exceptions recorded (module docstring)."""

    def __init__(self, base: str, app: Any, failures: AppFailures) -> None:
        self._base = base
        self._inner = httpx.ASGITransport(app=app)
        self._failures = failures

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._inner.handle_async_request(request)
        except Exception as exc:
            self._failures.record(AppFailure(self._base, request.method, str(request.url), exc))
            return _server_error()


class _LoggedErrors(logging.Handler):
    """Log records with an exception, from one thread (the one running a WSGI view)."""

    def __init__(self, thread_id: int) -> None:
        super().__init__(logging.ERROR)
        self._thread_id = thread_id
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self._thread_id and record.exc_info:
            self.records.append(record)


class _ErrorStream:
    """``wsgi.errors``: what the app writes there, kept."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def writelines(self, lines: list[str]) -> None:
        self.parts.extend(lines)

    def flush(self) -> None:
        pass


class WsgiAppTransport(httpx.AsyncBaseTransport):
    """A WSGI app called in a worker thread; its exceptions recorded (module docstring)."""

    def __init__(self, base: str, app: Any, failures: AppFailures) -> None:
        self._base = base
        self._app = app
        self._failures = failures

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        return await anyio.to_thread.run_sync(self._call, request, body)

    def _call(self, request: httpx.Request, body: bytes) -> httpx.Response:
        errors = _ErrorStream()
        transport = httpx.WSGITransport(app=self._app, wsgi_errors=errors)  # type: ignore[arg-type]
        logged = _LoggedErrors(threading.get_ident())
        root = logging.getLogger()
        root.addHandler(logged)
        try:
            response = transport.handle_request(
                httpx.Request(request.method, request.url, headers=request.headers, content=body)
            )
            content = b"".join(response.iter_raw())
        except Exception as exc:
            self._failures.record(AppFailure(self._base, request.method, str(request.url), exc))
            return _server_error()
        finally:
            root.removeHandler(logged)
        if response.status_code >= 500 and (logged.records or errors.parts):
            self._failures.record(self._logged_failure(request, logged.records, "".join(errors.parts)))
        return httpx.Response(response.status_code, headers=response.headers, content=content)

    def _logged_failure(
        self, request: httpx.Request, records: list[logging.LogRecord], text: str
    ) -> AppFailure:
        error = next((r.exc_info[1] for r in records if r.exc_info and r.exc_info[1] is not None), None)
        detail = text.strip() or (records[0].getMessage() if records else "")
        return AppFailure(self._base, request.method, str(request.url), error, detail)


def _is_asgi(app: Any) -> bool:
    call = app if inspect.isfunction(app) or inspect.ismethod(app) else type(app).__call__
    return inspect.iscoroutinefunction(call)


def app_transport(base: str, app: Any, failures: AppFailures) -> httpx.AsyncBaseTransport:
    """The transport that calls ``app`` for requests under ``base`` (module docstring)."""
    if isinstance(app, httpx.AsyncBaseTransport):
        return app
    if not callable(app):
        raise TypeError(
            f"apps[{base!r}] must be a WSGI app, an ASGI app or an httpx.AsyncBaseTransport, "
            f"not {type(app).__name__}"
        )
    if _is_asgi(app):
        return AsgiAppTransport(base, app, failures)
    return WsgiAppTransport(base, app, failures)


def routing_transport(apps: Mapping[str, Any], failures: AppFailures) -> RoutingTransport:
    """The outbox's transport: ``apps`` by base URL, the network for everything else."""
    return RoutingTransport({base: app_transport(base, app, failures) for base, app in apps.items()})
