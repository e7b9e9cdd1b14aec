"""Plivo XML (the documents an answer_url returns) parsed into typed instructions the call engine runs.

Supported verbs: ``Speak``, ``Play``, ``Wait``, ``Conference``, ``Record``, ``GetDigits`` (with nested
``Speak``/``Play``/``Wait`` prompts), ``Redirect``, ``Hangup``. Other Plivo verbs (``Dial``, ``DTMF``,
``PreAnswer``, ``Message``, ``GetInput``, ``Stream``, ``MultiPartyCall``, ...) become :class:`Unsupported`:
the engine logs and skips them. Anything that is not a well-formed ``<Response>`` document, or has an
attribute value Plivo would refuse, raises :class:`InvalidXML` (Plivo's "Invalid Answer XML").
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

__all__ = [
    "Conference",
    "GetDigits",
    "Hangup",
    "Instruction",
    "InvalidXML",
    "Play",
    "Record",
    "Redirect",
    "Speak",
    "Unsupported",
    "Wait",
    "parse",
]

#: Answer documents are small; a larger body is refused rather than parsed.
MAX_XML_BYTES = 512 * 1024


class InvalidXML(ValueError):
    """The document is not Plivo XML the sandbox can run."""


@dataclass(frozen=True, slots=True)
class Speak:
    text: str
    voice: str = "WOMAN"
    language: str = "en-US"
    loop: int = 1


@dataclass(frozen=True, slots=True)
class Play:
    url: str
    loop: int = 1


@dataclass(frozen=True, slots=True)
class Wait:
    length: int = 1
    silence: bool = False
    min_silence: int = 2000
    beep: bool = False


Prompt = Speak | Play | Wait


@dataclass(frozen=True, slots=True)
class GetDigits:
    action: str | None = None
    method: str = "POST"
    timeout: int = 5
    digit_timeout: int = 2
    finish_on_key: str = "#"
    num_digits: int = 99
    retries: int = 1
    redirect: bool = True
    play_beep: bool = False
    valid_digits: str = "1234567890*#"
    invalid_digits_sound: str | None = None
    prompts: tuple[Prompt, ...] = ()


@dataclass(frozen=True, slots=True)
class Record:
    action: str | None = None
    method: str = "POST"
    file_format: str = "mp3"
    redirect: bool = True
    timeout: int = 15
    max_length: int = 60
    play_beep: bool = True
    finish_on_key: str = "#"
    record_session: bool = False
    start_on_dial_answer: bool = False
    callback_url: str | None = None
    callback_method: str = "POST"


@dataclass(frozen=True, slots=True)
class Conference:
    name: str
    muted: bool = False
    enter_sound: str = ""
    exit_sound: str = ""
    start_conference_on_enter: bool = True
    end_conference_on_exit: bool = False
    stay_alone: bool = True
    wait_sound: str | None = None
    max_members: int = 20
    record: bool = False
    record_file_format: str = "mp3"
    time_limit: int = 86400
    hangup_on_star: bool = False
    action: str | None = None
    method: str = "POST"
    callback_url: str | None = None
    callback_method: str = "POST"
    digits_match: str | None = None
    redirect: bool = True


@dataclass(frozen=True, slots=True)
class Redirect:
    url: str
    method: str = "POST"


@dataclass(frozen=True, slots=True)
class Hangup:
    reason: str | None = None
    schedule: int = 0


@dataclass(frozen=True, slots=True)
class Unsupported:
    """A Plivo verb the sandbox does not simulate; carried so the call log can say it was skipped."""

    tag: str
    attributes: dict[str, str] = field(default_factory=dict)


Instruction = Speak | Play | Wait | GetDigits | Record | Conference | Redirect | Hangup | Unsupported

# -- attribute readers -----------------------------------------------------------------------------

_T = TypeVar("_T")
_METHODS = ("GET", "POST")
_FORMATS = ("mp3", "wav")
_HANGUP_REASONS = ("rejected", "busy")
_DIGIT_KEYS = re.compile(r"[0-9*#]*")


class _Attrs:
    """Reads one element's attributes, collecting the first problem as an InvalidXML."""

    def __init__(self, element: ET.Element) -> None:
        self.tag = element.tag
        self.raw = dict(element.attrib)

    def _get(self, name: str, default: _T, convert: Callable[[str], _T]) -> _T:
        value = self.raw.get(name)
        if value is None or value.strip() == "":
            return default
        try:
            return convert(value.strip())
        except ValueError as exc:
            raise InvalidXML(f"<{self.tag}> attribute {name}={value!r}: {exc}") from None

    def text(self, name: str, default: str) -> str:
        return self._get(name, default, str)

    def optional(self, name: str) -> str | None:
        return self._get(name, None, str)

    def url(self, name: str) -> str | None:
        return self._get(name, None, _url)

    def boolean(self, name: str, default: bool) -> bool:
        return self._get(name, default, _boolean)

    def integer(self, name: str, default: int, minimum: int = 0) -> int:
        return self._get(name, default, lambda v: _integer(v, minimum))

    def method(self, name: str = "method") -> str:
        return self._get(name, "POST", lambda v: _choice(v.upper(), _METHODS))

    def file_format(self, name: str) -> str:
        return self._get(name, "mp3", lambda v: _choice(v.lower(), _FORMATS))

    def choice(self, name: str, allowed: tuple[str, ...]) -> str | None:
        return self._get(name, None, lambda v: _choice(v.lower(), allowed))

    def keys(self, name: str, default: str) -> str:
        return self._get(name, default, _keys)


def _url(value: str) -> str:
    if not re.match(r"https?://[^\s/]+", value):
        raise ValueError("not an http(s) URL")
    return value


def _boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise ValueError("must be true or false")
    return lowered == "true"


def _integer(value: str, minimum: int) -> int:
    number = int(value)
    if number < minimum:
        raise ValueError(f"must be >= {minimum}")
    return number


def _choice(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"must be one of {', '.join(allowed)}")
    return value


def _keys(value: str) -> str:
    if value.lower() == "none":
        return ""
    if not _DIGIT_KEYS.fullmatch(value):
        raise ValueError("must be digits, * or #")
    return value


def _content(element: ET.Element) -> str:
    # Speak may carry SSML children (<break/>, <prosody>...): the spoken text is all of it.
    return " ".join("".join(element.itertext()).split())


# -- verbs -----------------------------------------------------------------------------------------


def _speak(element: ET.Element) -> Speak:
    a = _Attrs(element)
    text = _content(element)
    if not text:
        raise InvalidXML("<Speak> needs text")
    return Speak(
        text=text,
        voice=a.text("voice", "WOMAN"),
        language=a.text("language", "en-US"),
        loop=a.integer("loop", 1),
    )


def _play(element: ET.Element) -> Play:
    a = _Attrs(element)
    url = _content(element)
    try:
        _url(url)
    except ValueError:
        raise InvalidXML(f"<Play> needs an http(s) URL, got {url!r}") from None
    return Play(url=url, loop=a.integer("loop", 1))


def _wait(element: ET.Element) -> Wait:
    a = _Attrs(element)
    return Wait(
        length=a.integer("length", 1, minimum=1),
        silence=a.boolean("silence", False),
        min_silence=a.integer("minSilence", 2000),
        beep=a.boolean("beep", False),
    )


_PROMPTS: dict[str, Callable[[ET.Element], Prompt]] = {"Speak": _speak, "Play": _play, "Wait": _wait}


def _get_digits(element: ET.Element) -> GetDigits:
    a = _Attrs(element)
    prompts: list[Prompt] = []
    for child in element:
        reader = _PROMPTS.get(child.tag)
        if reader is None:
            raise InvalidXML(f"<GetDigits> cannot contain <{child.tag}>")
        prompts.append(reader(child))
    return GetDigits(
        action=a.url("action"),
        method=a.method(),
        timeout=a.integer("timeout", 5, minimum=1),
        digit_timeout=a.integer("digitTimeout", 2, minimum=1),
        finish_on_key=a.keys("finishOnKey", "#"),
        num_digits=a.integer("numDigits", 99, minimum=1),
        retries=a.integer("retries", 1, minimum=1),
        redirect=a.boolean("redirect", True),
        play_beep=a.boolean("playBeep", False),
        valid_digits=a.keys("validDigits", "1234567890*#"),
        invalid_digits_sound=a.url("invalidDigitsSound"),
        prompts=tuple(prompts),
    )


def _record(element: ET.Element) -> Record:
    a = _Attrs(element)
    return Record(
        action=a.url("action"),
        method=a.method(),
        file_format=a.file_format("fileFormat"),
        redirect=a.boolean("redirect", True),
        timeout=a.integer("timeout", 15, minimum=1),
        max_length=a.integer("maxLength", 60, minimum=1),
        play_beep=a.boolean("playBeep", True),
        finish_on_key=a.keys("finishOnKey", "#"),
        record_session=a.boolean("recordSession", False),
        start_on_dial_answer=a.boolean("startOnDialAnswer", False),
        callback_url=a.url("callbackUrl"),
        callback_method=a.method("callbackMethod"),
    )


def _conference(element: ET.Element) -> Conference:
    a = _Attrs(element)
    name = _content(element)
    if not name:
        raise InvalidXML("<Conference> needs a room name")
    return Conference(
        name=name,
        muted=a.boolean("muted", False),
        enter_sound=a.text("enterSound", ""),
        exit_sound=a.text("exitSound", ""),
        start_conference_on_enter=a.boolean("startConferenceOnEnter", True),
        end_conference_on_exit=a.boolean("endConferenceOnExit", False),
        stay_alone=a.boolean("stayAlone", True),
        wait_sound=a.url("waitSound"),
        max_members=a.integer("maxMembers", 20, minimum=1),
        record=a.boolean("record", False),
        record_file_format=a.file_format("recordFileFormat"),
        time_limit=a.integer("timeLimit", 86400, minimum=0),
        hangup_on_star=a.boolean("hangupOnStar", False),
        action=a.url("action"),
        method=a.method(),
        callback_url=a.url("callbackUrl"),
        callback_method=a.method("callbackMethod"),
        digits_match=a.optional("digitsMatch"),
        redirect=a.boolean("redirect", True),
    )


def _redirect(element: ET.Element) -> Redirect:
    a = _Attrs(element)
    url = _content(element)
    try:
        _url(url)
    except ValueError:
        raise InvalidXML(f"<Redirect> needs an http(s) URL, got {url!r}") from None
    return Redirect(url=url, method=a.method())


def _hangup(element: ET.Element) -> Hangup:
    a = _Attrs(element)
    return Hangup(reason=a.choice("reason", _HANGUP_REASONS), schedule=a.integer("schedule", 0))


_VERBS: dict[str, Callable[[ET.Element], Instruction]] = {
    "Speak": _speak,
    "Play": _play,
    "Wait": _wait,
    "GetDigits": _get_digits,
    "Record": _record,
    "Conference": _conference,
    "Redirect": _redirect,
    "Hangup": _hangup,
}


def parse(document: str | bytes) -> list[Instruction]:
    """Parse a Plivo XML document into the instructions to run, in order.

    Raises :class:`InvalidXML` when the document is not well-formed, is not a ``<Response>``,
    declares a DTD or entities (never needed, and a way to blow up a parser), or has an invalid
    attribute value."""
    raw = document.encode("utf-8") if isinstance(document, str) else document
    if len(raw) > MAX_XML_BYTES:
        raise InvalidXML("document too large")
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise InvalidXML("DTDs and entities are not allowed")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise InvalidXML(f"not well-formed XML: {exc}") from None
    if root.tag != "Response":
        raise InvalidXML(f"the root element must be <Response>, not <{root.tag}>")
    instructions: list[Instruction] = []
    for element in root:
        reader = _VERBS.get(element.tag)
        if reader is None:
            instructions.append(Unsupported(tag=str(element.tag), attributes=dict(element.attrib)))
        else:
            instructions.append(reader(element))
    return instructions
