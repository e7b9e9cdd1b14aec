"""A callback the sandbox makes, and its record in the delivery log: :class:`Delivery`, a typed
document of kind ``webhook`` (see :mod:`plivo_blocks.sandbox.models.base`).

A :class:`Delivery` is persisted *before* whatever caused it is acknowledged (see
:meth:`~plivo_blocks.sandbox.webhooks.outbox.Outbox.enqueue`), so a crash can delay a callback but
never lose it. Each try is kept as an :class:`Attempt` with what the inspector shows: the signature
headers sent, the answer's status and first bytes, the latency, and why it failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Final, Literal

from plivo_blocks.sandbox.store import Document
from plivo_blocks.sandbox.times import format_time, from_epoch

__all__ = ["DELIVERED", "FAILED", "PENDING", "WEBHOOK", "Attempt", "Callback", "Delivery"]

WEBHOOK = "webhook"  # document kind of the delivery log
DeliveryStatus = Literal["pending", "delivered", "failed"]
PENDING: Final[DeliveryStatus] = "pending"
DELIVERED: Final[DeliveryStatus] = "delivered"
FAILED: Final[DeliveryStatus] = "failed"
_STATUSES: tuple[DeliveryStatus, ...] = (PENDING, DELIVERED, FAILED)

#: How much of an answer's body the log keeps (answer XML is shown in full up to this size).
EXCERPT_BYTES = 16 * 1024


@dataclass(frozen=True, slots=True)
class Callback:
    """One request to make: to ``url`` (with its policy fragment), signed for ``auth_id``.

    ``kind`` says what it is (``message_status``, ``answer``, ``hangup``, …) and ``ref`` what it is
    about (a message or call uuid), for the log and the inspector."""

    url: str
    method: str
    params: Mapping[str, str]
    auth_id: str
    kind: str
    ref: str | None = None

    @classmethod
    def of(
        cls,
        url: str,
        method: str,
        params: Mapping[str, Any],
        *,
        auth_id: str,
        kind: str,
        ref: str | None = None,
    ) -> Callback:
        return cls(
            url=url.strip(),
            method="GET" if method.upper() == "GET" else "POST",
            params={str(k): "" if v is None else str(v) for k, v in params.items()},
            auth_id=auth_id,
            kind=kind,
            ref=ref,
        )


@dataclass(slots=True)
class Attempt:
    at: float  # sandbox time
    latency_ms: float
    status: int | None = None
    error: str | None = None
    request_headers: dict[str, str] = field(default_factory=dict)
    response_excerpt: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": format_time(from_epoch(self.at), micro=True),
            "latency_ms": round(self.latency_ms, 2),
            "status": self.status,
            "error": self.error,
            "request_headers": self.request_headers,
            "response_excerpt": self.response_excerpt,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], default_at: float) -> Attempt:
        return cls(
            at=_epoch(data.get("at"), default_at),
            latency_ms=float(data.get("latency_ms") or 0),
            status=data.get("status"),
            error=data.get("error"),
            request_headers=dict(data.get("request_headers") or {}),
            response_excerpt=str(data.get("response_excerpt") or ""),
        )


def _epoch(text: object, default: float) -> float:
    """A time the log wrote with :func:`format_time` (to the microsecond), back in epoch seconds."""
    if not isinstance(text, str) or not text:
        return default
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return default


@dataclass(slots=True)
class Delivery:
    """One callback (or fetch) and its tries: a document of kind ``webhook``, owned by the account
    it was signed for. Mutable: the outbox appends tries and sets the status as they happen."""

    KIND: ClassVar[str] = WEBHOOK
    #: ``created`` is kept exact as ``_time``; the callback's fields are stored flat.
    STORED_AS: ClassVar[Mapping[str, str]] = {
        "created": "_time",
        "url": "url",
        "method": "method",
        "kind": "kind",
        "ref": "ref",
    }

    id: str
    callback: Callback
    created: float  # sandbox time
    status: DeliveryStatus = PENDING
    attempts: list[Attempt] = field(default_factory=list)
    delivered_at: float | None = None

    @property
    def owner(self) -> str:
        return self.callback.auth_id

    @property
    def last(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    def render(self) -> dict[str, Any]:
        """The delivery log's record, as ``GET /_sandbox/webhooks`` shows it."""
        last = self.last
        callback = self.callback
        return {
            "delivery_id": self.id,
            "url": callback.url,
            "method": callback.method,
            "kind": callback.kind,
            "ref": callback.ref,
            "params": dict(callback.params),
            "status": self.status,
            "attempts": len(self.attempts),
            "last_status": last.status if last else None,
            "last_error": last.error if last else None,
            "created": format_time(from_epoch(self.created), micro=True),
            "delivered_at": format_time(from_epoch(self.delivered_at), micro=True)
            if self.delivered_at
            else None,
            "tries": [attempt.as_dict() for attempt in self.attempts],
            "auth_id": self.owner,
        }

    def to_data(self) -> dict[str, Any]:
        shown = self.render()
        del shown["auth_id"]  # the document's owner
        return {**shown, "_time": self.created}

    @classmethod
    def from_document(cls, doc: Document) -> Delivery:
        data = doc.data
        callback = Callback(
            url=str(data["url"]),
            method=str(data["method"]),
            params=dict(data.get("params") or {}),
            auth_id=doc.owner,
            kind=str(data.get("kind", "")),
            ref=data.get("ref"),
        )
        created = float(data.get("_time") or doc.created)
        tries = [Attempt.from_dict(t, created) for t in data.get("tries") or []]
        status = next((s for s in _STATUSES if s == data.get("status")), PENDING)
        delivered = data.get("delivered_at")
        delivered_at = _epoch(delivered, created) if delivered else None
        return cls(doc.id, callback, created, status, tries, delivered_at)
