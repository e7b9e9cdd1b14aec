"""What the other party of a call does: the keys it presses and the words it says.

The shared contract of the voice package: input reaches a call through :meth:`CallerInput.press`
and :meth:`CallerInput.say` (``VoiceEngine.press``/``say``; the control API's
``POST /_sandbox/calls/{uuid}/digits`` and ``/speech``; phone scripts). Keys are appended to
``call.typed`` and words to ``call.heard`` whatever the call is doing (a runner clears them when it
starts to listen, and input that comes during its prompts counts); the call's current wait is woken
when it takes that kind of input (``call.waiting_for`` in :data:`KEY_WAITS` or :data:`WORD_WAITS`).

Keys the ``sendDigits`` API sends are not input: they are tones played *to* a leg (the engine's
``send_tones``), as on Plivo.

Scripted replies: a runner that listens calls :meth:`CallerInput.expect`; when the other party of
the call has a phone script (:mod:`.phones`) with ``presses`` or ``says``, it presses or says them
:data:`REPLY_SECONDS` of sandbox time later. The other party is the destination of an outbound call
(``makeCall``, a Dial leg) and the caller of an inbound one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from plivo_blocks.sandbox.clock import SandboxClock, Timer
from plivo_blocks.sandbox.voice.call import Call
from plivo_blocks.sandbox.voice.phones import PhoneBook, PhoneScript

__all__ = ["KEY_WAITS", "REPLY_SECONDS", "WORD_WAITS", "CallerInput", "other_party"]

#: Waits that keys wake: GetDigits ("digits"), GetInput ("input" for dtmf speech, "digits" for dtmf),
#: a Dial (hangupOnStar, digitsMatch: "dial"), Dial's confirmKey ("confirm"), a conference
#: (hangupOnStar, digitsMatch), a recording (finishOnKey), a multi-party call (its DTMF relay).
KEY_WAITS = frozenset({"digits", "input", "dial", "confirm", "conference", "record", "multiparty"})
#: Waits that words wake: GetInput ("speech", or "input" for dtmf speech), a recording (words
#: restart its silence timeout).
WORD_WAITS = frozenset({"speech", "input", "record"})
#: A scripted party answers a prompt this many seconds after the call starts listening.
REPLY_SECONDS = 1.0
#: Input nothing read yet is kept up to this many presses or utterances (the oldest go first).
MAX_PENDING = 100


def other_party(call: Call) -> str:
    """The number the sandbox plays: the callee of an outbound call, the caller of an inbound one."""
    return call.from_ if call.direction == "inbound" else call.to


class CallerInput:
    def __init__(self, phones: PhoneBook, clock: SandboxClock) -> None:
        self._phones = phones
        self._clock = clock
        self._private: set[str] = set()  # calls listening with log="false": input is not logged

    def press(self, call: Call, digits: str) -> bool:
        """The other party presses ``digits``; answers whether the call's current wait took them."""
        call.typed.append(digits)
        del call.typed[:-MAX_PENDING]
        call.note("keys_pressed", digits=self._shown(call, digits))
        return call.waiting_for in KEY_WAITS and call.wake("keys")

    def say(self, call: Call, text: str) -> bool:
        """The other party says ``text``; answers whether the call's current wait took it."""
        words = " ".join(text.split())
        call.heard.append(words)
        del call.heard[:-MAX_PENDING]
        call.note("words_said", text=self._shown(call, words))
        return call.waiting_for in WORD_WAITS and call.wake("words")

    def script_of(self, call: Call) -> PhoneScript | None:
        return self._phones.get(other_party(call))

    def expect(self, call: Call, *, keys: bool = False, words: bool = False) -> list[Timer]:
        """The call starts listening: schedule its scripted party's reply (cancel the timers when the
        listening ends; hangup cancels them too)."""
        script = self.script_of(call)
        timers: list[Timer] = []
        if script is None:
            return timers
        if keys and script.presses:
            presses = script.presses
            timers.append(self._clock.call_later(REPLY_SECONDS, lambda: self._reply_keys(call, presses)))
        if words and script.says:
            says = script.says
            timers.append(self._clock.call_later(REPLY_SECONDS, lambda: self._reply_words(call, says)))
        call.timers.extend(timers)
        return timers

    def _reply_keys(self, call: Call, presses: str) -> None:
        if not call.ended:
            self.press(call, presses)

    def _reply_words(self, call: Call, says: str) -> None:
        if not call.ended:
            self.say(call, says)

    @contextmanager
    def unlogged(self, call: Call, private: bool) -> Iterator[None]:
        """While the block runs, ``private`` input (``log="false"``) is kept out of the call's log."""
        if not private:
            yield
            return
        self._private.add(call.uuid)
        try:
            yield
        finally:
            self._private.discard(call.uuid)

    def _shown(self, call: Call, value: str) -> str:
        return "*" * len(value) if call.uuid in self._private else value
