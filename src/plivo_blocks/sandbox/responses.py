"""Plivo-shaped answers and request parameters.

- Every body carries ``api_id`` (a fresh UUID) first.
- Status codes: 200 read (:func:`ok`), 201 create (:func:`created`), 202 change or action
  (:func:`accepted`, :func:`changed`), 204 delete with no body (:func:`no_content`).
- Errors: raise :class:`PlivoError` (``status``, ``error``) anywhere in a handler; it becomes
  ``{"api_id", "error"}`` with that status. Unknown paths answer 404 and wrong methods 405, as JSON.
  Paths of Plivo APIs the sandbox does not simulate answer 404 saying so
  (:mod:`plivo_blocks.sandbox.not_simulated`).
- Lists: :func:`list_response` gives ``{"api_id", "meta": {"limit", "next", "offset", "previous",
  "total_count"}, "objects": [...]}`` with ``next``/``previous`` as
  ``/v1/Account/{id}/X/?limit=..&offset=..`` (other query parameters follow, so the links keep filters).
- Parameters (:func:`read_params`): query string, then the body (JSON object or form) on top; values
  become strings (``true``/``false`` for booleans, lists joined with ``,``); ``None`` means absent.
  A JSON body of ``""`` or ``null`` counts as no body (the Node SDK sends ``""``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from plivo_blocks.sandbox.not_simulated import not_simulated

MAX_LIMIT = 20

HTTP_ERRORS = {
    400: "bad request",
    401: "authentication failed",
    403: "forbidden",
    404: "not found",
    405: "method not allowed",
    409: "conflict",
    500: "internal server error",
}


class PlivoError(Exception):
    """An error answer: ``{"api_id": ..., "error": error}`` with ``status``."""

    def __init__(self, status: int, error: str | dict[str, Any], headers: Mapping[str, str] | None = None):
        super().__init__(status, error)
        self.status = status
        self.error = error
        self.headers = dict(headers or {})


def bad_request(error: str) -> PlivoError:
    return PlivoError(400, error)


def not_found(error: str = "not found") -> PlivoError:
    return PlivoError(404, error)


def new_api_id() -> str:
    return str(uuid.uuid4())


def render(
    body: Mapping[str, Any], status: int = 200, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"api_id": new_api_id(), **body}, status_code=status, headers=dict(headers or {}))


def ok(body: Mapping[str, Any]) -> JSONResponse:
    return render(body, 200)


def created(body: Mapping[str, Any]) -> JSONResponse:
    return render(body, 201)


def accepted(body: Mapping[str, Any]) -> JSONResponse:
    return render(body, 202)


def changed() -> JSONResponse:
    return accepted({"message": "changed"})


def no_content() -> Response:
    return Response(status_code=204)


def error_response(
    status: int, error: str | dict[str, Any], headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return render({"error": error}, status, headers)


def page_link(base_path: str, limit: int, offset: int, extra: Mapping[str, str] | None = None) -> str:
    query = {"limit": str(limit), "offset": str(offset)}
    query.update({k: v for k, v in (extra or {}).items() if k not in ("limit", "offset")})
    return f"{base_path}?{urlencode(query)}"


def page_meta(
    base_path: str, limit: int, offset: int, total: int, extra: Mapping[str, str] | None = None
) -> dict[str, Any]:
    return {
        "limit": limit,
        "next": page_link(base_path, limit, offset + limit, extra) if offset + limit < total else None,
        "offset": offset,
        "previous": page_link(base_path, limit, max(offset - limit, 0), extra) if offset > 0 else None,
        "total_count": total,
    }


def list_response(
    base_path: str,
    objects: Sequence[Mapping[str, Any]],
    total: int,
    limit: int,
    offset: int,
    extra: Mapping[str, str] | None = None,
) -> JSONResponse:
    return ok({"meta": page_meta(base_path, limit, offset, total, extra), "objects": list(objects)})


def parse_page(params: Mapping[str, str], default_limit: int = MAX_LIMIT) -> tuple[int, int]:
    """``limit`` (1..20, default 20) and ``offset`` (>= 0, default 0), or 400."""
    limit = _integer(params, "limit", default_limit)
    offset = _integer(params, "offset", 0)
    if not 1 <= limit <= MAX_LIMIT:
        raise bad_request(f"limit must be between 1 and {MAX_LIMIT}")
    if offset < 0:
        raise bad_request("offset must be 0 or more")
    return limit, offset


def _integer(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise bad_request(f"{name} must be an integer") from None


def flatten_value(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return ",".join(s for s in (flatten_value(v) for v in value) if s is not None)
    return json.dumps(value)


async def read_params(request: Request) -> dict[str, str]:
    params: dict[str, str] = {k: v for k, v in request.query_params.items()}
    body = await request.body()
    if not body.strip():
        return params
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise bad_request("the form body is not valid UTF-8") from None
        params.update(dict(pairs))
        return params
    if content_type == "multipart/form-data":
        raise bad_request("multipart bodies are not supported by the sandbox; send JSON or a form")
    try:
        data = json.loads(body)
    except ValueError:
        raise bad_request("the request body is not valid JSON") from None
    if data is None or data == "":
        # What axios makes of "no parameters": the official Node SDK sends the JSON text ``""`` as
        # the body of parameterless requests (GET Message/{id}/, GET Subaccount/, DELETE
        # Number/{n}/, ...), and Plivo answers them; ``null`` is the same thing from other clients.
        return params
    if not isinstance(data, dict):
        raise bad_request("the request body must be a JSON object")
    for key, value in data.items():
        flat = flatten_value(value)
        if flat is not None:
            params[str(key)] = flat
    return params


# -- exception handlers installed by create_app --------------------------------------------


async def plivo_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PlivoError)
    return error_response(exc.status, exc.error, exc.headers)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    unsimulated = not_simulated(_route_path(request)) if exc.status_code in (404, 405) else None
    if unsimulated is not None:
        # An API of Plivo's the sandbox leaves out: say so, rather than a bare "not found".
        message = (
            f"the plivo-blocks sandbox does not simulate {unsimulated} ({request.method} {request.url.path})"
        )
        return error_response(404, message)
    if exc.status_code == 404:
        message = f"{request.url.path} not found"
    elif exc.status_code == 405:
        message = f"method {request.method} not allowed for {request.url.path}"
    else:
        message = exc.detail if isinstance(exc.detail, str) else HTTP_ERRORS.get(exc.status_code, "error")
    headers = dict(exc.headers or {})
    return error_response(exc.status_code, message, headers)


def _route_path(request: Request) -> str:
    """The request's path below the app's mount point (``serve --sandbox`` mounts the sandbox)."""
    path: str = request.scope["path"]
    root: str = request.scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
