"""The controls a test drives a sandbox with: reads, drivers and time, in plain Python.

:class:`SandboxControls` speaks to the sandbox's control API (``/_sandbox/...``, as its main
account), so what it does is what that API does, for the in-process sandbox of ``mock_plivo`` (over
the in-process transport) and for ``plivo_sandbox_server`` (over loopback) alike:

=================================  ============================================================
``messages(**filters)``            ``GET /_sandbox/messages``: every account's messages, with
                                   ``text``; filters ``direction``, ``state``, ``from_``, ``to``,
                                   ``auth_id``
``calls(**filters)``               ``GET /_sandbox/calls``: live calls and call records; filters
                                   ``live``, ``direction``, ``status``, ``from_``, ``to``, ``auth_id``
``conferences()``                  ``GET /_sandbox/conferences``: live conferences and members
``recordings(**filters)``          ``GET /_sandbox/recordings``; filters ``call_uuid``, ``auth_id``
``webhooks(**filters)``            ``GET /_sandbox/webhooks``: the delivery log; filters ``kind``,
                                   ``status``, ``url`` (contains), ``auth_id``
``inbound_sms(from_, to, text)``   ``POST /_sandbox/messages/inbound``
``inbound_call(from_, to)``        ``POST /_sandbox/calls/inbound``
``set_message_state(uuid, state)``  ``POST /_sandbox/messages/{uuid}/state``: what the carrier
                                   reports at last (``delivered``, ``undelivered``, ``failed``, ...)
``press(call_uuid, digits)``       ``POST /_sandbox/calls/{uuid}/digits``: the caller's keys
``say(call_uuid, text)``           ``POST /_sandbox/calls/{uuid}/speech``: the caller's words
``hangup(call_uuid)``              ``POST /_sandbox/calls/{uuid}/hangup``: the other party hangs up
``phone(number, **script)``        ``PUT /_sandbox/phones/{number}``: how a number behaves when called
``advance(seconds)``               ``POST /_sandbox/clock/advance``
``settle(timeout=10)``             ``POST /_sandbox/calls/settle``: wait until nothing is running
=================================  ============================================================

Records are plain dicts with the fields Plivo shows (plus the sandbox's: ``auth_id``, a message's
``text``, a call's ``live``), newest first as Plivo lists them. Every driver returns the control
API's answer once the sandbox has settled (what the action set off has run as far as it can without
time moving). A driver, ``advance`` and ``settle`` raise :class:`~.apps.PlivoAppError` when the app
under test failed meanwhile, and :class:`SandboxControlError` when the sandbox refused the action.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from plivo_blocks.testing.apps import AppFailures

__all__ = ["SandboxBusy", "SandboxControlError", "SandboxControls"]

PAGE = 20
DEFAULT_SETTLE_SECONDS = 10.0
#: ``advance`` may run a lot (every callback of every call it passes), so it gets a long wall limit.
DEFAULT_ADVANCE_TIMEOUT = 60.0

MESSAGE_FILTERS = {
    "direction": "direction",
    "state": "state",
    "from_": "from",
    "to": "to",
    "auth_id": "auth_id",
}
CALL_FILTERS = {
    "live": "live",
    "direction": "direction",
    "status": "status",
    "from_": "from",
    "to": "to",
    "auth_id": "auth_id",
}
RECORDING_FILTERS = {"call_uuid": "call_uuid", "auth_id": "auth_id"}
WEBHOOK_FILTERS = {"kind": "kind", "status": "status", "url": "url", "auth_id": "auth_id"}


class SandboxControlError(RuntimeError):
    """The sandbox refused a control action (the text is its reason)."""

    def __init__(self, method: str, path: str, status: int, reason: str) -> None:
        super().__init__(f"{method} {path}: HTTP {status}: {reason}")
        self.status = status
        self.reason = reason


class SandboxBusy(TimeoutError):
    """The sandbox was still running something when the wait ended."""


def _query(method: str, filters: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, str]:
    query: dict[str, str] = {}
    for name, value in filters.items():
        key = names.get("from_" if name == "from" else name)
        if key is None:
            raise TypeError(f"{method}() got an unknown filter {name!r}; its filters are {', '.join(names)}")
        if value is None:
            continue
        query[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return query


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip() or response.reason_phrase
    if isinstance(body, dict):
        return str(body.get("error") or body.get("message") or body)
    return str(body)


class SandboxControls:
    """Reads, drivers and time for one sandbox (module docstring). Subclasses give the HTTP client
    to its control API (:meth:`_control`), the failures of the apps it calls, and its address."""

    _failures: AppFailures

    # -- what subclasses provide -------------------------------------------------------------------

    def _control(self) -> httpx.Client:
        raise NotImplementedError

    @property
    def url(self) -> str:
        """Where the sandbox answers (Plivo's API base URL for code that takes one)."""
        raise NotImplementedError

    @property
    def auth_id(self) -> str:
        """The sandbox's main account: the control API's credentials, and an account to use."""
        raise NotImplementedError

    @property
    def auth_token(self) -> str:
        raise NotImplementedError

    # -- HTTP ---------------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        client = self._control()
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        response = client.request(method, path, json=json, params=params, **extra)
        if response.status_code >= 400:
            raise SandboxControlError(method, path, response.status_code, _reason(response))
        return response.json() if response.content else None

    def _list(self, path: str, query: Mapping[str, str], key: str = "objects") -> list[dict[str, Any]]:
        objects: list[dict[str, Any]] = []
        while True:
            page = self._request(
                "GET", path, params={**query, "limit": str(PAGE), "offset": str(len(objects))}
            )
            batch: Sequence[dict[str, Any]] = page[key]
            objects.extend(batch)
            total = page.get("meta", {}).get("total_count", len(objects))
            if len(batch) < PAGE or len(objects) >= total:
                return objects

    # -- reads --------------------------------------------------------------------------------------

    def messages(self, **filters: Any) -> list[dict[str, Any]]:
        """Every message the sandbox holds (all accounts), newest first."""
        return self._list("/_sandbox/messages", _query("messages", filters, MESSAGE_FILTERS))

    def calls(self, **filters: Any) -> list[dict[str, Any]]:
        """Live calls, then call records (all accounts)."""
        return self._list("/_sandbox/calls", _query("calls", filters, CALL_FILTERS))

    def conferences(self) -> list[dict[str, Any]]:
        conferences: list[dict[str, Any]] = self._request("GET", "/_sandbox/conferences")["conferences"]
        return conferences

    def recordings(self, **filters: Any) -> list[dict[str, Any]]:
        return self._list("/_sandbox/recordings", _query("recordings", filters, RECORDING_FILTERS))

    def webhooks(self, **filters: Any) -> list[dict[str, Any]]:
        """The webhook delivery log (answer-URL fetches included), newest first."""
        return self._list("/_sandbox/webhooks", _query("webhooks", filters, WEBHOOK_FILTERS))

    # -- drivers ------------------------------------------------------------------------------------

    def _drive(self, method: str, path: str, body: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self._request(method, path, json=body)
        self.settle()
        return answer

    def inbound_sms(self, from_: str, to: str, text: str) -> dict[str, Any]:
        """An SMS from ``from_`` to the rented number ``to``, delivered to its application's
        ``message_url``. Answers ``{"message_uuid", "auth_id", "delivered_to"}``."""
        return self._drive("POST", "/_sandbox/messages/inbound", {"from": from_, "to": to, "text": text})

    def inbound_call(self, from_: str, to: str) -> dict[str, Any]:
        """A call from ``from_`` to the rented number ``to``, answered by its application's
        ``answer_url`` (it rings first: ``advance`` moves it on). Answers ``{"call_uuid", ...}``."""
        return self._drive("POST", "/_sandbox/calls/inbound", {"from": from_, "to": to})

    def set_message_state(
        self, message_uuid: str, state: str, error_code: str | None = None
    ) -> dict[str, Any]:
        """The carrier's last word on an outbound message (``delivered``, ``undelivered``,
        ``failed``, ``rejected``, ``read``), reported to its status callback. Answers the message."""
        body = {"state": state, **({"error_code": error_code} if error_code is not None else {})}
        return self._drive("POST", f"/_sandbox/messages/{quote(message_uuid)}/state", body)

    def press(self, call_uuid: str, digits: str) -> dict[str, Any]:
        """The other party of ``call_uuid`` presses ``digits``."""
        return self._drive("POST", f"/_sandbox/calls/{quote(call_uuid)}/digits", {"digits": digits})

    def say(self, call_uuid: str, text: str) -> dict[str, Any]:
        """The other party of ``call_uuid`` says ``text`` (for ``<GetInput inputType="speech">``)."""
        return self._drive("POST", f"/_sandbox/calls/{quote(call_uuid)}/speech", {"text": text})

    def hangup(self, call_uuid: str) -> dict[str, Any]:
        """The other party of ``call_uuid`` hangs up (the caller of an inbound call, the callee of
        an outbound call or of a Dial's leg)."""
        return self._drive("POST", f"/_sandbox/calls/{quote(call_uuid)}/hangup", {})

    def phone(self, number: str, **script: Any) -> dict[str, Any]:
        """How ``number`` behaves when the sandbox calls it (the phone scripts of the control API)."""
        answer: dict[str, Any] = self._request(
            "PUT", f"/_sandbox/phones/{quote(number.lstrip('+'))}", json=script
        )
        return answer

    # -- time ---------------------------------------------------------------------------------------

    def advance(self, seconds: float, *, timeout: float = DEFAULT_ADVANCE_TIMEOUT) -> dict[str, Any]:
        """Move sandbox time ``seconds`` forward, running what falls due; returns once idle (the
        clock as ``GET /_sandbox/clock`` shows it)."""
        try:
            clock: dict[str, Any] = self._request(
                "POST",
                "/_sandbox/clock/advance",
                json={"seconds": seconds, "timeout": timeout},
                timeout=timeout + 10,
            )
        except SandboxControlError as exc:
            self._failures.raise_any()
            if exc.status == 504:
                raise SandboxBusy(exc.reason) from None
            raise
        self._failures.raise_any()
        return clock

    def settle(self, timeout: float = DEFAULT_SETTLE_SECONDS) -> None:
        """Wait (at most ``timeout`` wall seconds) until nothing in the sandbox is running: calls
        wait on time or on the outside world, callbacks are delivered. Time does not move."""
        answer = self._request(
            "POST", "/_sandbox/calls/settle", json={"timeout": timeout}, timeout=timeout + 10
        )
        self._failures.raise_any()
        if not answer["settled"]:
            raise SandboxBusy(f"the sandbox was still busy after {timeout:g} s")
