"""The inspector's pages: the application shell, the login form, logout.

Every path under ``/_sandbox/ui/`` but ``static/``, ``login`` and ``logout`` answers the same shell
(the page's script shows what the path names), once the request carries the main account's Basic
auth or an inspector session (:mod:`plivo_blocks.sandbox.sessions`); otherwise it is sent to the
login form. The shell holds no data: the page's script reads the control API, so the inspector
sees exactly what tests see. Pages forbid everything not served by the sandbox itself
(``Content-Security-Policy``), so nothing is fetched from elsewhere.
"""

from __future__ import annotations

import hmac
from html import escape
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from plivo_blocks.sandbox import sessions
from plivo_blocks.sandbox.auth import authenticate_main, sandbox_state
from plivo_blocks.sandbox.responses import PlivoError

__all__ = ["NAVIGATION", "login", "logout", "shell"]

CSP = (
    "default-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; "
    "style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}

#: The inspector's sections: (path below /_sandbox/ui/, label).
NAVIGATION = (
    ("messages", "Messages"),
    ("calls", "Calls"),
    ("conferences", "Conferences"),
    ("webhooks", "Webhooks"),
    ("bins", "Bins"),
    ("simulate", "Simulate"),
    ("account", "Account"),
    ("settings", "Settings"),
    ("activity", "Activity"),
)


def _root(request: Request) -> str:
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/") + "/"


def ui_base(request: Request) -> str:
    return _root(request) + "_sandbox/ui/"


def _page(request: Request, title: str, body: str, status: int = 200) -> HTMLResponse:
    static = ui_base(request) + "static/"
    html = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title>"
        f'<link rel=icon href="{static}favicon.svg"><link rel=stylesheet href="{static}inspector.css">'
        f"</head>{body}</html>"
    )
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


async def shell(request: Request) -> Response:
    """The inspector (any path below /_sandbox/ui/): the shell its script fills in."""
    try:
        account = await authenticate_main(request)
    except PlivoError:
        return RedirectResponse(ui_base(request) + "login", status_code=303)
    base = ui_base(request)
    links = "".join(
        f'<a href="{base}{path}" data-nav data-section="{path}">{escape(label)}</a>'
        for path, label in NAVIGATION
    )
    body = (
        f'<body data-base="{escape(base)}" data-root="{escape(_root(request))}" '
        f'data-auth-id="{escape(account.auth_id)}">'
        '<header class=top><div class=brand><a href="' + base + 'messages" data-nav>Sandbox inspector</a>'
        '<span id=live class=live title="Live updates">connecting</span></div>'
        "<div class=status><span id=clock class=clock></span>"
        f'<form method=post action="{base}logout" class=logout><button type=submit>Log out</button></form>'
        f"</div><nav>{links}</nav></header>"
        "<main id=view aria-live=polite><p class=muted>Loading…</p></main>"
        f'<script type=module src="{base}static/app.js"></script></body>'
    )
    return _page(request, "Sandbox inspector", body)


def _login_form(request: Request, error: str = "", status: int = 200, auth_id: str = "") -> HTMLResponse:
    base = ui_base(request)
    problem = f'<p class="error" role=alert>{escape(error)}</p>' if error else ""
    body = (
        "<body class=login><main class=login-box><h1>Sandbox inspector</h1>"
        "<p>Log in with the sandbox's <strong>main account</strong>: the auth id and token the "
        "sandbox printed when it started (or <code>PLIVO_SANDBOX_AUTH_ID</code> / "
        "<code>PLIVO_SANDBOX_AUTH_TOKEN</code>).</p>"
        f'{problem}<form method=post action="{base}login">'
        f'<label>Auth ID <input name=auth_id autocomplete=username required value="{escape(auth_id)}"></label>'
        "<label>Auth token <input name=auth_token type=password autocomplete=current-password required>"
        "</label><button type=submit>Log in</button></form></main></body>"
    )
    return _page(request, "Log in: sandbox inspector", body, status)


async def login(request: Request) -> Response:
    """GET: the login form. POST: check the main account's credentials, set the session cookie."""
    if request.method == "GET":
        return _login_form(request)
    if sessions.from_another_site(request.headers):
        return _login_form(request, "Log in from the inspector's own page.", 403)
    try:
        form = dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        return _login_form(request, "The form was not UTF-8.", 400)
    auth_id = form.get("auth_id", "").strip()
    token = form.get("auth_token", "")
    state = sandbox_state(request)
    main = state.accounts.main
    account = await state.accounts.get(auth_id) if auth_id else None
    expected = account.auth_token if account else "\0" * 40
    if account is None or not hmac.compare_digest(expected.encode(), token.encode()):
        return _login_form(request, "Those credentials are not the sandbox's.", 401, auth_id)
    if not account.is_main:
        message = "That is a subaccount: the inspector opens with the main account's credentials."
        return _login_form(request, message, 403, auth_id)
    response = RedirectResponse(ui_base(request) + "messages", status_code=303)
    response.set_cookie(
        sessions.COOKIE,
        sessions.issue(main),
        max_age=sessions.LIFETIME_SECONDS,
        path=_root(request) + "_sandbox",
        httponly=True,
        samesite="strict",
    )
    return response


async def logout(request: Request) -> Response:
    """End the browser's session (the cookie is dropped) and show the login form."""
    response = RedirectResponse(ui_base(request) + "login", status_code=303)
    response.delete_cookie(
        sessions.COOKIE, path=_root(request) + "_sandbox", httponly=True, samesite="strict"
    )
    return response
