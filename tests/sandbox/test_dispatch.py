"""The sandbox's indexed router picks, for every path and method, the route Starlette's router
would pick by trying the whole list: same route, same 405 for a wrong method, same 404."""

from __future__ import annotations

import re

import pytest
from starlette.routing import BaseRoute, Match, Mount, Route, Router

from plivo_blocks.sandbox import create_app
from plivo_blocks.sandbox.dispatch import IndexedRouter, group_of

_PARAM = re.compile(r"\{[^}]+\}")
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")


def _pick(routes: list[BaseRoute], path: str, method: str) -> tuple[BaseRoute | None, str]:
    """The route Starlette's router hands a request to, and how (full match or partial: 405)."""
    scope = {"type": "http", "path": path, "root_path": "", "method": method, "headers": []}
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return route, "full"
        if match == Match.PARTIAL and partial is None:
            partial = route
    return (partial, "partial") if partial is not None else (None, "none")


def _sample_paths(router: Router) -> list[str]:
    paths = set()
    for route in router.routes:
        template: str | None = getattr(route, "path", None)
        if template is None:
            continue
        for value in ("X1", "MAXXXXXXXXXXXXXXXXXX", "Message", "a/b"):
            path = _PARAM.sub(value, template)
            paths.update({path, path.rstrip("/"), path + "/", path + "/extra/"})
    paths.update(
        {
            "/",
            "/v1/",
            "/v1/Account/",
            "/v1/Account/MAX/",
            "/v1/Account/MAX/Nothing/",
            "/v1/Account/MAX/Message/u/Nope/",
            "/_sandbox/",
            "/_sandbox/nothing",
            "/_sandbox/ui/static/app.js",
            "/elsewhere/v1/Account/MAX/Message/",
        }
    )
    return sorted(paths)


@pytest.fixture(scope="module")
def router() -> IndexedRouter:
    app = create_app(":memory:", auth_id="MAXXXXXXXXXXXXXXXXXX", auth_token="t")
    assert isinstance(app.router, IndexedRouter)
    return app.router


def test_every_path_and_method_gets_the_route_the_whole_list_gives(router: IndexedRouter) -> None:
    checked = 0
    for path in _sample_paths(router):
        candidates = router.candidates(path).routes
        for method in METHODS:
            assert _pick(candidates, path, method) == _pick(router.routes, path, method), (method, path)
            checked += 1
    assert checked > 1000


def test_a_request_is_matched_against_its_group_only(router: IndexedRouter) -> None:
    send = router.candidates("/v1/Account/MAXXXXXXXXXXXXXXXXXX/Message/").routes
    assert 0 < len(send) < 10 < len(router.routes)
    assert all("/Message/" in getattr(r, "path", "") for r in send)
    assert group_of("/_sandbox/messages") == (1, "messages")
    assert group_of("/v1/Account/MAX/") == (0, "")
    assert group_of("/healthz") is None and router.candidates("/healthz") is router


async def _endpoint(request: object) -> None:  # never called: only matched
    raise AssertionError


def test_parameters_where_a_group_is_named_keep_their_routes_in_every_group() -> None:
    """Routes whose path has a parameter (a ``:path`` one spanning segments, too) at or before a
    group's position could match any group: they stay in each, in their place in the list."""
    routes: list[BaseRoute] = [
        Route("/v1/Account/{auth_id}/Message/", _endpoint, methods=["POST"]),
        Route("/v1/Account/{auth_id}/{resource}/", _endpoint, methods=["GET"]),
        Route("/v1/{rest:path}", _endpoint, methods=["DELETE"]),
        Route("/v1/{rest:path}/Media/", _endpoint, methods=["GET"]),
        Route("/_sandbox/{name}", _endpoint, methods=["PUT"]),
        Mount("/_sandbox/ui/static", routes=[Route("/{file:path}", _endpoint)]),
        Route("/_sandbox/ui/{page:path}", _endpoint, methods=["GET"]),
        Route("/v1/Account/{auth_id}", _endpoint, methods=["PATCH"]),
    ]
    indexed, whole = IndexedRouter(routes), Router(routes)
    paths = [
        "/v1/Account/MAX/Message/",
        "/v1/Account/MAX/Call/",
        "/v1/Account/MAX/",
        "/v1/Account/MAX",
        "/v1/Account/MAX/Message/deeper/",
        "/v1/Account/MAX/Call/u/Media/",
        "/_sandbox/ui/static/app.js",
        "/_sandbox/ui/x/y",
        "/_sandbox/ui",
        "/_sandbox/health",
    ]
    for path in paths:
        for method in METHODS:
            assert _pick(indexed.candidates(path).routes, path, method) == _pick(
                whole.routes, path, method
            ), (
                method,
                path,
            )
    assert (
        _pick(indexed.candidates("/v1/Account/MAX/Call/").routes, "/v1/Account/MAX/Call/", "DELETE")[1]
        == "full"
    )
