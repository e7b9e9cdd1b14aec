"""Idempotency keys, on Stripe's model: what a key means, and the stores that remember them.

A call made with an idempotency key sends at most one request to Plivo, however often it is
repeated. The first call *claims* the key; its outcome (Plivo's answer, or Plivo's error, or a
failure after which the request may have reached Plivo) is stored for ``ttl`` seconds (24 hours).

- Repeated with the same request: the stored outcome, marked ``replayed``.
- Repeated with another request, or other credentials: :class:`IdempotencyKeyReusedError`.
- Repeated while the first is in flight: it waits for the first, up to a bound, then
  :class:`IdempotencyKeyInUseError`.
- The first was interrupted after it may have reached Plivo (its process died, or it was cancelled,
  before the outcome was written): :class:`IdempotencyOutcomeUnknownError`, for as long as the key
  lives. Stripe answers such keys with an error too; sending again could act twice.
- Nothing is stored when the request provably never reached Plivo (refused by validation, by the
  pacing queue, or by a refused connection): the key is released and may be used again.

A key is scoped by auth id and block; the record holds a digest of the request Plivo would receive
(method, path, query, body) and one of the credentials, never the credentials themselves.

The stores here keep keys in the process's memory (:class:`MemoryKeyStore` for :class:`Client`,
:class:`AsyncMemoryKeyStore` for :class:`AsyncClient`); the gateway brings SQLite and Redis ones
(``plivo_blocks.gateway.state``) that follow the same :class:`AsyncKeyStore` protocol.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from plivo_blocks.client._core import Credentials, Outcome, PlannedCall
from plivo_blocks.errors import (
    APIError,
    IdempotencyKeyInUseError,
    IdempotencyKeyReusedError,
    IdempotencyOutcomeUnknownError,
    PacingLimitError,
    PlivoBlocksError,
    PlivoTimeoutError,
    Problem,
    TransportError,
    ValidationError,
    api_error_class,
)

KEY_MAX_LENGTH = 255
DEFAULT_TTL = 24 * 3600.0
DEFAULT_WAIT = 10.0
#: What a record holds once its first call was interrupted after it may have reached Plivo.
UNKNOWN_OUTCOME = '{"kind":"unknown"}'

State = Literal["in_flight", "done"]


def check_key(block: str, key: object) -> str:
    """The key if it is 1 to 255 printable ASCII characters (what an HTTP header can carry), else a
    ValidationError naming ``idempotency_key``."""
    if (
        isinstance(key, str)
        and len(key) <= KEY_MAX_LENGTH
        and key.isascii()
        and key.isprintable()
        and key.strip()
    ):
        return key
    rule = f"must be 1 to {KEY_MAX_LENGTH} printable ASCII characters, not blank"
    raise ValidationError(block, [Problem("idempotency_key", "idempotency_key", rule)])


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def request_digest(call: PlannedCall) -> str:
    """The request Plivo would receive, as a digest: equal for equal requests, whatever the spelling
    of the arguments (``+14155550100`` and ``14155550100`` are the same destination)."""
    request = call.request
    canonical = json.dumps(
        [request.method, request.path, sorted(request.query.items()), request.body],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return _digest(canonical)


@dataclass(frozen=True, slots=True)
class Claim:
    """What a call that wants a key brings: who it is (``owner``, unique per call), what it would
    send and as whom (digests), how long it may take (``lease``) and how long the key lives."""

    owner: str
    request: str
    credentials: str
    lease: float
    ttl: float


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A key someone else claimed: its state, the digests it was claimed with, its stored outcome
    (JSON, once done) and whether its lease ran out while it was still in flight."""

    state: State
    request: str
    credentials: str
    outcome: str | None
    lease_expired: bool


@dataclass(frozen=True, slots=True)
class KeyTicket:
    """One keyed call: where its key lives (``scope``) and its claim."""

    scope: str
    claim: Claim
    key: str
    block: str

    @classmethod
    def for_call(
        cls, call: PlannedCall, credentials: Credentials, key: str, *, lease: float, ttl: float
    ) -> KeyTicket:
        auth_id = credentials.auth_id
        return cls(
            scope=_digest("plivo-blocks/idempotency/v1", auth_id, call.block.name, key),
            claim=Claim(
                owner=uuid.uuid4().hex,
                request=request_digest(call),
                credentials=_digest(auth_id, credentials.auth_token),
                lease=lease,
                ttl=ttl,
            ),
            key=key,
            block=call.block.name,
        )

    def judge(self, record: KeyRecord) -> Outcome | None:
        """What a record claimed by another call means for this one: its outcome to replay, or
        ``None`` (still in flight: wait). Raises when the key cannot serve this call."""
        if record.credentials != self.claim.credentials:
            raise IdempotencyKeyReusedError(
                f"{self.block}: this Idempotency-Key was first used with other credentials; "
                "nothing was sent. Use a new key for a new request."
            )
        if record.request != self.claim.request:
            raise IdempotencyKeyReusedError(
                f"{self.block}: this Idempotency-Key was first used with different arguments; "
                "nothing was sent. A key names one request: use a new key for a new request."
            )
        if record.state == "done":
            return decode_outcome(record.outcome or UNKNOWN_OUTCOME, self.block)
        if record.lease_expired:
            raise _outcome_unknown(self.block)
        return None

    def in_use(self, waited: float) -> IdempotencyKeyInUseError:
        return IdempotencyKeyInUseError(
            f"{self.block}: the first request with this Idempotency-Key is still in flight after "
            f"{waited:.1f} s; nothing was sent. Retry with the same key to get its outcome.",
            retry_after=1.0,
        )


def _outcome_unknown(block: str) -> IdempotencyOutcomeUnknownError:
    return IdempotencyOutcomeUnknownError(
        f"{block}: the first request with this Idempotency-Key was interrupted after it may have "
        "reached Plivo, and its outcome was never recorded; it is not sent again. Check its effect "
        "(e.g. with getMessages or getCallsDetails) and use a new key for a new attempt."
    )


def wait_schedule(bound: float) -> Iterator[float]:
    """Pauses between looks at a key in flight: 10 ms growing to 200 ms, adding up to ``bound``."""
    left, pause = bound, 0.01
    while left > 0:
        step = min(pause, left)
        yield step
        left -= step
        pause = min(pause * 1.5, 0.2)


def never_sent(outcome: Outcome) -> bool:
    """Whether the call's request provably never reached Plivo (then its key is released)."""
    error = outcome.error
    if isinstance(error, PacingLimitError):
        return True
    return isinstance(error, TransportError) and not error.may_have_reached_plivo


# -- outcomes as stored text ------------------------------------------------------------------


def encode_outcome(outcome: Outcome) -> str:
    """An outcome as JSON, to store and to replay."""
    error = outcome.error
    record: dict[str, Any]
    if error is None:
        record = {"kind": "result", "result": outcome.result}
    elif isinstance(error, APIError):
        record = {
            "kind": "api_error",
            "message": str(error),
            "status": error.status_code,
            "error": error.error,
            "api_id": error.api_id,
            "body": error.body,
        }
    elif isinstance(error, TransportError):
        record = {
            "kind": "transport_error",
            "message": str(error),
            "timeout": isinstance(error, PlivoTimeoutError),
        }
    else:
        return UNKNOWN_OUTCOME
    return json.dumps(record, separators=(",", ":"), default=str)


def decode_outcome(text: str, block: str) -> Outcome:
    """A stored outcome, replayed: the same result, or an error of the same class and text."""
    try:
        record = json.loads(text)
        kind = record["kind"]
    except (ValueError, KeyError, TypeError):
        kind = "unknown"
    error: PlivoBlocksError
    if kind == "result":
        return Outcome(result=record["result"], replayed=True)
    if kind == "api_error":
        status = int(record["status"])
        error = api_error_class(status)(
            record["message"],
            status_code=status,
            error=record.get("error"),
            api_id=record.get("api_id"),
            body=record.get("body"),
        )
    elif kind == "transport_error":
        cls = PlivoTimeoutError if record.get("timeout") else TransportError
        error = cls(record["message"])
    else:
        error = _outcome_unknown(block)
    return Outcome(error=error, replayed=True)


# -- stores -----------------------------------------------------------------------------------


class KeyStore(Protocol):
    """Where a :class:`Client` keeps its keys. ``claim`` is atomic: it answers ``None`` when the
    key is now this claim's (new, expired, or already this owner's), else the record as it is."""

    def claim(self, scope: str, claim: Claim) -> KeyRecord | None: ...

    def finish(self, scope: str, owner: str, outcome: str) -> None:
        """Store ``outcome`` for a key this owner holds."""

    def release(self, scope: str, owner: str) -> None:
        """Forget a key this owner holds and that is still in flight."""


class AsyncKeyStore(Protocol):
    """:class:`KeyStore` for :class:`AsyncClient` and the gateway. Raises
    :class:`~plivo_blocks.errors.IdempotencyStoreError` when it cannot answer in time."""

    async def claim(self, scope: str, claim: Claim) -> KeyRecord | None: ...

    async def finish(self, scope: str, owner: str, outcome: str) -> None: ...

    async def release(self, scope: str, owner: str) -> None: ...


@dataclass(slots=True)
class _Entry:
    state: State
    owner: str
    request: str
    credentials: str
    outcome: str | None
    lease_until: float
    expires_at: float


class MemoryKeyStore:
    """Keys in this process's memory, for one client and its ``with_credentials`` views; safe to use
    from several threads. Entries leave 24 hours (``ttl``) after their claim. A process that exits
    forgets them: the guarantee lasts as long as the client object."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def claim(self, scope: str, claim: Claim) -> KeyRecord | None:
        now = self._clock()
        with self._lock:
            self._forget_expired(now)
            entry = self._entries.get(scope)
            if entry is None or entry.expires_at <= now:
                self._entries.pop(scope, None)
                self._entries[scope] = _Entry(
                    "in_flight",
                    claim.owner,
                    claim.request,
                    claim.credentials,
                    None,
                    now + claim.lease,
                    now + claim.ttl,
                )
                return None
            if entry.state == "in_flight" and entry.owner == claim.owner:
                return None
            return KeyRecord(
                entry.state, entry.request, entry.credentials, entry.outcome, entry.lease_until < now
            )

    def finish(self, scope: str, owner: str, outcome: str) -> None:
        with self._lock:
            entry = self._entries.get(scope)
            if entry is not None and entry.owner == owner:
                entry.state, entry.outcome = "done", outcome

    def release(self, scope: str, owner: str) -> None:
        with self._lock:
            entry = self._entries.get(scope)
            if entry is not None and entry.owner == owner and entry.state == "in_flight":
                del self._entries[scope]

    def _forget_expired(self, now: float) -> None:
        # Entries are in claim order and share one ttl, so the expired ones are at the front.
        while self._entries:
            scope, entry = next(iter(self._entries.items()))
            if entry.expires_at > now:
                return
            del self._entries[scope]


class AsyncMemoryKeyStore:
    """:class:`MemoryKeyStore` behind the async protocol (its operations never block)."""

    def __init__(self, store: MemoryKeyStore | None = None) -> None:
        self.store = store if store is not None else MemoryKeyStore()

    async def claim(self, scope: str, claim: Claim) -> KeyRecord | None:
        return self.store.claim(scope, claim)

    async def finish(self, scope: str, owner: str, outcome: str) -> None:
        self.store.finish(scope, owner, outcome)

    async def release(self, scope: str, owner: str) -> None:
        self.store.release(scope, owner)
