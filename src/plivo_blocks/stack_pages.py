"""The pages of ``serve --sandbox`` (the gateway and the sandbox on one port) that speak for both:
``GET /`` (the landing page), ``GET /docs`` and ``GET /openapi.json``.

- ``/openapi.json`` is the gateway's document with the sandbox's control API merged in
  (:func:`plivo_blocks.sandbox.reference.control_openapi`: paths, tag, the ``sandboxBasic`` scheme).
- ``/docs`` is the gateway's page whose "Try it" forms start with the sandbox's credentials, plus a
  section per control API operation with a form of its own (Basic auth from two fields at the top
  of the section). A token that came from the environment (``PLIVO_SANDBOX_AUTH_TOKEN``) is never
  put in a page: the forms then start with the auth id only.
- ``/`` links the inspector, ``/docs``, the metadata and the control API.

The gateway's middleware (proxy secret, access log) wraps these pages as it wraps the gateway.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from plivo_blocks.gateway import GatewayMiddleware
from plivo_blocks.gateway.docs import render_docs
from plivo_blocks.gateway.metadata import PACKAGE
from plivo_blocks.gateway.openapi import build_openapi
from plivo_blocks.sandbox.accounts import MainCredentials
from plivo_blocks.sandbox.landing import SANDBOX_LINKS, Link, render_landing
from plivo_blocks.sandbox.reference import CONTROL_TAG, ControlOperation, control_openapi, control_operations

__all__ = ["PATHS", "StackPages", "composed_openapi", "control_docs_section"]

#: The paths these pages answer in the composed app.
PATHS = ("/", "/docs", "/openapi.json")

STACK_LINKS: tuple[Link, ...] = (
    SANDBOX_LINKS[0],
    ("docs", "Docs", "every block with its arguments, and the control API, each with a Try-it form"),
    (f"api/{PACKAGE}", "Metadata", "the RapidAPI package metadata: blocks and arguments"),
    ("openapi.json", "OpenAPI", "the gateway's blocks and the sandbox's control API"),
    *SANDBOX_LINKS[1:],
)

# Sends a control form's request with Basic auth from the section's two fields.
_CONTROL_SCRIPT = """
const controlBase = document.body.dataset.base;
for (const form of document.querySelectorAll('form[data-control]')) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const out = form.querySelector('pre');
    const path = form.querySelector('input[name=path]').value.replace(/^\\/+/, '');
    const area = form.querySelector('textarea');
    const headers = {};
    if (form.dataset.auth === 'yes') {
      const id = document.getElementById('control-auth-id').value;
      const token = document.getElementById('control-auth-token').value;
      headers.Authorization = 'Basic ' + btoa(id + ':' + token);
    }
    let body;
    if (area) {
      body = area.value;
      headers['Content-Type'] = form.dataset.body === 'xml' ? 'application/xml' : 'application/json';
    }
    out.textContent = '...';
    try {
      const r = await fetch(controlBase + path, {method: form.dataset.method, headers, body});
      const text = await r.text();
      let shown = text;
      try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (err) { /* not JSON: as is */ }
      out.textContent = 'HTTP ' + r.status + '\\n' + shown;
    } catch (err) { out.textContent = 'Request failed: ' + err.message; }
  });
}
"""


def _shown_token(credentials: MainCredentials) -> str:
    return credentials.auth_token if credentials.printable else ""


def _example(op: ControlOperation) -> str:
    if op.body == "xml":
        return str(op.example or "")
    if op.body == "json":
        return json.dumps(op.example if op.example is not None else {}, indent=2)
    return ""


def _operation_html(op: ControlOperation) -> str:
    search = f"sandbox control {op.method} {op.path} {op.summary}".lower()
    body = ""
    if op.body != "none":
        body = f'<textarea aria-label="body">{escape(_example(op))}</textarea>'
    auth = "yes" if op.auth else "no"
    return (
        f'<details data-name="{escape(op.method + " " + op.path)}" data-search="{escape(search)}">'
        f"<summary>{escape(op.method)} <code>{escape(op.path)}</code></summary>"
        f"<p>{escape(op.summary)}{'' if op.auth else ' No auth.'}</p>"
        f'<form data-control data-method="{escape(op.method)}" data-body="{escape(op.body)}" data-auth="{auth}">'
        f'<p>Try it: <input name=path aria-label=path value="{escape(op.path)}" size=48></p>{body}'
        "<p><button type=submit>Send</button></p><pre></pre></form></details>"
    )


def control_docs_section(operations: Sequence[ControlOperation], credentials: MainCredentials) -> str:
    """The ``/docs`` section of the sandbox's control API."""
    token_note = (
        ""
        if credentials.printable
        else " The token came from <code>PLIVO_SANDBOX_AUTH_TOKEN</code>: type it, it is never shown."
    )
    return (
        f'<section data-group="{escape(CONTROL_TAG)}"><h2>{escape(CONTROL_TAG)}</h2>'
        "<p>The sandbox's own API under <code>/_sandbox</code>: clock, settings, faults, simulated "
        f"inbound traffic, calls, bins, the webhook log. Main account Basic auth.{token_note}</p>"
        "<p><label>Auth ID <input id=control-auth-id autocomplete=off "
        f'value="{escape(credentials.auth_id)}"></label> <label>Auth token <input id=control-auth-token '
        f'type=password autocomplete=off value="{escape(_shown_token(credentials))}"></label></p>'
        + "".join(_operation_html(op) for op in operations)
        + "</section>"
    )


def composed_openapi(operations_source: Any) -> dict[str, Any]:
    """The gateway's OpenAPI document with the control API of ``operations_source`` (the sandbox
    app's routes) merged in; ``build_openapi()``'s cached document is left untouched."""
    gateway = build_openapi()
    control = control_openapi(operations_source)
    components = dict(gateway.get("components", {}))
    components["securitySchemes"] = {**components.get("securitySchemes", {}), **control["securitySchemes"]}
    info = dict(gateway["info"])
    info["title"] = "plivo-blocks gateway and sandbox"
    return {
        **gateway,
        "info": info,
        "tags": [*gateway.get("tags", []), *control["tags"]],
        "paths": {**gateway["paths"], **control["paths"]},
        "components": components,
    }


class StackPages:
    """The three pages, as an ASGI app (:data:`PATHS`), for a sandbox app and its credentials."""

    def __init__(self, sandbox: Starlette, credentials: MainCredentials, proxy_secret: str | None) -> None:
        self._sandbox = sandbox
        self._credentials = credentials
        self._operations = control_operations(sandbox.routes)
        app = Starlette(
            routes=[
                Route("/", self.landing, methods=["GET"]),
                Route("/docs", self.docs, methods=["GET"]),
                Route("/openapi.json", self.openapi, methods=["GET"]),
            ]
        )
        self.app: ASGIApp = GatewayMiddleware(app, proxy_secret=proxy_secret)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    @staticmethod
    def _base(request: Request) -> str:
        root: str = request.scope.get("root_path", "")
        return root.rstrip("/") + "/"

    async def landing(self, request: Request) -> Response:
        html = render_landing(self._base(request), self._credentials.auth_id, self._operations, STACK_LINKS)
        return HTMLResponse(html)

    async def docs(self, request: Request) -> Response:
        credentials = self._credentials
        note = (
            "The Try-it forms start with this sandbox's credentials."
            if credentials.printable
            else "The Try-it forms start with this sandbox's auth id; its token (from "
            "<code>PLIVO_SANDBOX_AUTH_TOKEN</code>) is never shown: type it."
        )
        page = render_docs(
            self._base(request),
            credentials=(credentials.auth_id, _shown_token(credentials)),
            appendix=control_docs_section(self._operations, credentials),
            appendix_script=_CONTROL_SCRIPT,
            note=note,
        )
        return HTMLResponse(page)

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(composed_openapi(self._sandbox.routes))
