"""The voice engine (``state.voice``): the sandbox's live calls, and everything done to them.

It owns the registry of live calls and builds the parts that run them: the
:class:`~.lifecycle.CallLifecycle` (a call's life), the :class:`~.documents.DocumentLoader` (its
XML), the :class:`~.conferences.ConferenceBridge` and the :class:`~.recordings.Recorder`. It is the
:class:`~.services.CallControl` those parts are given, and the API and control routes act on calls
through its methods (hang up, transfer, digits, recordings). A call ends in :meth:`VoiceEngine.hangup`,
which writes its detail record (:mod:`.cdr`) and notifies ``hangup_url``.

All runtime state lives on the event loop (no locks); documents are written through the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

from plivo_blocks.sandbox.call_queue import CallQueue
from plivo_blocks.sandbox.clock import SandboxClock
from plivo_blocks.sandbox.events import EventBus
from plivo_blocks.sandbox.ids import new_uuid
from plivo_blocks.sandbox.messaging import MessageCenter
from plivo_blocks.sandbox.models.applications import Application
from plivo_blocks.sandbox.models.base import insert, load_all, save, stored_fields
from plivo_blocks.sandbox.settings import SandboxSettings
from plivo_blocks.sandbox.store import ANY_OWNER, Store, Tx
from plivo_blocks.sandbox.times import format_time
from plivo_blocks.sandbox.voice.amd import MachineDetection
from plivo_blocks.sandbox.voice.call import Call, CallEnded, Skipped, Transferred
from plivo_blocks.sandbox.voice.caller import CallerInput
from plivo_blocks.sandbox.voice.causes import CANCEL, COMPLETED, END_OF_XML, SANDBOX_RESTART, HangupCause
from plivo_blocks.sandbox.voice.cdr import CallRecord, amounts, rate_for
from plivo_blocks.sandbox.voice.conferences import ConferenceBridge
from plivo_blocks.sandbox.voice.dialer import Dialer
from plivo_blocks.sandbox.voice.documents import DocumentLoader
from plivo_blocks.sandbox.voice.lifecycle import CallLifecycle
from plivo_blocks.sandbox.voice.live_media import LiveMedia
from plivo_blocks.sandbox.voice.multiparty import MultiPartyBridge
from plivo_blocks.sandbox.voice.phones import PhoneBook
from plivo_blocks.sandbox.voice.playback import AudioLengths
from plivo_blocks.sandbox.voice.recordings import ActiveRecording, Recorder
from plivo_blocks.sandbox.voice.streams import StreamHub
from plivo_blocks.sandbox.voice.verbs.context import VerbContext
from plivo_blocks.sandbox.webhooks import Callback, Outbox

__all__ = ["VoiceEngine"]


class VoiceEngine:
    def __init__(
        self,
        store: Store,
        clock: SandboxClock,
        settings: SandboxSettings,
        outbox: Outbox,
        events: EventBus,
        messages: MessageCenter,
        *,
        call_queue: CallQueue | None = None,
    ) -> None:
        self.store = store
        self._clock = clock
        self.call_queue = call_queue or CallQueue(clock, settings)
        self.settings = settings
        self.outbox = outbox
        self.events = events
        self.calls: dict[str, Call] = {}
        self.requests: dict[str, str] = {}  # request_uuid -> call_uuid, while the call is live
        self.recorder = Recorder(store, clock, settings, outbox)
        self.documents = DocumentLoader(outbox, self)
        self.bridge = ConferenceBridge(self, self.recorder, self.documents)
        self.audio = AudioLengths(outbox)
        self.live_media = LiveMedia(self, self.audio)
        self.phones = PhoneBook()
        self.caller = CallerInput(self.phones, clock)
        self.dialer = Dialer(self, self.caller, outbox, settings, follow=self._follow_transfer)
        self.streams = StreamHub(self, self._sign_stream)
        self.multiparty = MultiPartyBridge(self, self.recorder)
        context = VerbContext(
            self,
            clock,
            settings,
            events,
            self.documents,
            self.bridge,
            self.recorder,
            messages,
            self.audio,
            caller=self.caller,
            dialer=self.dialer,
            streams=self.streams,
            multiparty=self.multiparty,
        )
        self.lifecycle = CallLifecycle(context)
        self._save_locks: dict[str, asyncio.Lock] = {}

    def __repr__(self) -> str:
        return f"VoiceEngine(live={len(self.calls)}, conferences={len(self.bridge.rooms)})"

    @property
    def clock(self) -> SandboxClock:
        return self._clock

    # -- lifecycle of the part -------------------------------------------------------------

    async def start(self) -> None:
        """Calls still live in the store were cut by a stop of the sandbox: close their records."""
        live = stored_fields(CallRecord, {"live": True})
        stale = await self.store.transaction(lambda tx: load_all(tx, CallRecord, ANY_OWNER, live))
        for record in stale:
            await self._save_record(record.closed(SANDBOX_RESTART, self._clock.now()))

    async def _save_record(self, record: CallRecord) -> None:
        await self.store.transaction(lambda tx: save(tx, record))

    async def stop(self) -> None:
        """Forget live calls (their tasks are tracked work, which the clock cancels)."""
        await self.streams.stop_all()
        for call in self.calls.values():
            self._cancel_timers(call)
        self.calls.clear()
        self.requests.clear()
        self.bridge.rooms.clear()
        self.phones.clear()
        self.dialer.clear()
        self.multiparty.calls.clear()

    # -- creating calls --------------------------------------------------------------------

    async def place_calls(self, owner: str, destinations: list[str], config: Mapping[str, Any]) -> list[Call]:
        """One call per destination, persisted, then started. ``config`` holds the parsed
        ``POST Call/`` parameters (Plivo names) plus ``public_base`` and ``main_auth_id`` (whose
        calls per second pace them: :mod:`plivo_blocks.sandbox.call_queue`)."""
        calls = [self._outbound(owner, to, config) for to in destinations]
        await self.store.transaction(lambda tx: self._insert_all(tx, calls))
        for call in calls:
            # Plivo queues outbound calls and starts them at the account's calls per second.
            call.starts_at = self.call_queue.admit(str(config.get("main_auth_id") or owner))
            self._start(call)
        return calls

    def _outbound(self, owner: str, to: str, config: Mapping[str, Any]) -> Call:
        return Call(
            clock=self._clock,
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
            initiated_at=self._clock.now(),
            source_ip=str(config.get("source_ip") or ""),
            main_auth_id=str(config.get("main_auth_id") or owner),
            amd=MachineDetection.of(config),
        )

    async def receive_call(
        self,
        owner: str,
        from_: str,
        to: str,
        application: Application,
        public_base: str,
        *,
        source_ip: str = "",
    ) -> Call:
        """A simulated inbound call to ``to`` (a rented number) answered by ``application``."""
        call_uuid = new_uuid()
        answer_url = application.answer_url
        call = Call(
            clock=self._clock,
            uuid=call_uuid,
            request_uuid=call_uuid,
            owner=owner,
            direction="inbound",
            from_=from_,
            to=to,
            caller_name=from_,
            answer_url=answer_url,
            answer_method=application.answer_method,
            hangup_url=application.hangup_url or answer_url or None,
            hangup_method=application.hangup_method,
            fallback_url=application.fallback_answer_url or None,
            fallback_method=application.fallback_method,
            public_base=public_base,
            rate=rate_for("inbound", to),
            initiated_at=self._clock.now(),
            source_ip=source_ip,
        )
        await self.store.transaction(lambda tx: self._insert_all(tx, [call]))
        self._start(call)
        return call

    def _insert_all(self, tx: Tx, calls: Iterable[Call]) -> None:
        for call in calls:
            insert(tx, CallRecord.of(call))

    async def register(self, call: Call) -> None:
        """A call made by a part (a Dial's B leg): persisted and live; the part runs it."""
        await self.store.transaction(lambda tx: self._insert_all(tx, [call]))
        self._track(call)

    async def _follow_transfer(self, call: Call, url: str, method: str) -> None:
        await self.lifecycle.follow(call, url, method)

    def _track(self, call: Call) -> None:
        self.calls[call.uuid] = call
        self.requests[call.request_uuid] = call.uuid
        call.on_note = self._announce

    def _announce(self, call: Call, entry: dict[str, Any]) -> None:
        """One event per step of a call (the console prints a line for each; the inspector's call
        page updates on it). The hangup has its own event, with the cause."""
        if entry["event"] == "hangup":
            return
        details = " ".join(
            f"{key}={value}"
            for key, value in entry.items()
            if key not in ("event", "at") and value not in (None, "")
        )
        self.events.publish(
            "call",
            f"call {call.uuid[:8]} {entry['event']}" + (f" {details}" if details else ""),
            ref=call.uuid,
            auth_id=call.owner,
            step=entry["event"],
        )

    def _start(self, call: Call) -> None:
        self._track(call)
        call.task = self._clock.spawn(self.lifecycle.run(call), name=f"call {call.uuid}")

    async def _sign_stream(self, url: str, method: str, auth_id: str) -> dict[str, str]:
        return await self.outbox.signature_headers(url, method, auth_id=auth_id)

    # -- CallControl -----------------------------------------------------------------------

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
        if url:
            await self.outbox.send(Callback.of(url, method, params, auth_id=auth_id, kind=kind, ref=ref))

    async def save(self, call: Call) -> None:
        lock = self._save_locks.setdefault(call.uuid, asyncio.Lock())
        async with lock:
            # The snapshot is taken inside the lock, so the last write always holds the latest state.
            await self._save_record(CallRecord.of(call))

    def params(self, call: Call, **extra: str) -> dict[str, str]:
        params = {
            "CallUUID": call.uuid,
            "From": call.from_,
            "To": call.to,
            "Direction": call.direction,
            "CallStatus": call.status,
            "CallerName": call.caller_name,
            "RequestUUID": call.request_uuid,
            "SessionStart": call.initiated.strftime("%Y-%m-%d %H:%M:%S.%f"),
        }
        if call.direction == "outbound":  # Plivo: ALeg fields are "not present for inbound calls"
            params["ALegUUID"], params["ALegRequestUUID"] = call.uuid, call.request_uuid
        if call.parent_call_uuid:
            params["ParentCallUUID"] = call.parent_call_uuid
        if call.machine is not None:
            params["Machine"] = "true" if call.machine else "false"
        params.update({f"X-PH-{k}": v for k, v in call.sip_headers.items()})
        params.update(extra)
        return params

    async def hangup(self, call: Call, cause: HangupCause) -> None:
        """End ``call`` (idempotent): write its detail record and notify ``hangup_url``."""
        if call.ended:
            return
        call.ended_at = self._clock.now()
        seconds = call.seconds()
        call.ended, call.cause = True, cause
        # Plivo reports an incoming call as ringing, in-progress or completed, never cancelled.
        answered_or_inbound = call.answered or call.direction == "inbound"
        call.status = cause.status or (COMPLETED if answered_or_inbound else CANCEL)
        call.activity = "ended"
        call.note("hangup", cause=cause.name, source=cause.source)
        self.calls.pop(call.uuid, None)
        self.requests.pop(call.request_uuid, None)
        call.raise_interruption(CallEnded())
        self._cancel_timers(call)
        self.live_media.forget(call)
        await self.bridge.remove_call(call)
        await self.streams.call_ended(call)
        await self.multiparty.remove_call(call)
        for recording in list(call.recordings.values()):
            call.recordings.pop(recording.id, None)
            await self.recorder.finish(recording, seconds)
        call.duration = round(seconds) if call.answered else 0
        await self.save(call)
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

    def hangup_params(self, call: Call) -> dict[str, str]:
        cause = call.cause or END_OF_XML
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
            "TotalCost": amounts(call)["total_amount"],
        }

    def _cancel_timers(self, call: Call) -> None:
        for timer in call.timers:
            timer.cancel()
        call.timers.clear()

    # -- actions on live calls (API and control API) ---------------------------------------

    def transfer(self, call: Call, url: str, method: str) -> None:
        self.dialer.release(call)
        call.raise_interruption(Transferred(url, method))

    def bridged_leg(self, call: Call) -> Call | None:
        """The other leg of ``call``'s connected Dial (its ``bleg`` for the live-call APIs)."""
        return self.dialer.partner(call)

    def press(self, call: Call, digits: str) -> bool:
        """The other party presses keys (answers whether the call's current wait took them); the
        call's audio streams hear them too, as ``dtmf`` messages."""
        self._clock.spawn(self.streams.dtmf(call, digits))
        return self.caller.press(call, digits)

    def say(self, call: Call, text: str) -> bool:
        """The other party says words (answers whether the call's current wait took them)."""
        return self.caller.say(call, text)

    def send_tones(self, call: Call, digits: str) -> None:
        """``POST Call/{uuid}/DTMF/``: tones played to ``call``'s party; not the caller's keypresses."""
        call.note("dtmf_sent", digits=digits)

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
            recording_type="normal",
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
        stop = self._clock.call_later(
            time_limit, lambda: self._clock.spawn(self.stop_recording(call, recording))
        )
        call.timers.append(stop)
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

    def play_on_call(self, call: Call, urls: list[str], *, length: float | None, loop: bool) -> None:
        """``POST Call/{uuid}/Play/``: the files play (and hold the XML) once measured."""
        call.playing = urls
        self._clock.spawn(
            self.live_media.play(call, urls, length=length, loop=loop), name=f"play {call.uuid}"
        )

    def speak_on_call(self, call: Call, text: str, *, loop: bool) -> None:
        call.speaking = text
        self.live_media.speak(call, text, loop=loop)

    def stop_media(self, call: Call) -> None:
        self.live_media.stop(call)

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
        """The call of a request, while it is live."""
        call_uuid = self.requests.get(request_uuid)
        return self.live_call(call_uuid, owners) if call_uuid else None
