"""Audio played on a live call by the API (``POST Call/{uuid}/Play/`` and ``/Speak/``).

It takes time on the sandbox clock: Play the length of its files (fetched and measured, see
:mod:`.playback`; ``loop`` repeats them until the API stops them; ``length`` caps them), Speak the
text's estimate. Meanwhile the call's XML waits: the Speak, Play or Wait element running when the
API audio starts is paused for the audio's length and then resumes with the time it had left, and
an element that starts meanwhile starts after it; ``DELETE Call/{uuid}/Play/`` (or ``/Speak/``)
ends the audio and gives the XML its time back. Plivo's documents say what the API audio does to
the call's sound (``mix``), not to the element running; the sandbox keeps the element's place, so
that the XML resumes afterwards. ``playing``/``speaking`` (the live call's view) clear when the
audio ends.
"""

from __future__ import annotations

from plivo_blocks.sandbox.clock import Timer
from plivo_blocks.sandbox.voice.call import Call
from plivo_blocks.sandbox.voice.playback import AudioLengths, speak_seconds
from plivo_blocks.sandbox.voice.services import CallControl

#: What "loop until stopped" lasts at most on the sandbox clock (a call's longest life).
FOREVER = 24 * 3600.0


class LiveMedia:
    def __init__(self, control: CallControl, audio: AudioLengths) -> None:
        self._control = control
        self._audio = audio
        self._ends: dict[str, Timer] = {}

    async def play(self, call: Call, urls: list[str], *, length: float | None, loop: bool) -> None:
        seconds = 0.0
        for url in urls:
            measured = await self._audio.measure(call, url, in_call=False)
            if call.ended:
                return
            call.note("api_play_length", url=url, seconds=round(measured.seconds, 3), length=measured.source)
            seconds += measured.seconds
        if loop:
            seconds = FOREVER
        if length is not None:
            seconds = min(seconds, length)
        self._start(call, seconds, "play")

    def speak(self, call: Call, text: str, *, loop: bool) -> None:
        self._start(call, FOREVER if loop else speak_seconds(text), "speak")

    def stop(self, call: Call) -> None:
        """The API stopped its audio: the XML gets the rest of the time back."""
        now = self._control.clock.now()
        left = (call.api_media_until or now) - now
        if left > 0 and call.media_until is not None:
            call.media_until -= left
            if call.waiting_for == "media":
                call.wake()  # re-arm the element's wait for its new end
        self._end(call)

    def forget(self, call: Call) -> None:
        """The call ended (its timers are cancelled with it)."""
        self._ends.pop(call.uuid, None)

    def _start(self, call: Call, seconds: float, kind: str) -> None:
        clock = self._control.clock
        now = clock.now()
        already = max((call.api_media_until or now) - now, 0.0)
        extra = max(seconds - already, 0.0)  # new audio replaces what was still playing
        if call.media_until is not None:
            call.media_until += extra
        call.api_media_until = now + max(seconds, already)
        call.note(f"api_{kind}_holds_xml", seconds=round(seconds, 3))
        previous = self._ends.pop(call.uuid, None)
        if previous is not None:
            previous.cancel()
        timer = clock.call_at(call.api_media_until, lambda: self._end(call))
        self._ends[call.uuid] = timer
        call.timers.append(timer)

    def _end(self, call: Call) -> None:
        timer = self._ends.pop(call.uuid, None)
        if timer is not None:
            timer.cancel()
        if call.api_media_until is not None:
            call.note("api_media_end")
        call.api_media_until = None
        call.playing = []
        call.speaking = None
