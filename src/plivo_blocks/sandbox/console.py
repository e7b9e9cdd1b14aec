"""The console of ``plivo-blocks sandbox`` and ``serve --sandbox``: one readable line per event.

:class:`ConsolePrinter` listens to the sandbox's :class:`~plivo_blocks.sandbox.events.EventBus`
(``state.events.listen(ConsolePrinter(print))``) and writes each event as::

    12:00:03.120 api      POST /v1/Account/MA…/Message/ -> 202 (2.1 ms)
    12:00:03.124 message  message outbound 14155550100 -> 14155550101: queued
    12:00:03.131 webhook  message_status POST http://127.0.0.1:9000/status -> HTTP 200 (delivered, 1 try)

The time is sandbox time (``--clock manual`` stands still until advanced). Events never carry
credentials; URLs in them still lose their user info (``user:password@``) and query strings here,
in case a receiver's URL holds a secret of the user's own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from plivo_blocks.sandbox.events import SandboxEvent

__all__ = ["ConsolePrinter", "format_line", "scrub_urls"]

_URL = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?:[^/\s@]*@)?(?P<rest>[^\s?#]*)(?P<query>\?\S*)?")
KIND_WIDTH = 8


def scrub_urls(text: str) -> str:
    """``text`` with every URL's user info dropped and its query string shown as ``?…``."""

    def scrub(match: re.Match[str]) -> str:
        return match["scheme"] + match["rest"] + ("?…" if match["query"] else "")

    return _URL.sub(scrub, text)


def format_line(event: SandboxEvent) -> str:
    moment = datetime.fromtimestamp(event.at, UTC).strftime("%H:%M:%S.%f")[:-3]
    summary = scrub_urls(" ".join(event.summary.split()))
    return f"{moment} {event.kind:<{KIND_WIDTH}} {summary}"


class ConsolePrinter:
    """An event listener that writes :func:`format_line` of each event with ``write``."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write

    def __call__(self, event: SandboxEvent) -> None:
        self._write(format_line(event))
