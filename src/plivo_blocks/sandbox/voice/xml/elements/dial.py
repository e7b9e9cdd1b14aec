"""``<Dial>`` with its ``<Number>`` and ``<User>`` targets.

Attributes, allowed values and defaults follow Plivo's XML reference (plivo.com/docs/voice/xml/
routing, "Dial"); the attribute names and the nesting (Dial holds Number and User, which hold
nothing) follow the official SDK's ``plivoxml`` (``DialElement``, ``NumberElement``,
``UserElement``). ``timeout`` has no default in Plivo's reference: a target then rings until the
sandbox's :data:`DEFAULT_DIAL_TIMEOUT`, the ring timeout Plivo documents for ``makeCall``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from plivo_blocks.sandbox.voice.xml.elements.input import OneKey
from plivo_blocks.sandbox.voice.xml.parse import InvalidXML
from plivo_blocks.sandbox.voice.xml.rules import Boolean, Integer, Method, Rule, Text, Url
from plivo_blocks.sandbox.voice.xml.spec import Attr, ElementSpec, Parsed

__all__ = ["DEFAULT_DIAL_TIMEOUT", "SPECS", "Dial", "DialNumber", "DialUser", "sip_headers"]

DEFAULT_DIAL_TIMEOUT = 120
_PHONE = re.compile(r"\+?\d{1,20}\Z")
_SIP_URI = re.compile(r"sip:[^\s@]+@[^\s@]+\Z")
_DTMF = re.compile(r"[0-9A-Da-d*#wW]+(@\d{2,5})?\Z")
_PATTERNS = re.compile(r"[0-9*#]+(,[0-9*#]+)*\Z")
_HEADERS = re.compile(r"[A-Za-z0-9-]+=[A-Za-z0-9%._-]*(,[A-Za-z0-9-]+=[A-Za-z0-9%._-]*)*\Z")


@dataclass(frozen=True)
class MusicSource(Rule[str]):
    """``dialMusic``: a URL returning Play, Speak and Wait, or ``real`` (the callee's own ringback)."""

    accepts: str = "an absolute http(s) URL, or real"

    def parse(self, text: str) -> str:
        if text.strip().lower() == "real":
            return "real"
        try:
            return Url().parse(text)
        except ValueError:
            raise ValueError(f"must be {self.accepts}") from None


def sip_headers(text: str) -> dict[str, str]:
    """``key=value,key2=value2`` as a dict (checked by the attribute's rule beforehand)."""
    pairs = (pair.partition("=") for pair in text.split(",") if pair.strip())
    return {key.strip(): value.strip() for key, _, value in pairs}


def _pattern(regex: re.Pattern[str], describe: str) -> Text:
    return Text(check=lambda t: bool(regex.match(t.strip())), describe=describe)


SEND_DIGITS = _pattern(_DTMF, "DTMF keys 0-9, A-D, * and # (w and W to wait), optionally @duration")
HEADERS = _pattern(_HEADERS, "key=value pairs separated by commas")
DIGIT_PATTERNS = _pattern(_PATTERNS, "key patterns (0-9, * and #) separated by commas")


@dataclass(frozen=True, slots=True)
class DialNumber:
    number: str
    send_digits: str | None = None
    send_on_preanswer: bool = False
    send_digits_mode: str | None = None


@dataclass(frozen=True, slots=True)
class DialUser:
    uri: str
    send_digits: str | None = None
    send_on_preanswer: bool = False
    sip_headers: str | None = None


@dataclass(frozen=True, slots=True)
class Dial:
    targets: tuple[DialNumber | DialUser, ...]
    action: str | None = None
    method: str = "POST"
    hangup_on_star: bool = False
    time_limit: int = 14400
    timeout: int | None = None
    caller_id: str | None = None
    caller_name: str | None = None
    confirm_sound: str | None = None
    confirm_timeout: int = 120
    confirm_key: str = ""
    dial_music: str | None = None
    callback_url: str | None = None
    callback_method: str = "POST"
    redirect: bool = True
    digits_match: str | None = None
    digits_match_b_leg: str | None = None
    sip_headers: str | None = None

    @property
    def ring_limit(self) -> float:
        return float(self.timeout or DEFAULT_DIAL_TIMEOUT)


def _number(p: Parsed) -> DialNumber:
    number = p.text.strip()
    if not _PHONE.match(number):
        raise InvalidXML(f"<Number> must hold a phone number (digits, with or without +), got {number!r}")
    return DialNumber(number.lstrip("+"), p["sendDigits"], p["sendOnPreanswer"], p["sendDigitsMode"])


def _user(p: Parsed) -> DialUser:
    uri = p.text.strip()
    if not _SIP_URI.match(uri):
        raise InvalidXML(f"<User> must hold a SIP URI such as sip:alice@phone.plivo.com, got {uri!r}")
    return DialUser(uri, p["sendDigits"], p["sendOnPreanswer"], p["sipHeaders"])


def _dial(p: Parsed) -> Dial:
    return Dial(
        targets=tuple(p.children),
        action=p["action"],
        method=p["method"],
        hangup_on_star=p["hangupOnStar"],
        time_limit=p["timeLimit"],
        timeout=p["timeout"],
        caller_id=p["callerId"],
        caller_name=p["callerName"],
        confirm_sound=p["confirmSound"],
        confirm_timeout=p["confirmTimeout"],
        confirm_key=p["confirmKey"],
        dial_music=p["dialMusic"],
        callback_url=p["callbackUrl"],
        callback_method=p["callbackMethod"],
        redirect=p["redirect"],
        digits_match=p["digitsMatch"],
        digits_match_b_leg=p["digitsMatchBLeg"],
        sip_headers=p["sipHeaders"],
    )


DIAL = ElementSpec(
    "Dial",
    _dial,
    attrs=(
        Attr("action", Url()),
        Attr("method", Method(), "POST"),
        Attr("hangupOnStar", Boolean(), False),
        Attr("timeLimit", Integer(minimum=1), 14400),
        Attr("timeout", Integer(minimum=1)),
        Attr("callerId", _pattern(re.compile(r"\+?\d{1,20}\Z|sip:\S+\Z"), "a phone number")),
        Attr("callerName", Text(max_length=50)),
        Attr("confirmSound", Url()),
        Attr("confirmTimeout", Integer(minimum=1), 120),
        Attr("confirmKey", OneKey(), ""),
        Attr("dialMusic", MusicSource()),
        Attr("callbackUrl", Url()),
        Attr("callbackMethod", Method(), "POST"),
        Attr("redirect", Boolean(), True),
        Attr("digitsMatch", DIGIT_PATTERNS),
        Attr("digitsMatchBLeg", DIGIT_PATTERNS),
        Attr("sipHeaders", HEADERS),
    ),
    children=("User", "Number"),
    needs_child=True,
)

NUMBER = ElementSpec(
    "Number",
    _number,
    attrs=(
        Attr("sendDigits", SEND_DIGITS),
        Attr("sendOnPreanswer", Boolean(), False),
        Attr("sendDigitsMode", Text()),
    ),
    content="text",
)

USER = ElementSpec(
    "User",
    _user,
    attrs=(
        Attr("sendDigits", SEND_DIGITS),
        Attr("sendOnPreanswer", Boolean(), False),
        Attr("sipHeaders", HEADERS),
    ),
    content="text",
)

SPECS = (DIAL, NUMBER, USER)
