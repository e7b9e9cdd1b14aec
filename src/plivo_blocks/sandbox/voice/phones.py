"""Scripted phones: how the other party of a call behaves, per phone number.

``PUT /_sandbox/phones/{number}`` stores a :class:`PhoneScript`; it applies wherever the sandbox
plays the other party of a call:

* the destination of ``POST Call/`` (``makeCall``) and of ``<Dial>``'s ``<Number>`` and ``<User>``:
  ``answer`` (``answer``, ``busy``, ``no-answer``, ``reject``) after ``after_seconds`` of ringing,
  ``machine`` (an answering machine, for machine detection), and what it ``says`` and ``presses``;
* the caller of a simulated inbound call (``POST /_sandbox/calls/inbound``): what it ``says`` and
  ``presses`` (its ``answer`` and ``machine`` do not apply: the caller is already on the line).

``says`` and ``presses`` answer every prompt: each time a call starts listening for speech
(``<GetInput>``) or keys (``<GetInput>``, ``<GetDigits>``, Dial's ``confirmKey``), the scripted
party speaks ``says`` or presses ``presses`` :data:`REPLY_SECONDS` later (see :mod:`.caller`).

An unscripted number answers after ``settings.call_ring_seconds`` (2 s: a short ring) and says
and presses nothing. An inbound call is not rung: Plivo answers its own numbers at once.

Scripts live in memory, on the voice engine (``state.voice.phones``): they describe the simulated
outside world for this run of the sandbox, like the clock mode or a call hold, not account data
Plivo keeps; the calls they drive do not outlive the process either; and ``/_sandbox/reset`` must
forget them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ANSWERS", "PhoneBook", "PhoneScript", "phone_key"]

#: What a scripted phone does when called.
ANSWERS = ("answer", "busy", "no-answer", "reject")
#: A script may ring for at most an hour of sandbox time (Plivo gives up long before).
MAX_AFTER_SECONDS = 3600.0
MAX_SAYS = 2000
MAX_PRESSES = 64
FIELDS = ("answer", "after_seconds", "machine", "says", "presses")

_NUMBER = re.compile(r"\d{1,20}\Z")
_SIP = re.compile(r"sip:[^\s@]+@[^\s@]+\Z")
_KEYS = re.compile(r"[0-9*#]*\Z")


def phone_key(number: str) -> str:
    """The script key of a number: digits without ``+`` (``+1 415 555-0100`` is ``14155550100``), or
    a ``sip:`` URI as written. ``ValueError`` says what a number must look like."""
    raw = number.strip()
    if raw.lower().startswith("sip:"):
        if not _SIP.match(raw):
            raise ValueError(f"number {number!r} must be a phone number or a sip:user@host URI")
        return "sip:" + raw[4:]
    digits = re.sub(r"[\s().-]", "", raw).lstrip("+")
    if not _NUMBER.match(digits):
        raise ValueError(
            f"number {number!r} must be a phone number (digits, with or without +) or a sip: URI"
        )
    return digits


@dataclass(frozen=True)
class PhoneScript:
    """How one phone behaves. ``after_seconds`` ``None`` means the sandbox's usual ring
    (``call_ring_seconds``) before an answer, and no ring before busy or reject."""

    number: str
    answer: str = "answer"
    after_seconds: float | None = None
    machine: bool = False
    says: str = ""
    presses: str = ""

    @classmethod
    def parse(cls, number: str, body: Mapping[str, Any]) -> PhoneScript:
        """A script from the control API's JSON; ``ValueError`` names the field and its rule."""
        unknown = sorted(set(body) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown field {unknown[0]!r}: a script has {', '.join(FIELDS)}")
        answer = body.get("answer", "answer")
        if answer not in ANSWERS:
            raise ValueError(f"answer must be one of {', '.join(ANSWERS)}")
        machine = body.get("machine", False)
        if not isinstance(machine, bool):
            raise ValueError("machine must be true or false")
        return cls(
            number=phone_key(number),
            answer=answer,
            after_seconds=_seconds(body.get("after_seconds")),
            machine=machine,
            says=_says(body.get("says", "")),
            presses=_presses(body.get("presses", "")),
        )

    def render(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "answer": self.answer,
            "after_seconds": self.after_seconds,
            "machine": self.machine,
            "says": self.says,
            "presses": self.presses,
        }


def _seconds(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("after_seconds must be a number of seconds")
    if not math.isfinite(value) or not 0 <= value <= MAX_AFTER_SECONDS:
        raise ValueError(f"after_seconds must be between 0 and {MAX_AFTER_SECONDS:g}")
    return float(value)


def _says(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("says must be a string")
    text = " ".join(value.split())
    if len(text) > MAX_SAYS:
        raise ValueError(f"says must be at most {MAX_SAYS} characters")
    return text


def _presses(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _KEYS.match(value) or len(value) > MAX_PRESSES:
        raise ValueError(f"presses must be keys among 0-9, * and # (at most {MAX_PRESSES})")
    return value


class PhoneBook:
    """The scripted phones of the running sandbox, by :func:`phone_key`."""

    def __init__(self) -> None:
        self._scripts: dict[str, PhoneScript] = {}

    def __repr__(self) -> str:
        return f"PhoneBook({len(self._scripts)} scripted)"

    def put(self, script: PhoneScript) -> None:
        self._scripts[script.number] = script

    def get(self, number: str) -> PhoneScript | None:
        """The script of ``number`` (any spelling :func:`phone_key` accepts), or ``None``."""
        try:
            return self._scripts.get(phone_key(number))
        except ValueError:
            return None

    def remove(self, number: str) -> bool:
        return self._scripts.pop(phone_key(number), None) is not None

    def all(self) -> list[PhoneScript]:
        return sorted(self._scripts.values(), key=lambda s: s.number)

    def clear(self) -> None:
        self._scripts.clear()
