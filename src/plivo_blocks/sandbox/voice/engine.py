"""The call engine: each call's life from ``POST Call/`` (or a simulated inbound call) to its detail record.

A call is a task: it rings (``ring_url`` notified), is answered, fetches ``answer_url`` (``fallback_url``
when that fails) with Plivo's parameters, runs the XML it gets, and hangs up at the end of the XML, on
``<Hangup>``, at ``time_limit``, or when the API or the control API ends it. The hangup writes the call
detail record (kind ``call``) and notifies ``hangup_url`` (which defaults to ``answer_url``).

Timing is the sandbox clock's (:mod:`plivo_blocks.sandbox.clock`): ringing and answering take
``settings.call_ring_seconds`` / ``call_answer_seconds``; ``Speak``, ``Play``, ``Wait`` and ``<Record>``
take their length; a ``GetDigits`` waits (its ``timeout``) for digits; ``time_limit`` and scheduled
hangups are timers. A call's task parks while it waits, so the clock can tell when the sandbox is idle.
A member stays in its conference until it leaves, and ``settings.call_hold_state = "ringing"`` keeps
new calls ringing until the control API advances them.

All runtime state lives on the event loop (no locks); documents are written through the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from plivo_blocks.sandbox import tariffs
from plivo_blocks.sandbox.call_queue import CallQueue
from plivo_blocks.sandbox.clock import SandboxClock, WaitTimeout
from plivo_blocks.sandbox.events import EventBus
from plivo_blocks.sandbox.ids import new_uuid
from plivo_blocks.sandbox.settings import SandboxSettings
from plivo_blocks.sandbox.store import Store, Tx
from plivo_blocks.sandbox.times import format_time
from plivo_blocks.sandbox.voice import xml as px
from plivo_blocks.sandbox.voice.conferences import HANGUP, ConferenceBridge
from plivo_blocks.sandbox.voice.recordings import Recorder, record_params
from plivo_blocks.sandbox.voice.runtime import (
    BUSY_LINE,
    CANCELED,
    COMPLETED,
    END_OF_XML,
    IN_PROGRESS,
    INTERNAL_ERROR,
    NO_ANSWER_CAUSE,
    NORMAL_XML,
    QUEUED,
    REJECTED,
    RING_TIMEOUT,
    RINGING,
    SANDBOX_RESTART,
    TIME_LIMIT,
    UNREACHABLE,
    URL_ERRORS,
    XML_ERRORS,
    ActiveRecording,
    Call,
    CallEnded,
    HangupCause,
    Skipped,
    Transferred,
)
from plivo_blocks.sandbox.webhooks import Callback, FetchFailed, Outbox

log = logging.getLogger("plivo_blocks.sandbox.voice")

CALL = "call"

#: How long media takes on the call's clock.
SPEAK_CHARS_PER_SECOND = 15
PLAY_SECONDS = 5.0
#: A call may load at most this many XML documents (a Redirect loop must end somewhere).
MAX_DOCUMENTS = 500

#: Public fields of a call detail record (``callGetResponse.json``, plus the hangup details
#: Plivo's CDRs carry).
CDR_FIELDS = (
    "answer_time",
    "bill_duration",
    "billed_duration",
    "call_direction",
    "call_duration",
    "call_uuid",
    "end_time",
    "from_number",
    "initiation_time",
    "parent_call_uuid",
    "resource_uri",
    "to_number",
    "total_amount",
    "total_rate",
    "hangup_cause_name",
    "hangup_cause_code",
    "hangup_source",
)

ADVANCE_TARGETS = ("answered", "busy", "no-answer", "failed", "rejected")


def _plus(number: str) -> str:
    return number if number.startswith(("+", "sip:")) else f"+{number}"


def _session_time(call: Call) -> str:
    return call.initiated.strftime("%Y-%m-%d %H:%M:%S.%f")


def speak_seconds(text: str) -> float:
    return max(1.0, math.ceil(len(text) / SPEAK_CHARS_PER_SECOND))


def rate_for(direction: str, to: str) -> str:
    """Per-minute rate from the pricing table: outbound by destination (SIP as ``ip``), inbound by
    the called number."""
    if direction == "outbound":
        if to.startswith("sip:"):
            return tariffs.format_rate(Decimal("0.00300"))
        return tariffs.format_rate(tariffs.voice_rate(to, "outbound"))
    return tariffs.format_rate(tariffs.voice_rate(to, "inbound"))


class VoiceEngine:
    def __init__(
        self,
        store: Store,
        clock: SandboxClock,
        settings: SandboxSettings,
        outbox: Outbox,
        events: EventBus,
        *,
        call_queue: CallQueue | None = None,
    ) -> None:
        self.store = store
        self.call_queue = call_queue or CallQueue(clock, settings)
        self.clock = clock
        self.settings = settings
        self.outbox = outbox
        self.events = events
        self.calls: dict[str, Call] = {}
        self.requests: dict[str, str] = {}  # request_uuid -> call_uuid, until the call is answered
        self.bridge = ConferenceBridge(self)
        self.recorder = Recorder(self)
        self._save_locks: dict[str, asyncio.Lock] = {}

    def __repr__(self) -> str:
        return f"VoiceEngine(live={len(self.calls)}, conferences={len(self.bridge.rooms)})"

    async def send(
        self,
        url: str | None,
        method: str,
        params: Mapping[str, str],
        *,
        auth_id: str,
        kind: str,
        ref: str | None,
    ) -> None:
        """Persist a callback in the outbox (delivered in the background)."""
        if url:
            await self.outbox.send(Callback.of(url, method, params, auth_id=auth_id, kind=kind, ref=ref))

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Calls still live in the store were cut by a stop of the sandbox: close their records."""
        stale = await self.store.list(CALL, filters={"_live": True})
        for doc in stale:
            await self.store.update(CALL, doc.id, self._closed_by_restart())

    def _closed_by_restart(self) -> dict[str, Any]:
        cause = SANDBOX_RESTART
        return {
            "_live": False,
            "_status": cause.status,
            "end_time": format_time(self.clock.datetime()),
            "_end": self.clock.now(),
            "hangup_cause_name": cause.name,
            "hangup_cause_code": cause.code,
            "hangup_source": cause.source,
        }

    async def stop(self) -> None:
        """Forget live calls (their tasks are tracked work, which the clock cancels)."""
        for call in self.calls.values():
            self._cancel_timers(call)
        self.calls.clear()
        self.requests.clear()
        self.bridge.rooms.clear()

    def spawn(self, call: Call, starts_at: float | None = None) -> None:
        call.task = self.clock.spawn(self._run(call, starts_at), name=f"call {call.uuid}")

    async def settle(self, timeout: float) -> bool:
        """Wait until every call waits (on time or on the outside world) or has ended, and every
        due callback is delivered; at most ``timeout`` wall seconds."""
        return await self.clock.wait_idle(timeout)

    # -- creating calls --------------------------------------------------------------------

    async def place_calls(self, owner: str, destinations: list[str], config: Mapping[str, Any]) -> list[Call]:
        """One call per destination, persisted, then started. ``config`` holds the parsed
        ``POST Call/`` parameters (Plivo names) plus ``public_base`` and ``main_auth_id`` (whose
        calls per second pace them: :mod:`plivo_blocks.sandbox.call_queue`)."""
        calls: list[Call] = []
        for to in destinations:
            call = Call(
                clock=self.clock,
                uuid=new_uuid(),
                request_uuid=new_uuid(),
                owner=owner,
                direction="outbound",
                from_=str(config["from"]),
                to=to,
                caller_name=str(config.get("caller_name") or ""),
                answer_url=str(config["answer_url"]),
                answer_method=str(config.get("answer_method") or "POST"),
                ring_url=config.get("ring_url"),
                ring_method=str(config.get("ring_method") or "POST"),
                hangup_url=config.get("hangup_url"),
                hangup_method=str(config.get("hangup_method") or "POST"),
                fallback_url=config.get("fallback_url"),
                fallback_method=str(config.get("fallback_method") or "POST"),
                time_limit=float(config.get("time_limit") or 14400),
                hangup_on_ring=config.get("hangup_on_ring"),
                ring_timeout=int(config.get("ring_timeout") or 120),
                sip_headers=dict(config.get("sip_headers") or {}),
                parent_call_uuid=config.get("parent_call_uuid"),
                send_digits=config.get("send_digits"),
                public_base=str(config.get("public_base") or ""),
                rate=rate_for("outbound", to),
                initiated_at=self.clock.now(),
            )
            calls.append(call)
        await self.store.transaction(lambda tx: self._insert_all(tx, calls))
        for call in calls:
            self.calls[call.uuid] = call
            self.requests[call.request_uuid] = call.uuid
            self.spawn(call, self.call_queue.admit(str(config.get("main_auth_id") or owner)))
        return calls

    async def receive_call(
        self, owner: str, from_: str, to: str, application: Mapping[str, Any], public_base: str
    ) -> Call:
        """A simulated inbound call to ``to`` (a rented number) answered by ``application``."""
        call_uuid = new_uuid()
        answer_url = str(application.get("answer_url") or "")
        call = Call(
            clock=self.clock,
            uuid=call_uuid,
            request_uuid=call_uuid,
            owner=owner,
            direction="inbound",
            from_=from_,
            to=to,
            caller_name=from_,
            answer_url=answer_url,
            answer_method=str(application.get("answer_method") or "POST"),
            hangup_url=str(application.get("hangup_url") or answer_url) or None,
            hangup_method=str(application.get("hangup_method") or "POST"),
            fallback_url=str(application.get("fallback_answer_url") or "") or None,
            fallback_method=str(application.get("fallback_method") or "POST"),
            public_base=public_base,
            rate=rate_for("inbound", to),
            initiated_at=self.clock.now(),
        )
        await self.store.transaction(lambda tx: self._insert_all(tx, [call]))
        self.calls[call.uuid] = call
        self.spawn(call)
        return call

    def _insert_all(self, tx: Tx, calls: Iterable[Call]) -> None:
        for call in calls:
            tx.insert(CALL, call.uuid, call.owner, self._document(call))

    # -- the call's life -------------------------------------------------------------------

    async def _run(self, call: Call, starts_at: float | None = None) -> None:
        try:
            if starts_at is not None and starts_at > self.clock.now():  # queued: calls per second
                call.note("queued", until=round(starts_at, 3))
                await call.sleep(starts_at - self.clock.now())
            await self._ring(call)
            await self._answer(call)
            instructions = await self._load(
                call, call.answer_url, call.answer_method, "answer", {"Event": "StartApp"}
            )
            await self._execute(call, instructions)
            await self.hangup(call, END_OF_XML)
        except CallEnded:
            pass
        except Exception:
            log.exception("call %s failed in the sandbox", call.uuid)
            await self.hangup(call, INTERNAL_ERROR)

    async def _ring(self, call: Call) -> None:
        settings = self.settings
        call.status, call.activity = RINGING, "ringing"
        call.note("ringing")
        await self._save(call)
        call.check()
        await self.send(
            call.ring_url,
            call.ring_method,
            self.params(call, Event="Ring"),
            auth_id=call.owner,
            kind="ring",
            ref=call.uuid,
        )
        if call.hangup_on_ring is not None:
            if call.hangup_on_ring <= 0:
                await self.hangup(call, TIME_LIMIT)
                raise CallEnded
            self._start_timer(call, float(call.hangup_on_ring), lambda: self._hang_up_later(call, TIME_LIMIT))
        if settings.call_hold_state == "ringing" or call.held:
            call.held, call.activity = True, "held ringing"
            with contextlib.suppress(Skipped):
                await call.park()
            call.held = False
            outcome = call.advance_to or "answered"
            if outcome != "answered":
                await self.hangup(call, _unanswered_cause(outcome))
                raise CallEnded
            return
        ring_seconds = settings.call_ring_seconds
        if ring_seconds > 0:
            if call.ring_timeout < ring_seconds:
                await call.sleep(call.ring_timeout)
                await self.hangup(call, _unanswered_cause("ring-timeout"))
                raise CallEnded
            await call.sleep(ring_seconds)

    async def _answer(self, call: Call) -> None:
        call.check()
        call.status, call.activity = IN_PROGRESS, "answered"
        call.answered_at = self.clock.now()
        self.requests.pop(call.request_uuid, None)
        call.note("answered")
        await self._save(call)
        self._start_timer(call, call.time_limit, lambda: self._hang_up_later(call, TIME_LIMIT))
        if call.send_digits:
            call.note("send_digits", digits=call.send_digits)
        if self.settings.call_answer_seconds > 0:
            await call.sleep(self.settings.call_answer_seconds)

    async def _load(
        self, call: Call, url: str, method: str, kind: str, extra: Mapping[str, str] | None = None
    ) -> list[px.Instruction]:
        """Fetch XML for ``call`` and parse it; on failure try ``fallback_url`` (for the answer) or
        hang up with Plivo's cause for that kind of URL."""
        call.documents += 1
        if call.documents > MAX_DOCUMENTS:
            await self.hangup(call, XML_ERRORS[kind])
            raise CallEnded
        params = {**self.params(call), **(extra or {})}
        attempts = [(url, method, kind)]
        if kind == "answer" and call.fallback_url:
            # Tries of the answer_url follow its callback policy (Plivo: one retry on connection
            # failures and timeouts), then Plivo turns to fallback_url.
            attempts.append((call.fallback_url, call.fallback_method, "fallback"))
        cause: HangupCause = URL_ERRORS[kind]
        for attempt_url, attempt_method, attempt_kind in attempts:
            call.activity = f"fetching {attempt_kind} URL"
            try:
                callback = Callback.of(
                    attempt_url, attempt_method, params, auth_id=call.owner, kind=attempt_kind, ref=call.uuid
                )
                result = await call.io(self.outbox.fetch(callback))
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
        await self.hangup(call, cause)
        raise CallEnded

    async def _execute(self, call: Call, instructions: list[px.Instruction]) -> None:
        current: list[px.Instruction] | None = instructions
        transfer: tuple[str, str] | None = None
        while True:
            try:
                if current is None:
                    assert transfer is not None
                    current = await self._load(call, transfer[0], transfer[1], "transfer")
                following: list[px.Instruction] | None = None
                for step in current:
                    following = await self._step(call, step)
                    if following is not None:
                        break
                if following is None:
                    return
                current = following
            except Transferred as moved:
                call.note("transferred", url=moved.url)
                current, transfer = None, (moved.url, moved.method)

    async def _step(self, call: Call, step: px.Instruction) -> list[px.Instruction] | None:
        """Run one instruction; answer the next document when it moves the call elsewhere."""
        call.check()
        if isinstance(step, px.Speak | px.Play | px.Wait):
            await self._media(call, step)
            return None
        if isinstance(step, px.GetDigits):
            return await self._get_digits(call, step)
        if isinstance(step, px.Record):
            return await self._record(call, step)
        if isinstance(step, px.Conference):
            return await self._conference(call, step)
        if isinstance(step, px.Redirect):
            call.note("redirect", url=step.url)
            return await self._load(call, step.url, step.method, "redirect", {"Event": "Redirect"})
        if isinstance(step, px.Hangup):
            if step.schedule > 0:
                self._start_timer(call, float(step.schedule), lambda: self._hang_up_later(call, TIME_LIMIT))
                call.note("hangup_scheduled", seconds=step.schedule)
                return None
            call.note("hangup", reason=step.reason)
            await self.hangup(call, NORMAL_XML)
            raise CallEnded
        call.note("skipped", verb=step.tag)
        return None

    async def _media(self, call: Call, step: px.Speak | px.Play | px.Wait) -> None:
        if isinstance(step, px.Speak):
            call.activity = "speaking"
            call.note("speak", text=step.text, voice=step.voice, language=step.language)
            loops, seconds = step.loop, speak_seconds(step.text)
        elif isinstance(step, px.Play):
            call.activity = "playing"
            call.note("play", url=step.url)
            loops, seconds = step.loop, PLAY_SECONDS
        else:
            call.activity = "waiting"
            call.note("wait", length=step.length)
            loops, seconds = 1, float(step.length)
        if loops == 0:  # loop forever: until the call is hung up, moved or advanced
            with contextlib.suppress(Skipped):
                await call.park()
            return
        await call.sleep(seconds * loops)

    async def _get_digits(self, call: Call, step: px.GetDigits) -> list[px.Instruction] | None:
        digits: str | None = None
        for attempt in range(1, step.retries + 1):
            for prompt in step.prompts:
                await self._media(call, prompt)
            try:
                digits = await self._collect_digits(call, step)
            except Skipped:
                digits = None
                break
            call.note("digits", attempt=attempt, digits=digits)
            if digits:
                break
        if not digits:
            return None
        if step.action is None:
            return None
        params = {"Digits": digits}
        if step.redirect:
            return await self._load(call, step.action, step.method, "action", params)
        await self.send(
            step.action,
            step.method,
            {**self.params(call), **params},
            auth_id=call.owner,
            kind="action",
            ref=call.uuid,
        )
        return None

    async def _collect_digits(self, call: Call, step: px.GetDigits) -> str | None:
        """Digits typed (``POST Call/{uuid}/DTMF/``) until ``numDigits``, ``finishOnKey`` or a timeout.
        ``None`` when an invalid key was pressed."""
        call.typed.clear()
        call.activity = "waiting for digits"
        collected = ""
        timeout = float(step.timeout)
        while True:
            if not call.typed:
                try:
                    await call.park(timeout, waiting_for="digits")
                except WaitTimeout:
                    return collected
            burst = "".join(call.typed)
            call.typed.clear()
            for key in burst:
                if step.finish_on_key and key in step.finish_on_key:
                    return collected
                if key not in step.valid_digits:
                    return None
                collected += key
                if len(collected) >= step.num_digits:
                    return collected
            timeout = float(step.digit_timeout)

    async def _record(self, call: Call, step: px.Record) -> list[px.Instruction] | None:
        recording = self.recorder.start(
            owner=call.owner,
            recording_type="call",
            file_format=step.file_format,
            public_base=call.public_base,
            clock=call.seconds(),
            call_uuid=call.uuid,
            time_limit=float(step.max_length),
            callback_url=step.callback_url,
            callback_method=step.callback_method,
            callback_style="xml_record",
        )
        recording.extra = {**self.params(call)}
        if step.record_session or step.start_on_dial_answer:
            call.recordings[recording.id] = recording
            call.note("record_session", recording_id=recording.id)
            return None
        call.activity = "recording"
        call.note("record", recording_id=recording.id)
        seconds = float(min(step.timeout, step.max_length))
        await call.sleep(seconds)
        await self.recorder.save(recording, seconds)
        if step.action is None:
            return None
        duration_ms = round(seconds * 1000)
        params = record_params(
            recording, duration_ms, recording.started_ms, recording.started_ms + duration_ms
        )
        if step.redirect:
            return await self._load(call, step.action, step.method, "action", params)
        await self.send(
            step.action,
            step.method,
            {**self.params(call), **params},
            auth_id=call.owner,
            kind="action",
            ref=call.uuid,
        )
        return None

    async def _conference(self, call: Call, step: px.Conference) -> list[px.Instruction] | None:
        member = await self.bridge.join(call, step)
        call.activity = "answered"
        if member is None:
            return None
        if member.leave_reason == HANGUP:
            raise CallEnded
        call.check()
        if step.action is None:
            return None
        params = self.bridge.action_params(member)
        if step.redirect:
            return await self._load(call, step.action, step.method, "action", params)
        await self.send(
            step.action,
            step.method,
            {**self.params(call), **params},
            auth_id=call.owner,
            kind="action",
            ref=call.uuid,
        )
        return None

    # -- timers ----------------------------------------------------------------------------

    def _start_timer(self, call: Call, seconds: float, action: Callable[[], object]) -> None:
        call.timers.append(self.clock.call_later(seconds, action))

    def _cancel_timers(self, call: Call) -> None:
        for timer in call.timers:
            timer.cancel()
        call.timers.clear()

    def _hang_up_later(self, call: Call, cause: HangupCause) -> None:
        """A timer's action: hang ``call`` up as tracked work."""
        if not call.ended:
            self.clock.spawn(self.hangup(call, cause))

    # -- ending ----------------------------------------------------------------------------

    async def hangup(self, call: Call, cause: HangupCause) -> None:
        """End ``call`` (idempotent): write its detail record and notify ``hangup_url``."""
        if call.ended:
            return
        call.ended_at = self.clock.now()
        clock = call.seconds()
        call.ended, call.cause = True, cause
        call.status = cause.status or (COMPLETED if call.answered else CANCELED)
        call.activity = "ended"
        call.note("hangup", cause=cause.name, source=cause.source)
        self.calls.pop(call.uuid, None)
        self.requests.pop(call.request_uuid, None)
        call.raise_interruption(CallEnded())
        self._cancel_timers(call)
        await self.bridge.remove_call(call)
        for recording in list(call.recordings.values()):
            call.recordings.pop(recording.id, None)
            await self.recorder.finish(recording, clock)
        call.duration = round(clock) if call.answered else 0
        await self._save(call)
        self._save_locks.pop(call.uuid, None)
        self.events.publish(
            "call",
            f"call {call.direction} {call.from_} -> {call.to}: {cause.name}",
            ref=call.uuid,
            auth_id=call.owner,
            status=call.status,
        )
        url = call.hangup_url or call.answer_url
        await self.send(
            url,
            call.hangup_method,
            self.hangup_params(call),
            auth_id=call.owner,
            kind="hangup",
            ref=call.uuid,
        )

    # -- actions on live calls (API and control API) ---------------------------------------

    def transfer(self, call: Call, url: str, method: str) -> None:
        call.raise_interruption(Transferred(url, method))

    def send_digits(self, call: Call, digits: str) -> bool:
        """Feed typed digits to a waiting ``GetDigits``; answers whether one was waiting."""
        call.note("dtmf", digits=digits)
        if call.waiting_for != "digits":
            return False
        call.typed.append(digits)
        call.wake()
        return True

    def advance(self, call: Call, to: str = "answered") -> bool:
        """Stop the call's current wait (a ringing hold, GetDigits, a conference, an endless loop)."""
        if call.ended or not (call.blocked or call.held):
            return False
        call.advance_to = to
        call.raise_interruption(Skipped())
        return True

    async def start_recording(
        self,
        call: Call,
        *,
        file_format: str,
        time_limit: float,
        callback_url: str | None,
        callback_method: str,
        api_id: str,
    ) -> ActiveRecording:
        recording = self.recorder.start(
            owner=call.owner,
            recording_type="call",
            file_format=file_format,
            public_base=call.public_base,
            clock=call.seconds(),
            call_uuid=call.uuid,
            time_limit=time_limit,
            callback_url=callback_url,
            callback_method=callback_method,
            callback_style="api_call",
            api_id=api_id,
        )
        call.recordings[recording.id] = recording
        call.note("record_start", recording_id=recording.id)
        self._start_timer(call, time_limit, lambda: self.clock.spawn(self.stop_recording(call, recording)))
        return recording

    async def stop_recording(self, call: Call, recording: ActiveRecording) -> None:
        if call.recordings.pop(recording.id, None) is None:
            return
        call.note("record_stop", recording_id=recording.id)
        await self.recorder.finish(recording, call.seconds())

    async def stop_recordings(self, call: Call, url: str | None = None) -> int:
        chosen = [r for r in call.recordings.values() if url is None or r.url == url]
        for recording in chosen:
            await self.stop_recording(call, recording)
        return len(chosen)

    # -- reading -----------------------------------------------------------------------------

    def live_calls(self, owners: Iterable[str]) -> list[Call]:
        allowed = set(owners)
        return [c for c in self.calls.values() if c.owner in allowed and not c.ended]

    def live_call(self, call_uuid: str, owners: Iterable[str]) -> Call | None:
        call = self.calls.get(call_uuid)
        if call is None or call.ended or call.owner not in set(owners):
            return None
        return call

    def call_for_request(self, request_uuid: str, owners: Iterable[str]) -> Call | None:
        call_uuid = self.requests.get(request_uuid)
        return self.live_call(call_uuid, owners) if call_uuid else None

    def params(self, call: Call, **extra: str) -> dict[str, str]:
        """The parameters every request about ``call`` carries."""
        params = {
            "CallUUID": call.uuid,
            "From": call.from_,
            "To": call.to,
            "Direction": call.direction,
            "CallStatus": call.status,
            "CallerName": call.caller_name,
            "ALegUUID": call.uuid,
            "ALegRequestUUID": call.request_uuid,
            "RequestUUID": call.request_uuid,
            "SessionStart": _session_time(call),
        }
        if call.parent_call_uuid:
            params["ParentCallUUID"] = call.parent_call_uuid
        params.update({f"X-PH-{k}": v for k, v in call.sip_headers.items()})
        params.update(extra)
        return params

    def hangup_params(self, call: Call) -> dict[str, str]:
        cause = call.cause or END_OF_XML
        amounts = self._amounts(call)
        return {
            **self.params(call, Event="Hangup"),
            "Duration": str(call.duration),
            "BillDuration": str(call.duration),
            "HangupCause": cause.sip,
            "HangupCauseCode": str(cause.code),
            "HangupCauseName": cause.name,
            "HangupSource": cause.source,
            "StartTime": format_time(call.initiated).split("+")[0],
            "AnswerTime": format_time(call.answered).split("+")[0] if call.answered else "",
            "EndTime": format_time(call.ended_time).split("+")[0] if call.ended_time else "",
            "BillRate": call.rate,
            "TotalCost": amounts["total_amount"],
        }

    # -- documents -------------------------------------------------------------------------

    def _amounts(self, call: Call) -> dict[str, Any]:
        billed = 60 * math.ceil(call.duration / 60) if call.duration > 0 else 0
        amount = Decimal(call.rate) * Decimal(billed) / Decimal(60)
        return {
            "bill_duration": call.duration,
            "billed_duration": billed,
            "call_duration": call.duration,
            "total_amount": tariffs.format_rate(amount),
            "total_rate": call.rate,
        }

    def _document(self, call: Call) -> dict[str, Any]:
        cause = call.cause
        return {
            "answer_time": format_time(call.answered) if call.answered else None,
            **self._amounts(call),
            "call_direction": call.direction,
            "call_uuid": call.uuid,
            "end_time": format_time(call.ended_time) if call.ended_time else None,
            "from_number": _plus(call.from_),
            "initiation_time": format_time(call.initiated),
            "parent_call_uuid": call.parent_call_uuid,
            "resource_uri": f"/v1/Account/{call.owner}/Call/{call.uuid}/",
            "to_number": call.to,
            "hangup_cause_name": cause.name if cause else None,
            "hangup_cause_code": cause.code if cause else None,
            "hangup_source": cause.source if cause else None,
            "_live": not call.ended,
            "_status": call.status,
            "_request_uuid": call.request_uuid,
            "_caller_name": call.caller_name,
            "_from": call.from_.lstrip("+"),
            "_to": call.to.lstrip("+"),
            "_start": call.initiated_at,
            "_end": call.ended_at,
            "_log": list(call.log) if call.ended else [],
        }

    async def _save(self, call: Call) -> None:
        lock = self._save_locks.setdefault(call.uuid, asyncio.Lock())
        async with lock:
            # The snapshot is taken inside the lock, so the last write always holds the latest state.
            data = self._document(call)
            await self.store.update(CALL, call.uuid, data)


def _unanswered_cause(outcome: str) -> HangupCause:
    return {
        "busy": BUSY_LINE,
        "no-answer": NO_ANSWER_CAUSE,
        "failed": UNREACHABLE,
        "rejected": REJECTED,
        "ring-timeout": RING_TIMEOUT,
    }[outcome]


__all__ = ["ADVANCE_TARGETS", "CALL", "CDR_FIELDS", "QUEUED", "VoiceEngine", "rate_for", "speak_seconds"]
