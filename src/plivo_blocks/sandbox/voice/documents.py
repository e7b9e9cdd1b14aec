"""Fetching a call's XML: the answer URL (then ``fallback_url``), action, redirect and transfer URLs.

Each fetch goes through the outbox (signed, logged, under the URL's callback policy). A document that
cannot be fetched, is not 2xx, or is not valid Plivo XML is not run: the call tries its
``fallback_url`` (answer URLs only), else hangs up with Plivo's cause for that kind of URL
(``Error Reaching Answer URL``, ``Invalid Answer XML``, …).
"""

from __future__ import annotations

from collections.abc import Mapping

from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.call import Call, CallEnded
from plivo_blocks.sandbox.voice.causes import URL_ERRORS, XML_ERRORS, HangupCause
from plivo_blocks.sandbox.voice.services import CallControl
from plivo_blocks.sandbox.webhooks import Callback, FetchFailed, Outbox

#: A call may load at most this many XML documents (a Redirect loop must end somewhere).
MAX_DOCUMENTS = 500


class DocumentLoader:
    def __init__(self, outbox: Outbox, control: CallControl) -> None:
        self._outbox = outbox
        self._control = control

    async def load(
        self, call: Call, url: str, method: str, kind: str, extra: Mapping[str, str] | None = None
    ) -> list[px.Instruction]:
        """Fetch XML for ``call`` and parse it; on failure try ``fallback_url`` (for the answer) or
        hang up with Plivo's cause for that kind of URL (raising :class:`CallEnded`)."""
        call.documents += 1
        if call.documents > MAX_DOCUMENTS:
            await self._control.hangup(call, XML_ERRORS[kind])
            raise CallEnded
        params = {**self._control.params(call), **(extra or {})}
        attempts = [(url, method, kind)]
        if kind == "answer" and call.fallback_url:
            # Tries of the answer_url follow its callback policy (Plivo: one retry on connection
            # failures and timeouts), then Plivo turns to fallback_url.
            attempts.append((call.fallback_url, call.fallback_method, "fallback"))
        cause: HangupCause = URL_ERRORS[kind]
        for attempt_url, attempt_method, attempt_kind in attempts:
            call.activity = f"fetching {attempt_kind} URL"
            callback = Callback.of(
                attempt_url, attempt_method, params, auth_id=call.owner, kind=attempt_kind, ref=call.uuid
            )
            try:
                result = await call.io(self._outbox.fetch(callback))
            except FetchFailed as exc:
                call.note(f"{attempt_kind}_url_failed", url=attempt_url, error=exc.reason)
                cause = URL_ERRORS[kind]
                continue
            if not result.ok:
                call.note(f"{attempt_kind}_url_failed", url=attempt_url, error=f"HTTP {result.status}")
                cause = URL_ERRORS[kind]
                continue
            try:
                instructions = px.parse(result.body)
            except px.InvalidXML as exc:
                call.note(f"{attempt_kind}_xml_invalid", url=attempt_url, error=str(exc))
                cause = XML_ERRORS[kind]
                continue
            call.note(f"{attempt_kind}_xml", url=attempt_url, verbs=[type(i).__name__ for i in instructions])
            return instructions
        await self._control.hangup(call, cause)
        raise CallEnded
