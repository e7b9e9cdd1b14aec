"""Finding a request's route without trying every route.

Starlette's :class:`~starlette.routing.Router` tries its routes one after the other, a regular
expression each. The sandbox has over a hundred, so ``POST Message/`` (the 33rd) spent ~60 µs
just being routed, and a control path at the end of the list twice that. :class:`IndexedRouter`
is Starlette's router with the routes grouped by the path's first variable part: the resource
after ``/v1/Account/{auth_id}/`` (``Message``, ``Call``, ``""`` for the account itself) or the
name after ``/_sandbox/``. A request is handed to a plain Starlette router holding only the
routes that could match its group, in their original order, so matching, ``405`` for a wrong
method, the trailing-slash redirect and ``404`` behave exactly as with the whole list; paths
outside both groups (``/``, odd shapes) go through the whole list.

A route leaves a group only when one of its path's literal segments rules the group out (a
parameter, or a ``{…:path}`` parameter, may match anything, so such a route stays in every group
it could reach).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Router
from starlette.types import Receive, Scope, Send

__all__ = ["IndexedRouter", "group_of"]

#: Groups: the literal segments a path must start with, and the index of the segment that names
#: its group (in ``path.split("/")``, where index 0 is the empty string before the first ``/``).
_GROUPS: tuple[tuple[tuple[tuple[int, str], ...], int], ...] = (
    (((1, "v1"), (2, "Account")), 4),  # /v1/Account/{auth_id}/<group>/...
    (((1, "_sandbox"),), 2),  # /_sandbox/<group>/...
)


def group_of(path: str) -> tuple[int, str] | None:
    """The group of a request path: which kind (index into the groups) and its name."""
    segments = path.split("/")
    for kind, (literals, at) in enumerate(_GROUPS):
        if len(segments) > at and all(segments[i] == text for i, text in literals):
            return kind, segments[at]
    return None


def _could_match(route: BaseRoute, kind: int, name: str) -> bool:
    path: str | None = getattr(route, "path", None)
    if path is None:
        return True  # a route without a path (unusual): it stays everywhere
    literals, at = _GROUPS[kind]
    segments = path.split("/")
    for index, text in (*literals, (at, name)):
        if index >= len(segments):
            return True  # shorter than the group's position: conservatively kept
        segment = segments[index]
        if "{" in segment:
            return True  # a parameter (possibly spanning segments) may match anything from here
        if segment != text:
            return False
    return True


class IndexedRouter(Router):
    """Starlette's router with its routes grouped (module docstring). Built from the same
    arguments; ``routes`` is the whole list, as usual (links and the reference read it)."""

    def __init__(self, routes: Sequence[BaseRoute], **options: Any) -> None:
        super().__init__(list(routes), **options)
        self._groups: dict[tuple[int, str], Router] = {}
        for route in self.routes:
            for kind, name in self._names(route):
                self._groups.setdefault((kind, name), Router([]))
        for key, group in self._groups.items():
            group.routes = [route for route in self.routes if _could_match(route, *key)]
        # Groups of names no route spells out (a parameter matches them): the routes that could.
        self._others = {
            kind: Router([r for r in self.routes if _could_match(r, kind, "\0")]) for kind in (0, 1)
        }

    @staticmethod
    def _names(route: BaseRoute) -> list[tuple[int, str]]:
        path: str | None = getattr(route, "path", None)
        if path is None:
            return []
        found = group_of(path)
        return [found] if found is not None and "{" not in found[1] else []

    def candidates(self, path: str) -> Router:
        """The router that handles ``path`` (a route path, below any mount point)."""
        key = group_of(path)
        if key is None:
            return self
        return self._groups.get(key) or self._others[key[0]]

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            router = self.candidates(get_route_path(scope))
            if router is not self:
                scope.setdefault("router", self)  # links are built from the whole list
                await router.app(scope, receive, send)
                return
        await super().app(scope, receive, send)
