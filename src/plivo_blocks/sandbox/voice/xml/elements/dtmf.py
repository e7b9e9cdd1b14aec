"""``<DTMF>``: sends tones on the call. The digits are the element's text: 0-9, * and #, with ``w``
(wait 0.5 s) and ``W`` (wait 1 s). ``async`` (default true) lets the next element start while the
tones are still being sent."""

from __future__ import annotations

import re
from dataclasses import dataclass

from plivo_blocks.sandbox.voice.xml.rules import Boolean
from plivo_blocks.sandbox.voice.xml.spec import Attr, ElementSpec, Parsed

DIGITS = re.compile(r"[0-9*#wW]+")


@dataclass(frozen=True, slots=True)
class DTMF:
    digits: str
    async_: bool = True


def _digits_problem(parsed: Parsed) -> str | None:
    if DIGITS.fullmatch(parsed.text.replace(" ", "")):
        return None
    return f"digits {parsed.text!r} must be among 0-9, *, # and w or W (a pause)"


DTMF_SPEC = ElementSpec(
    "DTMF",
    lambda p: DTMF(p.text.replace(" ", ""), p["async"]),
    attrs=(Attr("async", Boolean(), True),),
    content="text",
    check=_digits_problem,
)

SPECS = (DTMF_SPEC,)
