"""Injected faults, for testing clients' retries and timeouts.

The control API (``POST /_sandbox/faults``) queues faults; :class:`FaultMiddleware` applies them
to the next matching requests under ``/v1`` (never to ``/_sandbox``). A fault is one of:

- ``status``: answer with that HTTP status and Plivo's error body, without touching state;
- ``delay``: wait ``delay_seconds``, then handle the request normally (or, if ``status`` is also
  given, answer with that status);
- ``drop``: start a response and close the connection before any body, as a crashed server would.

Each fault applies to ``count`` requests (optionally only those whose method is in ``methods``
and whose path, after ``/v1/Account/{auth_id}/``, starts with ``path_prefix``). Faults are served
first in, first out.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import asdict, dataclass
from typing import Any, Literal

import anyio
from starlette._utils import get_route_path
from starlette.types import ASGIApp, Receive, Scope, Send

FaultKind = Literal["status", "delay", "drop"]
FAULT_KINDS: tuple[str, ...] = ("status", "delay", "drop")


@dataclass
class Fault:
    kind: FaultKind
    count: int = 1
    status: int | None = None
    delay_seconds: float = 0.0
    methods: tuple[str, ...] = ()
    path_prefix: str = ""
    error: str = "injected fault"

    def matches(self, method: str, resource_path: str) -> bool:
        if self.methods and method.upper() not in self.methods:
            return False
        return resource_path.startswith(self.path_prefix)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_fault(body: dict[str, Any]) -> Fault:
    """Build a fault from the control API's JSON; raises ``ValueError`` with the reason."""
    kind = body.get("kind")
    if kind not in FAULT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
    count = body.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 10_000:
        raise ValueError("count must be an integer from 1 to 10000")
    status = body.get("status")
    if kind == "status" and status is None:
        status = 500
    if status is not None and (not isinstance(status, int) or not 400 <= status <= 599):
        raise ValueError("status must be an HTTP error status (400-599)")
    delay = body.get("delay_seconds", 0)
    if not isinstance(delay, int | float) or isinstance(delay, bool) or not 0 <= delay <= 120:
        raise ValueError("delay_seconds must be a number from 0 to 120")
    if kind == "delay" and not delay:
        raise ValueError("a delay fault needs delay_seconds > 0")
    methods = body.get("methods") or ()
    if isinstance(methods, str):
        methods = (methods,)
    if not isinstance(methods, list | tuple) or not all(isinstance(m, str) for m in methods):
        raise ValueError("methods must be a list of HTTP methods")
    path_prefix = body.get("path_prefix", "")
    if not isinstance(path_prefix, str):
        raise ValueError("path_prefix must be a string")
    error = body.get("error", "injected fault")
    if not isinstance(error, str):
        raise ValueError("error must be a string")
    return Fault(
        kind=kind,
        count=count,
        status=status,
        delay_seconds=float(delay),
        methods=tuple(m.upper() for m in methods),
        path_prefix=path_prefix.lstrip("/"),
        error=error,
    )


class FaultInjector:
    """The queue of pending faults (thread-safe; shared by the middleware and the control API)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.as_dict() for f in self._faults]

    def take(self, method: str, resource_path: str) -> Fault | None:
        """Consume one use of the first fault matching this request."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, resource_path):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return fault
        return None


def _resource_path(route_path: str) -> str | None:
    """``Message/`` for ``/v1/Account/MA…/Message/``; ``None`` outside ``/v1``."""
    if not route_path.startswith("/v1/"):
        return None
    parts = route_path.split("/", 4)  # ['', 'v1', 'Account', '<auth_id>', rest]
    return parts[4] if len(parts) == 5 else ""


class FaultMiddleware:
    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        resource = _resource_path(get_route_path(scope))
        fault = self.injector.take(scope["method"], resource) if resource is not None else None
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.delay_seconds:
            await anyio.sleep(fault.delay_seconds)
        if fault.kind == "drop":
            # Headers promise a body that never comes; the server then closes the connection.
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
                }
            )
            await send({"type": "http.response.body", "body": b"", "more_body": True})
            return
        if fault.status is None:
            await self.app(scope, receive, send)
            return
        body = json.dumps({"api_id": str(uuid.uuid4()), "error": fault.error}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": fault.status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
