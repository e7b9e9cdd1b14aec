"""``requests``' side of ``mock_plivo`` (the official ``plivo`` SDK is built on it).

requests' own extension point is the *transport adapter*: a session picks one per URL prefix
(:meth:`requests.Session.get_adapter`) and the adapter turns a prepared request into a response.
:class:`SandboxAdapter` is such an adapter, answered by the in-process sandbox. :class:`RequestsHook`
makes every session (the SDK's own ``Session`` objects, sessions made before the hook, and
``requests.get``) pick it for Plivo's hosts: it wraps ``Session.get_adapter``, so no adapter a
session has mounted (retrying adapters included) can send a Plivo request to the network. A Plivo
host the sandbox does not serve raises :class:`~.hosts.PlivoHostNotSimulated`. Other URLs get their
usual adapter. Uninstalling puts ``get_adapter`` back.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable

import httpx
import requests
import requests.adapters
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from plivo_blocks.testing.hosts import check_served, is_plivo_url
from plivo_blocks.testing.runner import SandboxThread, read_timeout

__all__ = ["RequestsHook", "SandboxAdapter"]

GetAdapter = Callable[[requests.Session, str], requests.adapters.BaseAdapter]


def _body_bytes(body: object) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):  # a file object (streamed upload)
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if isinstance(body, Iterable):  # a generator of chunks
        return b"".join(c.encode("utf-8") if isinstance(c, str) else bytes(c) for c in body)
    raise TypeError(f"cannot send a request body of type {type(body).__name__}")


class SandboxAdapter(requests.adapters.BaseAdapter):
    """A requests transport adapter answered by the in-process sandbox."""

    def __init__(self, sandbox: SandboxThread) -> None:
        super().__init__()
        self._sandbox = sandbox

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: object = None,
        verify: object = True,
        cert: object = None,
        proxies: object = None,
    ) -> requests.Response:
        method, url = request.method or "GET", request.url or ""
        check_served(method, url)
        body = _body_bytes(request.body)
        forwarded = httpx.Request(method, url, headers=list(request.headers.items()))
        try:
            status, headers, content = self._sandbox.exchange(forwarded, body, read_timeout(timeout))
        except TimeoutError as exc:
            raise requests.exceptions.ReadTimeout(str(exc), request=request) from None
        answer = httpx.Response(status, headers=headers)
        response = requests.Response()
        response.status_code = status
        response.reason = answer.reason_phrase
        response.headers = CaseInsensitiveDict(answer.headers.items())
        response.encoding = get_encoding_from_headers(response.headers)
        response._content = content
        response.raw = io.BytesIO(content)
        response.url = url
        response.request = request
        return response

    def close(self) -> None:
        pass


class RequestsHook:
    """Installs and removes the adapter choice for Plivo's hosts (module docstring)."""

    def __init__(self, sandbox: SandboxThread) -> None:
        self.adapter = SandboxAdapter(sandbox)
        self._original: GetAdapter | None = None

    @property
    def installed(self) -> bool:
        return self._original is not None

    def install(self) -> None:
        if self._original is not None:
            return
        original: GetAdapter = requests.Session.get_adapter
        adapter = self.adapter

        def get_adapter(session: requests.Session, url: str) -> requests.adapters.BaseAdapter:
            if is_plivo_url(url):
                return adapter
            return original(session, url)

        self._original = original
        setattr(requests.Session, "get_adapter", get_adapter)  # noqa: B010  (mypy: a method is read-only)

    def uninstall(self) -> None:
        if self._original is not None:
            setattr(requests.Session, "get_adapter", self._original)  # noqa: B010
            self._original = None
