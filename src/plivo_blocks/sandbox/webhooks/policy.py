"""How hard Plivo tries to deliver a callback: the URL's fragment settings.

Plivo reads timeouts and retries from the fragment of a callback URL
(``https://example.com/answer?x=1#ct=2000&rt=5000&rc=3&rp=4xx,5xx``; Plivo's "Callback
configurations"):

=====  ==================================================  ============  ==========
param  meaning                                             allowed       default
=====  ==================================================  ============  ==========
ct     connection timeout, ms                              100-10000     2000
rt     read timeout, ms                                    100-40000     40000
tt     total timeout over all tries of the URL, ms         100-55000     55000
rc     retries after the first try                         0-5           1
rp     what is retried: ct, rt, 4xx, 5xx, all              list          ct,rt
er     edge region (nearest, local, or a region name)      —             nearest
=====  ==================================================  ============  ==========

A value that is not a number or is out of range is ignored (the default applies), so a mistyped
fragment never stops a callback; the fragment itself is never sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urldefrag

__all__ = ["RETRYABLE", "CallbackPolicy"]

RETRYABLE = ("ct", "rt", "4xx", "5xx")
_DEFAULT_RETRY_ON = frozenset({"ct", "rt"})


@dataclass(frozen=True, slots=True)
class CallbackPolicy:
    url: str  # the URL without its fragment: what is requested
    connect_timeout: float = 2.0
    read_timeout: float = 40.0
    total_timeout: float = 55.0
    retries: int = 1
    retry_on: frozenset[str] = _DEFAULT_RETRY_ON
    edge_region: str = "nearest"

    @classmethod
    def of(cls, url: str) -> CallbackPolicy:
        bare, fragment = urldefrag(url.strip())
        settings = dict(parse_qsl(fragment, keep_blank_values=True))
        retry_on = _retry_on(settings.get("rp"))
        return cls(
            url=bare,
            connect_timeout=_millis(settings.get("ct"), 100, 10_000, 2_000),
            read_timeout=_millis(settings.get("rt"), 100, 40_000, 40_000),
            total_timeout=_millis(settings.get("tt"), 100, 55_000, 55_000),
            retries=int(_number(settings.get("rc"), 0, 5, 1)),
            retry_on=retry_on,
            edge_region=settings.get("er") or "nearest",
        )

    def retries_after(self, failure: str) -> bool:
        """Whether a try that failed with ``failure`` (ct, rt, 4xx or 5xx) is retried."""
        return failure in self.retry_on


def _number(raw: str | None, low: int, high: int, default: int) -> float:
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        return default
    return value if low <= value <= high else default


def _millis(raw: str | None, low: int, high: int, default: int) -> float:
    return _number(raw, low, high, default) / 1000


def _retry_on(raw: str | None) -> frozenset[str]:
    if not raw:
        return _DEFAULT_RETRY_ON
    chosen = {part.strip().lower() for part in raw.split(",") if part.strip()}
    if "all" in chosen:
        return frozenset(RETRYABLE)
    known = chosen & set(RETRYABLE)
    return frozenset(known) if known else _DEFAULT_RETRY_ON
