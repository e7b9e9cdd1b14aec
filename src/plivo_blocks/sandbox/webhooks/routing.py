"""Sending some callback URLs to apps in this process instead of the network.

:class:`RoutingTransport` is an httpx transport that hands each request whose URL starts with one
of its bases (``https://myapp.test``, ``http://127.0.0.1:5000/hooks``) to that base's transport
(typically :class:`httpx.ASGITransport` for a Starlette/FastAPI app, or a WSGI app run in a worker
thread), and every other request to the network. It is how ``mock_plivo(apps=...)`` reaches the
app under test, and how the sandbox's own tests catch callbacks without opening a port.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

__all__ = ["RoutingTransport"]


def _normalise(base: str) -> str:
    url = httpx.URL(base)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"app base {base!r} must be an http(s) URL such as https://myapp.test")
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}{url.path.rstrip('/')}"


class RoutingTransport(httpx.AsyncBaseTransport):
    def __init__(
        self,
        routes: Mapping[str, httpx.AsyncBaseTransport],
        default: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        # Longest base first, so that a more specific base wins.
        self._routes = sorted(((_normalise(b), t) for b, t in routes.items()), key=lambda r: -len(r[0]))
        self._default = default or httpx.AsyncHTTPTransport()

    def transport_for(self, url: httpx.URL) -> httpx.AsyncBaseTransport:
        port = f":{url.port}" if url.port else ""
        target = f"{url.scheme}://{url.host}{port}{url.path}"
        for base, transport in self._routes:
            if (
                target == base
                or target.startswith(base + "/")
                or (base.endswith("/") and target.startswith(base))
            ):
                return transport
        return self._default

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.transport_for(request.url).handle_async_request(request)

    async def aclose(self) -> None:
        for _, transport in self._routes:
            await transport.aclose()
        await self._default.aclose()
