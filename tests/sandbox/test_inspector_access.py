"""Who may open the inspector, and what it is made of: the main account only (login form with a
signed session cookie, or Basic auth), subaccounts refused, other sites' pages refused, no token in
any page or cookie; its scripts and styles served by the package, nothing fetched from elsewhere."""

from __future__ import annotations

import re
import time
from http.cookies import SimpleCookie
from pathlib import Path

import httpx
import plivo
from sandbox_server import Server

from plivo_blocks.sandbox import sessions
from plivo_blocks.sandbox.accounts import MainCredentials
from plivo_blocks.sandbox.inspector import STATIC

UI = "/_sandbox/ui"


def _login(sandbox: Server, auth_id: str, token: str) -> httpx.Response:
    return httpx.post(
        f"{sandbox.url}{UI}/login", data={"auth_id": auth_id, "auth_token": token}, follow_redirects=False
    )


def _session(sandbox: Server) -> str:
    answer = _login(sandbox, sandbox.state.main_auth_id, sandbox.state.main_auth_token)
    assert answer.status_code == 303 and answer.headers["location"] == f"{UI}/messages"
    cookie = SimpleCookie(answer.headers["set-cookie"])[sessions.COOKIE]
    assert cookie["httponly"] is True and cookie["samesite"] == "strict" and cookie["path"] == "/_sandbox"
    assert int(cookie["max-age"]) == sessions.LIFETIME_SECONDS
    return cookie.value


def test_without_credentials_the_inspector_sends_you_to_its_login_form(sandbox: Server) -> None:
    for path in (f"{UI}/", f"{UI}/calls/some-uuid"):
        answer = httpx.get(sandbox.url + path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == f"{UI}/login"
    form = httpx.get(f"{sandbox.url}{UI}/login")
    assert form.status_code == 200 and "name=auth_token type=password" in form.text
    assert "default-src 'self'" in form.headers["content-security-policy"]


def test_the_main_account_logs_in_and_its_session_opens_pages_and_the_control_api(sandbox: Server) -> None:
    state = sandbox.state
    session = _session(sandbox)
    assert state.main_auth_token not in session
    cookies = {sessions.COOKIE: session}
    page = httpx.get(f"{sandbox.url}{UI}/calls", cookies=cookies, follow_redirects=False)
    assert page.status_code == 200
    assert f'data-auth-id="{state.main_auth_id}"' in page.text and state.main_auth_token not in page.text
    assert httpx.get(f"{sandbox.url}/_sandbox/settings", cookies=cookies).status_code == 200
    changed = httpx.patch(f"{sandbox.url}/_sandbox/settings", json={"call_ring_seconds": 3}, cookies=cookies)
    assert changed.status_code == 200 and state.settings.call_ring_seconds == 3
    # The session is for the control API and the inspector, not for Plivo's API.
    assert httpx.get(f"{sandbox.url}/v1/Account/{state.main_auth_id}/", cookies=cookies).status_code == 401
    # Credentials sent along take precedence: wrong ones are refused whatever the cookie.
    wrong = httpx.get(f"{sandbox.url}/_sandbox/settings", cookies=cookies, auth=(state.main_auth_id, "nope"))
    assert wrong.status_code == 401
    logout = httpx.post(f"{sandbox.url}{UI}/logout", cookies=cookies, follow_redirects=False)
    dropped = SimpleCookie(logout.headers["set-cookie"])[sessions.COOKIE]
    assert logout.status_code == 303 and dropped.value == "" and dropped["max-age"] == "0"


def test_wrong_and_subaccount_credentials_do_not_open_it(sandbox: Server, main_sdk: plivo.RestClient) -> None:
    state = sandbox.state
    wrong = _login(sandbox, state.main_auth_id, "not-the-token")
    assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
    assert "not the sandbox" in wrong.text and "not-the-token" not in wrong.text
    sub = main_sdk.subaccounts.create("team", enabled=True)
    refused = _login(sandbox, sub.auth_id, sub.auth_token)
    assert refused.status_code == 403 and "subaccount" in refused.text and "set-cookie" not in refused.headers
    assert sub.auth_token not in refused.text
    by_basic = httpx.get(f"{sandbox.url}{UI}/", auth=(sub.auth_id, sub.auth_token), follow_redirects=False)
    assert by_basic.status_code == 303
    main_basic = httpx.get(f"{sandbox.url}{UI}/", auth=(state.main_auth_id, state.main_auth_token))
    assert main_basic.status_code == 200 and "app.js" in main_basic.text


def test_forged_expired_and_cross_site_sessions_are_refused(sandbox: Server) -> None:
    state = sandbox.state
    session = _session(sandbox)
    forged = session[:-1] + ("0" if session[-1] != "0" else "1")
    main = state.accounts.main
    expired = sessions.issue(main, now=time.time() - sessions.LIFETIME_SECONDS - 1)
    other_key = sessions.issue(MainCredentials(main.auth_id, "another-token", "generated"))
    for bad in (forged, expired, other_key, "123", ""):
        cookies = {sessions.COOKIE: bad}
        assert httpx.get(f"{sandbox.url}/_sandbox/settings", cookies=cookies).status_code == 401
        assert httpx.get(f"{sandbox.url}{UI}/", cookies=cookies, follow_redirects=False).status_code == 303
    cookies = {sessions.COOKIE: session}
    for site in ("cross-site", "same-site"):
        headers = {"Sec-Fetch-Site": site}
        refused = httpx.post(f"{sandbox.url}/_sandbox/reset", cookies=cookies, headers=headers)
        assert refused.status_code == 403 and "other sites" in refused.json()["error"]
        login = httpx.post(
            f"{sandbox.url}{UI}/login",
            data={"auth_id": state.main_auth_id, "auth_token": state.main_auth_token},
            headers=headers,
        )
        assert login.status_code == 403 and "set-cookie" not in login.headers
    same = httpx.get(
        f"{sandbox.url}/_sandbox/settings", cookies=cookies, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert same.status_code == 200


_IMPORT = re.compile(r"""from '(\.{1,2}/[^']+)'""")


def test_every_asset_is_served_by_the_package_and_nothing_comes_from_elsewhere(sandbox: Server) -> None:
    shell = httpx.get(f"{sandbox.url}{UI}/", auth=(sandbox.state.main_auth_id, sandbox.state.main_auth_token))
    assert "default-src 'self'" in shell.headers["content-security-policy"]
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", shell.text)
    referenced = set(re.findall(r"""(?:src|href)="(/_sandbox/ui/static/[^"]+)\"""", shell.text))
    assert {f"{UI}/static/app.js", f"{UI}/static/inspector.css", f"{UI}/static/favicon.svg"} == referenced
    # Every module the scripts import, transitively, is served.
    queue, seen = [f"{UI}/static/app.js"], set()
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        answer = httpx.get(sandbox.url + path)
        assert answer.status_code == 200, path
        assert "javascript" in answer.headers["content-type"], path
        folder = path.rsplit("/", 1)[0]
        for target in _IMPORT.findall(answer.text):
            queue.append(str(httpx.URL(f"http://x{folder}/").join(target).path))
    shipped = {f"{UI}/static/{p.relative_to(STATIC)}" for p in STATIC.rglob("*.js")}
    assert seen == shipped  # no script left unused, none missing
    assert httpx.get(f"{sandbox.url}{UI}/static/inspector.css").headers["content-type"].startswith("text/css")
    for asset in STATIC.rglob("*"):
        if asset.is_file():
            text = asset.read_text().replace('xmlns="http://www.w3.org/2000/svg"', "")  # a name, not a fetch
            assert not re.search(r"https?://", text), f"{asset.name} refers to another site"


README = Path(__file__).resolve().parents[2] / "README.md"
SCREENSHOT = README.parent / "docs" / "inspector.png"


def test_the_readme_shows_a_small_screenshot_of_the_inspector() -> None:
    assert "](docs/inspector.png)" in README.read_text()
    data = SCREENSHOT.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 150 * 1024
    width = int.from_bytes(data[16:20], "big")
    assert width == 1280  # taken at the desktop width the browser tests use
