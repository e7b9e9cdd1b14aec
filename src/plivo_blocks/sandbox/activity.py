"""One event per request worth a line: every Plivo API request (``/v1/...``, kind ``api``) and every
change made through the control API (``POST``, ``PUT``, ``PATCH``, ``DELETE`` under ``/_sandbox``,
kind ``control``), published on the :class:`~plivo_blocks.sandbox.events.EventBus` once answered.

The line holds the method, the path without its query string, the status and the time taken. Reads
of the control API (the inspector's own traffic), its pages and the XML it serves to calls (a call's
fetch is a webhook event already) make no line. No header, query string or body is looked at, so
no credential can reach an event.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plivo_blocks.sandbox.events import EventBus

__all__ = ["RequestEvents", "request_kind"]

_CHANGES = ("POST", "PUT", "PATCH", "DELETE")
#: Control paths whose requests are not changes made by someone: served XML and the inspector.
_QUIET_PREFIXES = ("/_sandbox/xml", "/_sandbox/ui")


def request_kind(method: str, path: str) -> str | None:
    """``api``, ``control`` or ``None`` (no line) for a request to ``path`` (below the mount point)."""
    if path.startswith("/v1/"):
        return "api"
    if not path.startswith("/_sandbox/") or method not in _CHANGES or path.startswith(_QUIET_PREFIXES):
        return None
    if method == "POST" and path.startswith("/_sandbox/bins/"):
        return None  # a call fetching a bin
    return "control"


def _account_of(path: str) -> str | None:
    parts = path.split("/")  # "", "v1", "Account", "{auth_id}", ...
    return parts[3] if len(parts) > 3 and parts[2] == "Account" and parts[3] else None


class RequestEvents:
    def __init__(self, app: ASGIApp, events: EventBus) -> None:
        self.app = app
        self.events = events

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        root: str = scope.get("root_path", "")
        full_path: str = scope["path"]
        path = full_path[len(root) :] if root and full_path.startswith(root) else full_path
        method: str = scope["method"]
        kind = request_kind(method, path)
        if kind is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        published = False

        def publish() -> None:
            nonlocal published
            published = True
            took_ms = (time.perf_counter() - started) * 1000
            shown = path if len(path) <= 160 else path[:157] + "..."
            self.events.publish(
                "api" if kind == "api" else "control",
                f"{method} {shown} -> {status} ({took_ms:.1f} ms)",
                auth_id=_account_of(path) if kind == "api" else None,
                method=method,
                path=shown,
                status=status,
                duration_ms=round(took_ms, 2),
            )

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                publish()  # before the client has the whole answer, so the event is there when it does
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            if not published:
                publish()
