"""All sandbox routes, module by module.

Each module in :data:`ROUTE_MODULES` defines a module-level ``routes: list[BaseRoute]`` (usually
built with :func:`plivo_blocks.sandbox.routing.api_route` / ``control_route``). A module that does
not exist yet is skipped, so modules written in parallel plug in when they land; an import error
*inside* an existing module is not hidden.
"""

from __future__ import annotations

import importlib

from starlette.routing import BaseRoute

ROUTE_MODULES: tuple[str, ...] = (
    "account",
    "subaccounts",
    "applications",
    "endpoints",
    "carriers",
    "numbers",
    "pricing",
    "messages",
    "calls",
    "conferences",
    "recordings",
    "control",
    "voice_control",
)


def all_routes() -> list[BaseRoute]:
    collected: list[BaseRoute] = []
    for short in ROUTE_MODULES:
        name = f"{__name__}.{short}"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        collected.extend(module.routes)
    return collected
