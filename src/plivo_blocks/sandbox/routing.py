"""Declaring sandbox endpoints: one line per route, one ``async def handler(ctx) -> Response``.

::

    from plivo_blocks.sandbox.routing import ApiContext, api_route

    async def get_call(ctx: ApiContext) -> Response:
        record = await ctx.get_document(CallRecord, ctx.path["call_uuid"], "call")
        ...

    routes = [api_route("GET", "Call/{call_uuid}/", get_call)]

``api_route(method, path, handler)`` serves ``/v1/Account/{auth_id}/<path>`` (paths end with ``/``;
a request without the trailing slash is accepted too). Before the handler runs, the request is
authenticated (:func:`plivo_blocks.sandbox.auth.authenticate`), counted toward Plivo's request
limit (:mod:`plivo_blocks.sandbox.limits`; 429 beyond it) and its parameters read
(:func:`plivo_blocks.sandbox.responses.read_params`). ``control_route(method, path, handler)``
serves ``/_sandbox/<path>`` for the main account only (Basic auth, or the inspector's session);
``ctx.body`` then holds the JSON body as is (or the text, for ``body="xml"``).
``open_route(methods, path, endpoint)`` is a control path that needs no credentials (health, XML).

Control routes are :class:`ControlRoute` objects: they carry what the control API's reference
(:mod:`plivo_blocks.sandbox.reference`, ``/openapi.json`` and ``/docs``) shows about them, the
summary being the first paragraph of the handler's docstring and ``example`` its example body.

Handlers raise :class:`~plivo_blocks.sandbox.responses.PlivoError` for error answers.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from plivo_blocks.sandbox.accounts import Account
from plivo_blocks.sandbox.auth import authenticate, authenticate_main, sandbox_state
from plivo_blocks.sandbox.limits import counts_toward_limit
from plivo_blocks.sandbox.models.base import D, fetch, load, load_page
from plivo_blocks.sandbox.responses import (
    PlivoError,
    bad_request,
    list_response,
    parse_page,
    read_params,
)
from plivo_blocks.sandbox.state import SandboxState
from plivo_blocks.sandbox.store import Filters, Store, Tx

T = TypeVar("T")
#: Shows a document as Plivo does; gets the transaction to resolve links (application URIs, …).
Renderer = Callable[[Tx, T], dict[str, Any]]

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass
class ApiContext:
    request: Request
    state: SandboxState
    account: Account  # the account the request acts for (the path's auth_id)
    params: dict[str, str]
    path: dict[str, str]
    body: Any = field(default=None)  # control API only: the parsed JSON body

    @property
    def store(self) -> Store:
        return self.state.store

    # -- parameters ------------------------------------------------------------------------

    def param(self, name: str, default: str | None = None) -> str | None:
        value = self.params.get(name)
        return default if value is None else value

    def text(self, name: str) -> str | None:
        """The parameter stripped, ``None`` when absent or blank."""
        value = self.params.get(name)
        if value is None or not value.strip():
            return None
        return value.strip()

    def require(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise bad_request(f"{name} is required")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.text(name)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise bad_request(f"{name} must be true or false")

    def choice(self, name: str, options: tuple[str, ...], default: str | None = None) -> str | None:
        value = self.text(name)
        if value is None:
            return default
        if value not in options:
            raise bad_request(f"{name} must be one of {', '.join(options)}")
        return value

    def method(self, name: str, default: str = "POST") -> str:
        value = self.choice(name, ("GET", "POST", "get", "post"), default)
        return (value or default).upper()

    def page(self) -> tuple[int, int]:
        return parse_page(self.params)

    # -- links and ownership ---------------------------------------------------------------

    def uri(self, path: str = "", auth_id: str | None = None) -> str:
        """``/v1/Account/{auth_id}/{path}`` for this account (or ``auth_id``)."""
        return f"/v1/Account/{auth_id or self.account.auth_id}/{path}"

    @property
    def base_path(self) -> str:
        path = self.request.url.path
        return path if path.endswith("/") else path + "/"

    def list_response(self, objects: list[dict[str, Any]], total: int, limit: int, offset: int) -> Response:
        return list_response(self.base_path, objects, total, limit, offset, dict(self.request.query_params))

    async def list_documents(
        self,
        kind: type[D],
        render: Renderer[D],
        filters: Filters | None = None,
        owners: list[str] | None = None,
    ) -> Response:
        """A paginated, newest-first list of ``kind`` visible to this request (``owners`` defaults to
        :meth:`listing_owners`, i.e. honours the ``subaccount`` filter; ``filters`` as
        :func:`~plivo_blocks.sandbox.models.base.stored_fields` makes them)."""
        limit, offset = self.page()
        allowed = owners if owners is not None else await self.listing_owners()

        def read(tx: Tx) -> tuple[list[dict[str, Any]], int]:
            items, total = load_page(tx, kind, allowed, filters, limit, offset)
            return [render(tx, item) for item in items], total

        objects, total = await self.store.transaction(read)
        return self.list_response(objects, total, limit, offset)

    async def get_document(self, kind: type[D], id: str, what: str) -> D:
        """The visible document or 404 ``"{what} not found"``."""
        item = await fetch(self.store, kind, id, await self.owners())
        if item is None:
            raise PlivoError(404, f"{what} not found")
        return item

    async def show_document(self, kind: type[D], id: str, what: str, render: Renderer[D]) -> dict[str, Any]:
        """The visible document as ``render`` shows it, or 404 ``"{what} not found"``."""
        owners = await self.owners()

        def read(tx: Tx) -> dict[str, Any] | None:
            item = load(tx, kind, id, owners)
            return render(tx, item) if item else None

        shown = await self.store.transaction(read)
        if shown is None:
            raise PlivoError(404, f"{what} not found")
        return shown

    async def owners(self) -> list[str]:
        """Owners whose resources this request may see and change."""
        return await self.state.accounts.visible_owners(self.account)

    async def listing_owners(self, param: str = "subaccount") -> list[str]:
        """Owners for a list, narrowed by the ``subaccount`` filter when given (which must name a
        subaccount of this main account, or this subaccount itself)."""
        sub = self.text(param)
        if sub is None:
            return await self.owners()
        return [await self.subaccount_id(sub, param)]

    async def subaccount_id(self, sub: str, param: str = "subaccount") -> str:
        """Check that ``sub`` is a subaccount this request may use, and return it."""
        if sub == self.account.auth_id and not self.account.is_main:
            return sub
        target = await self.state.accounts.get(sub)
        if target is None or target.parent_id != self.account.auth_id:
            raise bad_request(f"{param} {sub} is not a subaccount of this account")
        return sub


Handler = Callable[[ApiContext], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]
BodyType = Literal["json", "xml", "none"]


def json_object(ctx: ApiContext) -> dict[str, Any]:
    """The control API's JSON body, which must be an object."""
    if not isinstance(ctx.body, dict):
        raise bad_request("the request body must be a JSON object")
    return ctx.body


def body_text(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    """A string (or number, as a string) field of a control API body."""
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise bad_request(f"{name} is required")
        return None
    if not isinstance(value, str | int):
        raise bad_request(f"{name} must be a string")
    return str(value)


def api_route(method: str, path: str, handler: Handler, *, name: str | None = None) -> Route:
    """A ``/v1/Account/{auth_id}/<path>`` endpoint; ``path`` ends with ``/`` (or is ``""``)."""

    counted = counts_toward_limit(method, path)

    async def endpoint(request: Request) -> Response:
        account = await authenticate(request)
        state = sandbox_state(request)
        if counted:
            caller: Account = request.state.caller
            state.limits.admit(caller.main_id)  # Plivo's 300 requests / 5 s (429 beyond)
        params = await read_params(request)
        path_params = {k: str(v) for k, v in request.path_params.items() if k != "auth_id"}
        ctx = ApiContext(request, state, account, params, path_params)
        return await handler(ctx)

    return Route(f"/v1/Account/{{auth_id}}/{path}", endpoint, methods=[method], name=name or handler.__name__)


def docstring_summary(function: Callable[..., Any]) -> str:
    """The first paragraph of ``function``'s docstring on one line ("" when it has none)."""
    doc = (function.__doc__ or "").strip()
    return " ".join(doc.split("\n\n")[0].split()).replace("``", "")


class ControlRoute(Route):
    """A ``/_sandbox/...`` route and what the control API's reference says about it."""

    def __init__(
        self,
        path: str,
        endpoint: Endpoint,
        *,
        methods: tuple[str, ...],
        name: str,
        summary: str,
        auth: bool,
        body: BodyType = "none",
        example: Any = None,
    ) -> None:
        super().__init__(path, endpoint, methods=list(methods), name=name)
        self.verbs = methods
        self.summary = summary
        self.auth = auth
        self.body = body
        self.example = example


def _read_body(raw: bytes, body: BodyType) -> Any:
    if body == "xml":
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise PlivoError(400, "the request body is not UTF-8 text") from None
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise PlivoError(400, "the request body is not valid JSON") from None


def control_route(
    method: str,
    path: str,
    handler: Handler,
    *,
    name: str | None = None,
    example: Any = None,
    body: BodyType | None = None,
) -> ControlRoute:
    """A ``/_sandbox/<path>`` endpoint for the main account; ``ctx.body`` is the parsed JSON body
    (``{}`` when empty), or the text for ``body="xml"``, and ``ctx.params`` the query string.
    ``example`` is the body the reference shows (and the docs page's form starts with)."""
    kind: BodyType = body or ("json" if method in ("POST", "PUT", "PATCH") else "none")

    async def endpoint(request: Request) -> Response:
        account = await authenticate_main(request)
        parsed = _read_body(await request.body(), kind)
        params = dict(request.query_params)
        path_params = {k: str(v) for k, v in request.path_params.items()}
        ctx = ApiContext(request, sandbox_state(request), account, params, path_params, parsed)
        return await handler(ctx)

    return ControlRoute(
        f"/_sandbox/{path}",
        endpoint,
        methods=(method,),
        name=name or f"control_{handler.__name__}",
        summary=docstring_summary(handler),
        auth=True,
        body=kind,
        example=example,
    )


def open_route(methods: tuple[str, ...], path: str, endpoint: Endpoint) -> ControlRoute:
    """A ``/_sandbox/<path>`` endpoint anyone may call (no credentials): health, served XML."""
    return ControlRoute(
        f"/_sandbox/{path}",
        endpoint,
        methods=methods,
        name=f"open_{endpoint.__name__}",
        summary=docstring_summary(endpoint),
        auth=False,
    )
