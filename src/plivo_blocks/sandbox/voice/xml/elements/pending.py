"""Elements Plivo has that the sandbox does not run yet: each is checked for where it stands (so a
document using them is not refused for that) and becomes an :class:`Unsupported` instruction, which
the call log shows as skipped. The voice work replaces each with its own spec; this list must end
empty."""

from __future__ import annotations

from dataclasses import dataclass, field

from plivo_blocks.sandbox.voice.xml.spec import ElementSpec, Parsed


@dataclass(frozen=True, slots=True)
class Unsupported:
    tag: str
    attributes: dict[str, str] = field(default_factory=dict)


def _pending(tag: str, children: tuple[str, ...] = ()) -> ElementSpec:
    def build(parsed: Parsed) -> Unsupported:
        return Unsupported(parsed.tag, {name: "" for name in parsed.unknown_attributes})

    return ElementSpec(tag, build, children=children, content="optional")


SPECS = (
    _pending("Dial", ("User", "Number")),
    _pending("Number"),
    _pending("User"),
    _pending("GetInput", ("Speak", "Play", "Wait")),
    _pending("PreAnswer", ("Speak", "Play", "Wait", "GetDigits", "Redirect", "Message", "DTMF")),
    _pending("DTMF"),
    _pending("Message"),
    _pending("Stream"),
    _pending("MultiPartyCall"),
)
