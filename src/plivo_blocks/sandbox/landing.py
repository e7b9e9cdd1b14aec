"""``GET /``: the page a new user lands on: where the inspector, the docs and the APIs are, how to
point a client at the sandbox, and the control API at a glance (from its routes).

The sandbox alone serves it with its own links; ``serve --sandbox`` serves it with the gateway's
(``/docs``, ``/api/Plivo``, ``/openapi.json``) too. It shows the main auth id, never a token.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from plivo_blocks.sandbox.auth import sandbox_state
from plivo_blocks.sandbox.reference import ControlOperation, control_operations

__all__ = ["Link", "render_landing", "routes"]

Link = tuple[str, str, str]  # path below the root, label, what it is

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2327;background:#f6f7f7}
header{background:#323b44;color:#fff;padding:1em 2em}header h1{margin:0;font-size:1.4em}
header p{margin:.3em 0 0;opacity:.85}main{padding:1em 2em;max-width:64em}
a{color:#135e96}ul.links{list-style:none;padding:0}ul.links li{margin:.4em 0}
ul.links a{font-weight:600}code{font-family:ui-monospace,monospace;overflow-wrap:anywhere}
pre{background:#1d2327;color:#e2e4e7;padding:.6em;overflow:auto;white-space:pre-wrap}
table{border-collapse:collapse;width:100%;font-size:.92em;background:#fff}
td,th{border:1px solid #e2e4e7;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f0f0f1}td:nth-child(2){overflow-wrap:anywhere}
@media (max-width:40em){header,main{padding-left:1em;padding-right:1em}
thead{display:none}table,tbody,tr,td{display:block}tr{border-top:1px solid #ccc;padding:.3em 0}td{border:0}}
"""

SANDBOX_LINKS: tuple[Link, ...] = (
    ("_sandbox/ui/", "Inspector", "watch and drive the sandbox: messages, calls, webhooks, bins, settings"),
    ("_sandbox/openapi.json", "Control API (OpenAPI)", "the sandbox's own API, below"),
    ("_sandbox/health", "Health", "readiness check"),
)


def render_landing(
    base: str, auth_id: str, operations: Sequence[ControlOperation], links: Sequence[Link] = SANDBOX_LINKS
) -> str:
    """The page for a server whose root is ``base`` (ending in ``/``)."""
    items = "".join(
        f'<li><a href="{escape(base + path)}">{escape(label)}</a> <code>/{escape(path)}</code>: {escape(what)}</li>'
        for path, label, what in links
    )
    rows = "".join(
        f"<tr><td>{escape(op.method)}</td><td><code>{escape(op.path)}</code></td>"
        f"<td>{escape(op.summary)}{'' if op.auth else ' (no auth)'}</td></tr>"
        for op in operations
    )
    api_root = f"{base}v1/Account/{auth_id}/"
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>plivo-blocks sandbox</title><style>{_STYLE}</style></head><body>"
        "<header><h1>plivo-blocks sandbox</h1><p>A local, stateful Plivo: its REST API at "
        f"<code>{escape(api_root)}</code>, webhooks, calls, and a control API for tests.</p></header><main>"
        f"<ul class=links>{items}</ul>"
        "<h2>Point a client at it</h2><p>The main account is "
        f"<code>{escape(auth_id)}</code>; its token was printed when the sandbox started (or is "
        "<code>PLIVO_SANDBOX_AUTH_TOKEN</code>).</p>"
        "<pre>export PLIVO_API_URL=&lt;this server's URL&gt; PLIVO_AUTH_ID="
        f"{escape(auth_id)} PLIVO_AUTH_TOKEN=…</pre>"
        "<h2>Control API</h2><p>Under <code>/_sandbox</code>, with the main account's Basic auth "
        "(the inspector's session works too).</p>"
        f"<table><thead><tr><th>Method</th><th>Path</th><th>What</th></tr></thead><tbody>{rows}</tbody></table>"
        "</main></body></html>"
    )


async def landing(request: Request) -> Response:
    """The landing page: links to the inspector and the APIs, and the control API at a glance."""
    base = request.scope.get("root_path", "").rstrip("/") + "/"
    operations = control_operations(request.app.routes)
    return HTMLResponse(render_landing(base, sandbox_state(request).main_auth_id, operations))


routes: list[BaseRoute] = [Route("/", landing, methods=["GET"])]
