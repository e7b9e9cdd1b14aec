"""The inspector, ``/_sandbox/ui/``: a live web page to watch and drive the sandbox (Mailpit's idea,
for Plivo).

The server side is this package: the pages (:mod:`.pages`: the shell, login and logout) and the
static files under ``static/`` (plain JavaScript modules and CSS, shipped in the wheel: no build
step, no CDN, works offline). Everything the page shows comes from the control API
(``/_sandbox/...``), which takes the inspector's session cookie as it takes Basic auth; live updates
come from ``GET /_sandbox/events`` (server-sent events).

==========================  =================================================================
Path                        What
==========================  =================================================================
/_sandbox/ui/...            the inspector (main account: session cookie or Basic auth)
/_sandbox/ui/login          GET the form; POST ``auth_id``, ``auth_token``: sets the session
/_sandbox/ui/logout         POST: drops the session
/_sandbox/ui/static/...     the page's scripts and styles (no auth: no data in them)
==========================  =================================================================
"""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from plivo_blocks.sandbox.inspector.pages import login, logout, shell

__all__ = ["STATIC", "routes"]

STATIC = Path(__file__).parent / "static"

routes: list[BaseRoute] = [
    Mount("/_sandbox/ui/static", app=StaticFiles(directory=STATIC), name="inspector_static"),
    Route("/_sandbox/ui/login", login, methods=["GET", "POST"]),
    Route("/_sandbox/ui/logout", logout, methods=["POST"]),
    Route("/_sandbox/ui", shell, methods=["GET"]),
    Route("/_sandbox/ui/{section:path}", shell, methods=["GET"]),
]
