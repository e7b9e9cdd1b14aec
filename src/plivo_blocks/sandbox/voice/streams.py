"""Audio streams (``<Stream>``): the sandbox connects to the WebSocket server and speaks Plivo's
audio-stream protocol (:mod:`.stream_protocol`) to it, on the sandbox clock.

A stream's life: the handshake (signed like every Plivo request: ``X-Plivo-Signature-V2``/``-V3``
and the ``-Ma-`` twins over the URL with ``ws``/``wss`` read as ``http``/``https``, method GET, as the
official stream SDKs validate it; three tries in all, as Plivo "attempts twice" more before giving
up), the ``start`` message, then a ``media`` frame of silence per track every 20 ms of sandbox time
until it stops: at ``streamTimeout``, when the call ends (or the control API's "advance" ends a
``keepCallAlive`` stream), or when the server closes the socket. A stop by the sandbox sends ``stop``
and closes the socket normally.

Bidirectional streams take the server's ``playAudio`` (logged on the call with its length, and
played on the sandbox clock in the order received), ``checkpoint`` (answered with ``playedStream``
once every audio queued before it has played), ``clearAudio`` (drops the queued audio and its
checkpoints, answered with ``clearedAudio``) and ``sendDTMF`` (logged). Keys the caller presses
(:meth:`StreamHub.dtmf`) reach the server as ``dtmf`` messages.

``statusCallbackUrl`` gets ``StartStream``, ``StopStream`` (a stop by the sandbox, or the server
closing the socket normally) or ``DroppedStream`` (no connection, or the socket lost), with the
call's parameters, ``Event``, ``StreamID`` and the stream's settings as Plivo's docs list them
(``bidirectional``, ``audioTrack``, ``streamTimeout``, ``contentType``, ``extraHeaders``,
``keepCallAlive``).

Time: the frame pump sleeps on the sandbox clock (parked), so in ``manual`` mode frames go out as
``advance`` moves time; the socket reader parks while it waits for the server (a message wakes it at
once), so an open stream never keeps the sandbox busy.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK, WebSocketException

from plivo_blocks.sandbox.clock import SandboxClock, Timer
from plivo_blocks.sandbox.ids import new_uuid
from plivo_blocks.sandbox.voice import stream_protocol as proto
from plivo_blocks.sandbox.voice.call import Call
from plivo_blocks.sandbox.voice.services import CallControl
from plivo_blocks.sandbox.voice.xml.elements.stream import Stream

log = logging.getLogger("plivo_blocks.sandbox.voice.streams")

#: Connection tries before a stream is dropped (Plivo: "will automatically attempt twice" more).
CONNECT_TRIES = 3
#: Wall-clock bound on one handshake (I/O, not something a call waits for on the sandbox clock).
OPEN_TIMEOUT = 10.0
MAX_MESSAGE_BYTES = 8 * 1024 * 1024
#: Ended streams the control API still shows.
HISTORY = 200

CONNECTING, STREAMING, STOPPED, DROPPED = "connecting", "streaming", "stopped", "dropped"

#: ``(url, method, auth_id) -> headers``: how the handshake is signed (the outbox's signer).
Signer = Callable[[str, str, str], Awaitable[dict[str, str]]]


@dataclass
class Playback:
    """Audio from ``playAudio`` waiting to play, or a checkpoint waiting for the audio before it."""

    seconds: float = 0.0
    checkpoint: str | None = None


@dataclass(eq=False)
class AudioStream:
    """One ``<Stream>`` of a call, from the handshake to its end."""

    stream_id: str
    call: Call = field(repr=False)
    settings: Stream
    status: str = CONNECTING
    started_at: float | None = None  # sandbox epoch seconds of the start message
    ended_at: float | None = None
    end_reason: str | None = None
    sequence: int = 0
    chunks: dict[str, int] = field(default_factory=dict)
    audio_received: list[dict[str, Any]] = field(default_factory=list)
    checkpoints_played: list[str] = field(default_factory=list)
    queue: collections.deque[Playback] = field(default_factory=collections.deque)
    playing: Timer | None = field(default=None, repr=False)
    socket: ClientConnection | None = field(default=None, repr=False)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list, repr=False)
    timers: list[Timer] = field(default_factory=list, repr=False)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def ended(self) -> bool:
        return self.status in (STOPPED, DROPPED)

    def view(self) -> dict[str, Any]:
        """What the control API shows."""
        s = self.settings
        return {
            "stream_id": self.stream_id,
            "call_uuid": self.call.uuid,
            "auth_id": self.call.owner,
            "service_url": s.url,
            "status": self.status,
            "bidirectional": s.bidirectional,
            "audio_track": s.audio_track,
            "content_type": s.content_type,
            "keep_call_alive": s.keep_call_alive,
            "frames_sent": dict(self.chunks),
            "audio_received": list(self.audio_received),
            "checkpoints_played": list(self.checkpoints_played),
            "end_reason": self.end_reason,
        }


class StreamHub:
    """Every audio stream of the sandbox: started by ``<Stream>``, ended with their calls."""

    def __init__(self, control: CallControl, signer: Signer) -> None:
        self._control = control
        self._sign = signer
        self.streams: dict[str, AudioStream] = {}
        self._history: collections.deque[AudioStream] = collections.deque(maxlen=HISTORY)

    @property
    def _clock(self) -> SandboxClock:
        return self._control.clock

    # -- reading -----------------------------------------------------------------------------------

    def of_call(self, call: Call) -> list[AudioStream]:
        return [s for s in self.streams.values() if s.call is call]

    def all(self) -> list[AudioStream]:
        return [*self.streams.values(), *reversed(self._history)]

    # -- starting ------------------------------------------------------------------------------------

    def start(self, call: Call, settings: Stream) -> AudioStream:
        """Begin ``settings``'s stream for ``call`` (the handshake and the rest run in the background)."""
        stream = AudioStream(new_uuid(), call, settings, chunks=dict.fromkeys(settings.tracks, 0))
        self.streams[stream.stream_id] = stream
        call.note(
            "stream", stream_id=stream.stream_id, url=settings.url, keep_call_alive=settings.keep_call_alive
        )
        stream.tasks.append(self._clock.spawn(self._open(stream), name=f"stream {stream.stream_id}"))
        return stream

    async def _open(self, stream: AudioStream) -> None:
        socket = await self._connect(stream)
        if stream.ended:  # the call ended during the handshake
            if socket is not None:
                await socket.close()
            return
        if socket is None:
            await self._end(stream, DROPPED, "connection failed", "DroppedStream")
            return
        stream.socket = socket
        s, call = stream.settings, stream.call
        start = proto.start_message(
            call_uuid=call.uuid,
            stream_id=stream.stream_id,
            account_id=call.owner,
            tracks=s.tracks,
            encoding=s.encoding,
            sample_rate=s.sample_rate,
            extra_headers=s.extra_headers,
        )
        if not await self._send(stream, lambda sequence: start):
            return
        stream.status, stream.started_at = STREAMING, self._clock.now()
        call.note("stream_started", stream_id=stream.stream_id)
        await self._status_callback(stream, "StartStream")
        timeout = self._clock.call_later(
            float(s.stream_timeout), lambda: self._stop_later(stream, "stream timeout")
        )
        stream.timers.append(timeout)
        stream.tasks.append(self._clock.spawn(self._pump(stream), name=f"stream {stream.stream_id} media"))
        stream.tasks.append(self._clock.spawn(self._read(stream), name=f"stream {stream.stream_id} reader"))

    async def _connect(self, stream: AudioStream) -> ClientConnection | None:
        url = stream.settings.url
        signed_url = "http" + url[2:]  # ws://… -> http://…, wss://… -> https://…
        headers = await self._sign(signed_url, "GET", stream.call.owner)
        for attempt in range(1, CONNECT_TRIES + 1):
            if stream.ended:
                return None
            try:
                return await connect(
                    url,
                    additional_headers=headers,
                    open_timeout=OPEN_TIMEOUT,
                    ping_interval=None,
                    compression=None,
                    proxy=None,
                    max_size=MAX_MESSAGE_BYTES,
                )
            except (OSError, TimeoutError, WebSocketException) as exc:
                stream.call.note(
                    "stream_connect_failed", stream_id=stream.stream_id, attempt=attempt, error=str(exc)
                )
        return None

    # -- sending -------------------------------------------------------------------------------------

    async def _send(self, stream: AudioStream, build: Callable[[int], dict[str, Any]]) -> bool:
        """Send the message ``build(sequence)`` makes (sequence numbers follow the order sent);
        ``False`` when the socket is gone (the stream is then dropped)."""
        async with stream.lock:
            socket = stream.socket
            if socket is None:
                return False
            stream.sequence += 1
            message = build(stream.sequence)
            try:
                await socket.send(proto.encode(message))
            except ConnectionClosed as closed:
                lost = closed
            else:
                return True
        await self._closed_by_server(stream, lost)
        return False

    async def _pump(self, stream: AudioStream) -> None:
        """A frame of silence per track every 20 ms of sandbox time, timestamped on that clock."""
        s = stream.settings
        frame = proto.silence(s.encoding, s.sample_rate)
        assert stream.started_at is not None
        frames = 0
        while not stream.ended:
            frames += 1
            moment = stream.started_at + frames * proto.FRAME_SECONDS
            await self._clock.sleep(max(moment - self._clock.now(), 0.0))
            for track in s.tracks:
                if stream.ended:
                    return
                stream.chunks[track] += 1
                build = partial(
                    proto.media_message,
                    stream_id=stream.stream_id,
                    track=track,
                    timestamp_ms=round(moment * 1000),
                    chunk=stream.chunks[track],
                    audio=frame,
                    extra_headers=s.extra_headers,
                )
                sent = await self._send(stream, build)
                if not sent:
                    return

    async def dtmf(self, call: Call, digits: str) -> None:
        """Keys the caller pressed: a ``dtmf`` message per key on each of the call's streams."""
        for stream in self.of_call(call):
            if stream.status != STREAMING:
                continue
            for digit in digits:
                build = partial(
                    proto.dtmf_message,
                    stream_id=stream.stream_id,
                    digit=digit,
                    timestamp_ms=round(self._clock.now() * 1000),
                    extra_headers=stream.settings.extra_headers,
                )
                await self._send(stream, build)

    # -- reading the server ----------------------------------------------------------------------------

    async def _read(self, stream: AudioStream) -> None:
        socket = stream.socket
        assert socket is not None
        while not stream.ended:
            try:
                raw = await self._receive(socket)
            except ConnectionClosed as closed:
                await self._closed_by_server(stream, closed)
                return
            await self._handle(stream, raw)

    async def _receive(self, socket: ClientConnection) -> str | bytes:
        """The server's next message, waited for parked (not busy): the receive runs as an untracked
        task whose completion wakes this tracked one at once."""
        waiter = self._clock.waiter()
        receive = asyncio.ensure_future(socket.recv())
        receive.add_done_callback(waiter.wake)
        try:
            done: asyncio.Future[str | bytes] = await waiter.wait()
        finally:
            if not receive.done():
                receive.cancel()
        return done.result()

    async def _handle(self, stream: AudioStream, raw: str | bytes) -> None:
        call = stream.call
        try:
            message = proto.read_server_message(raw)
        except proto.BadMessage as exc:
            call.note("stream_bad_message", stream_id=stream.stream_id, error=str(exc))
            return
        if isinstance(message, proto.SendDTMF):
            call.note("stream_send_dtmf", stream_id=stream.stream_id, digits=message.digits)
            return
        if not stream.settings.bidirectional:
            call.note(
                "stream_message_ignored", stream_id=stream.stream_id, reason="the stream is not bidirectional"
            )
            return
        match message:
            case proto.PlayAudio():
                seconds = round(message.seconds, 3)
                entry = {
                    "content_type": message.content_type,
                    "sample_rate": message.sample_rate,
                    "bytes": len(message.audio),
                    "seconds": seconds,
                }
                stream.audio_received.append(entry)
                call.note("stream_play_audio", stream_id=stream.stream_id, **entry)
                stream.queue.append(Playback(seconds=message.seconds))
            case proto.Checkpoint():
                call.note("stream_checkpoint", stream_id=stream.stream_id, name=message.name)
                stream.queue.append(Playback(checkpoint=message.name))
            case proto.ClearAudio():
                dropped = len(stream.queue) + (1 if stream.playing is not None else 0)
                stream.queue.clear()
                if stream.playing is not None:
                    stream.playing.cancel()
                    stream.playing = None
                call.note("stream_clear_audio", stream_id=stream.stream_id, dropped=dropped)
                await self._send(stream, lambda sequence: proto.cleared_message(sequence, stream.stream_id))
                return
        await self._play_next(stream)

    async def _play_next(self, stream: AudioStream) -> None:
        """Play the queue in order on the sandbox clock: answer checkpoints whose audio has played,
        and wait for the next piece of audio to finish."""
        while stream.playing is None and stream.queue and not stream.ended:
            head = stream.queue.popleft()
            if head.checkpoint is not None:
                stream.checkpoints_played.append(head.checkpoint)
                build = partial(proto.played_message, stream_id=stream.stream_id, name=head.checkpoint)
                await self._send(stream, build)
                continue
            stream.playing = self._clock.call_later(head.seconds, lambda: self._played(stream))
            stream.timers.append(stream.playing)

    def _played(self, stream: AudioStream) -> None:
        stream.playing = None
        self._clock.spawn(self._play_next(stream))

    # -- ending ----------------------------------------------------------------------------------------

    def _stop_later(self, stream: AudioStream, reason: str) -> None:
        self._clock.spawn(self.stop(stream, reason))

    async def stop(self, stream: AudioStream, reason: str) -> None:
        """The sandbox ends the stream: ``stop``, a normal close, ``StopStream``."""
        if stream.ended:
            return
        socket = stream.socket
        if socket is not None and stream.status == STREAMING:
            with contextlib.suppress(ConnectionClosed):
                await self._send_now(
                    stream, lambda sequence: proto.stop_message(sequence, stream.stream_id, reason)
                )
        await self._end(stream, STOPPED, reason, "StopStream")
        if socket is not None:
            with contextlib.suppress(OSError, WebSocketException):
                await socket.close()

    async def _send_now(self, stream: AudioStream, build: Callable[[int], dict[str, Any]]) -> None:
        async with stream.lock:
            if stream.socket is None:
                return
            stream.sequence += 1
            await stream.socket.send(proto.encode(build(stream.sequence)))

    async def _closed_by_server(self, stream: AudioStream, closed: ConnectionClosed) -> None:
        if stream.ended:
            return
        if isinstance(closed, ConnectionClosedOK):
            await self._end(stream, STOPPED, "closed by the server", "StopStream")
        else:
            await self._end(stream, DROPPED, "connection lost", "DroppedStream")

    async def _end(self, stream: AudioStream, status: str, reason: str, event: str) -> None:
        stream.status, stream.end_reason, stream.ended_at = status, reason, self._clock.now()
        for timer in stream.timers:
            timer.cancel()
        current = asyncio.current_task()
        for task in stream.tasks:
            if task is not current and not task.done():
                task.cancel()
        self.streams.pop(stream.stream_id, None)
        self._history.append(stream)
        call = stream.call
        call.note("stream_ended", stream_id=stream.stream_id, reason=reason)
        if call.waiting_for == "stream":
            call.wake()
        await self._status_callback(stream, event)

    async def call_ended(self, call: Call) -> None:
        """The call hung up: its streams stop."""
        for stream in self.of_call(call):
            await self.stop(stream, "call hangup")

    async def stop_all(self) -> None:
        """The sandbox stops or resets: close every socket (no callbacks)."""
        for stream in list(self.streams.values()):
            stream.status, stream.end_reason = STOPPED, "sandbox stopped"
            if stream.socket is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(stream.socket.close(), 2.0)
        self.streams.clear()

    async def _status_callback(self, stream: AudioStream, event: str) -> None:
        s, call = stream.settings, stream.call
        if not s.status_callback_url:
            return
        params = {
            **self._control.params(call),
            "Event": event,
            "StreamID": stream.stream_id,
            "bidirectional": str(s.bidirectional).lower(),
            "audioTrack": s.audio_track,
            "streamTimeout": str(s.stream_timeout),
            "contentType": s.content_type,
            "extraHeaders": s.extra_headers,
            "keepCallAlive": str(s.keep_call_alive).lower(),
        }
        await self._control.send(
            s.status_callback_url,
            s.status_callback_method,
            params,
            auth_id=call.owner,
            kind="stream_status",
            ref=call.uuid,
        )
