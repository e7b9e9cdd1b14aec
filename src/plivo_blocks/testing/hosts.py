"""Which requests are Plivo's, and which of Plivo's hosts the sandbox answers for.

Every host under ``plivo.com`` is Plivo's: while ``mock_plivo`` is active no request to one of them
reaches the network. The sandbox serves Plivo's REST API, which the official SDKs reach on
``api.plivo.com`` and on the voice hosts some SDK versions use for call APIs (the Python and Java
SDKs' ``voice.plivo.com`` with fallbacks ``voice-usw1`` and ``voice-use1``; the Ruby SDK's
``api-voice*`` names). Any other Plivo host (``stats`` for call insights, ``lookup``, ``phlorunner``,
…) is refused with :class:`PlivoHostNotSimulated`: loudly, and without leaving the process.
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["SERVED_HOSTS", "PlivoHostNotSimulated", "check_served", "is_plivo_host", "is_plivo_url"]

SERVED_HOSTS = frozenset(
    {
        "api.plivo.com",
        "voice.plivo.com",
        "voice-usw1.plivo.com",
        "voice-use1.plivo.com",
        "api-voice.plivo.com",
        "api-voice-usw1.plivo.com",
        "api-voice-use1.plivo.com",
    }
)


class PlivoHostNotSimulated(RuntimeError):
    """A request to one of Plivo's hosts that the sandbox does not serve, stopped before it left."""

    def __init__(self, method: str, url: str) -> None:
        host = _host(url)
        super().__init__(
            f"{method} {url}: {host} is one of Plivo's hosts, and the sandbox does not serve it (it serves "
            f"{', '.join(sorted(SERVED_HOSTS))}); mock_plivo stopped the request so that it cannot reach Plivo"
        )
        self.host = host


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def is_plivo_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host == "plivo.com" or host.endswith(".plivo.com")


def is_plivo_url(url: str) -> bool:
    return is_plivo_host(_host(url))


def check_served(method: str, url: str) -> None:
    """Raise :class:`PlivoHostNotSimulated` unless the sandbox serves ``url``'s host."""
    if _host(url) not in SERVED_HOSTS:
        raise PlivoHostNotSimulated(method, url)
