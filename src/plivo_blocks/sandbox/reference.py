"""The control API's reference, made from its routes (:class:`~plivo_blocks.sandbox.routing.ControlRoute`):
an OpenAPI 3.1 fragment (``GET /_sandbox/openapi.json``, and merged into the gateway's
``/openapi.json`` by ``serve --sandbox``) and the list the landing page and the ``/docs`` page show.

Each operation's summary is the first paragraph of its handler's docstring, its request body the
route's example (JSON, or the XML of a bin), its path parameters those of the route's path. Routes
that need the main account carry the ``sandboxBasic`` security scheme (HTTP Basic); the inspector's
session cookie is for browsers and is not documented as a scheme.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.routing import BaseRoute

from plivo_blocks.sandbox.routing import ControlRoute

__all__ = ["CONTROL_TAG", "ControlOperation", "control_openapi", "control_operations"]

CONTROL_TAG = "Sandbox control API"
SECURITY_SCHEME = "sandboxBasic"
_PARAM = re.compile(r"{([a-z_]+)}")


@dataclass(frozen=True)
class ControlOperation:
    method: str
    path: str
    summary: str
    auth: bool
    body: str  # json, xml or none
    example: Any
    name: str

    @property
    def parameters(self) -> list[str]:
        return _PARAM.findall(self.path)


def control_operations(routes: Iterable[BaseRoute]) -> list[ControlOperation]:
    """One operation per method of each control route, in route order."""
    return [
        ControlOperation(method, route.path, route.summary, route.auth, route.body, route.example, route.name)
        for route in routes
        if isinstance(route, ControlRoute)
        for method in route.verbs
    ]


def _operation(op: ControlOperation) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": f"sandbox_{op.name}_{op.method.lower()}",
        "summary": op.summary or f"{op.method} {op.path}",
        "tags": [CONTROL_TAG],
        "security": [{SECURITY_SCHEME: []}] if op.auth else [],
        "responses": {
            "default": {
                "description": "JSON (Plivo's shape: errors are {api_id, error} with a 4xx status)",
            }
        },
    }
    if op.parameters:
        operation["parameters"] = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in op.parameters
        ]
    if op.body == "xml":
        operation["requestBody"] = {
            "required": True,
            "content": {"application/xml": {"schema": {"type": "string"}, "example": op.example}},
        }
    elif op.body == "json":
        content: dict[str, Any] = {"schema": {"type": "object"}}
        if op.example is not None:
            content["example"] = op.example
        operation["requestBody"] = {"required": False, "content": {"application/json": content}}
    if not op.auth and op.path.startswith(("/_sandbox/xml", "/_sandbox/bins/")):
        operation["responses"] = {
            "200": {
                "description": "The Plivo XML",
                "content": {"application/xml": {"schema": {"type": "string"}}},
            }
        }
    return operation


def control_openapi(routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """``{"paths", "tags", "securitySchemes"}`` of the control API, to merge into an OpenAPI document."""
    paths: dict[str, Any] = {}
    for op in control_operations(routes):
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "paths": paths,
        "tags": [
            {
                "name": CONTROL_TAG,
                "description": "Drive the sandbox from tests: clock, settings, faults, simulated inbound "
                "traffic, calls, bins, the webhook log. The main account's Basic auth.",
            }
        ],
        "securitySchemes": {
            SECURITY_SCHEME: {
                "type": "http",
                "scheme": "basic",
                "description": "The sandbox's main account: auth id and auth token",
            }
        },
    }


def openapi_document(routes: Iterable[BaseRoute], version: str) -> dict[str, Any]:
    """A standalone OpenAPI document of the control API (``GET /_sandbox/openapi.json``)."""
    part = control_openapi(routes)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "plivo-blocks sandbox control API",
            "version": version,
            "description": "The sandbox's own API beside Plivo's (/v1): see the README's Sandbox section.",
        },
        "tags": part["tags"],
        "paths": part["paths"],
        "components": {"securitySchemes": part["securitySchemes"]},
    }
