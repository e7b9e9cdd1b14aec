"""Value types of block arguments: how a raw value (often a string sent by a RapidAPI client)
is checked and turned into the JSON value Plivo expects.

Each type is a small object with ``parse(value) -> value`` that raises :class:`Invalid`
naming the rule that was broken. Blocks declare an argument's type once; validation,
the metadata's ``type`` and the OpenAPI schema are all derived from it.

The seed's five custom datatypes (Datepicker, Map, List, Select, Array) are here too.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit


class Invalid(Exception):
    """A value broke a rule. ``rule`` is a short machine name, the message says it for people."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}
_MAX_TEXT = 10_000  # no Plivo text field is anywhere near this; bounds hostile input


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _as_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Invalid("type", f"must be a string, got {type(value).__name__}")
    text = str(value)
    if len(text) > _MAX_TEXT:
        raise Invalid("max_length", f"must be at most {_MAX_TEXT} characters")
    if not text.isascii():
        # JSON can carry a lone surrogate ("\ud800"), but no request can: refuse it here, not on the wire.
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise Invalid("encoding", "must be valid Unicode text (it contains a lone surrogate)") from None
    return text


def _as_items(value: Any, separator: str) -> list[str]:
    """A list given as a JSON array, a JSON-array string or a separated string."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except ValueError:
                raise Invalid("type", "must be a list or a separated string") from None
        else:
            return [part.strip() for part in stripped.split(separator)]
    if isinstance(value, list | tuple):
        return [_as_text(item).strip() for item in value]
    raise Invalid("type", f"must be a list or a {separator!r}-separated string, got {type(value).__name__}")


@dataclass(frozen=True)
class ValueType:
    """Base of all argument types. ``datatype`` is what the RapidAPI metadata calls it."""

    datatype: ClassVar[str] = "String"
    json_type: ClassVar[str] = "string"

    def parse(self, value: Any) -> Any:
        raise NotImplementedError

    def describe(self) -> str:
        """The rule, in words, for help text and error messages."""
        return "a string"

    def schema(self) -> dict[str, Any]:
        """JSON schema of what a caller may send (RapidAPI clients send strings, so they are always allowed)."""
        return {"type": "string"}


@dataclass(frozen=True)
class Text(ValueType):
    min_length: int = 1
    max_length: int | None = None
    pattern: str | None = None
    pattern_help: str | None = None

    def parse(self, value: Any) -> str:
        text = _as_text(value)
        if len(text) < self.min_length:
            raise Invalid("min_length", "must not be empty")
        if self.max_length is not None and len(text) > self.max_length:
            raise Invalid("max_length", f"must be at most {self.max_length} characters")
        # ASCII: \d means 0-9 here, as in the JSON schema, not any script's digits.
        if self.pattern is not None and not re.fullmatch(self.pattern, text, re.ASCII):
            raise Invalid("pattern", f"must be {self.pattern_help or 'of the form ' + self.pattern}")
        return text

    def describe(self) -> str:
        return self.pattern_help or "a string"

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string", "minLength": self.min_length}
        if self.max_length is not None:
            out["maxLength"] = self.max_length
        return out


@dataclass(frozen=True)
class Integer(ValueType):
    minimum: int | None = None
    maximum: int | None = None
    json_type: ClassVar[str] = "integer"

    def parse(self, value: Any) -> int:
        if isinstance(value, bool):
            raise Invalid("type", "must be an integer, got a boolean")
        if isinstance(value, int):
            number = value
        elif (isinstance(value, float) and value.is_integer()) or (
            isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,18}\s*", value)
        ):
            number = int(value)
        else:
            raise Invalid("type", f"must be an integer, got {_describe(value)}")
        if self.minimum is not None and number < self.minimum:
            raise Invalid("minimum", f"must be at least {self.minimum}, got {number}")
        if self.maximum is not None and number > self.maximum:
            raise Invalid("maximum", f"must be at most {self.maximum}, got {number}")
        return number

    def describe(self) -> str:
        if self.minimum is not None and self.maximum is not None:
            return f"an integer from {self.minimum} to {self.maximum}"
        if self.minimum is not None:
            return f"an integer of at least {self.minimum}"
        return "an integer"

    def schema(self) -> dict[str, Any]:
        number: dict[str, Any] = {"type": "integer"}
        if self.minimum is not None:
            number["minimum"] = self.minimum
        if self.maximum is not None:
            number["maximum"] = self.maximum
        return {"oneOf": [number, {"type": "string", "pattern": r"^\s*[+-]?\d+\s*$"}]}


@dataclass(frozen=True)
class Boolean(ValueType):
    json_type: ClassVar[str] = "boolean"

    def parse(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise Invalid("type", f"must be true or false, got {_describe(value)}")

    def describe(self) -> str:
        return "true or false"

    def schema(self) -> dict[str, Any]:
        return {"oneOf": [{"type": "boolean"}, {"type": "string", "enum": sorted(_TRUE | _FALSE)}]}


@dataclass(frozen=True)
class Choice(ValueType):
    """One of a fixed set of strings. ``case_insensitive`` accepts ``get`` for ``GET`` and answers ``GET``."""

    options: tuple[str, ...] = ()
    case_insensitive: bool = True

    def parse(self, value: Any) -> str:
        text = _as_text(value).strip()
        for option in self.options:
            if text == option or (self.case_insensitive and text.lower() == option.lower()):
                return option
        raise Invalid("choice", f"must be one of {', '.join(self.options)}; got {_describe(value)}")

    def describe(self) -> str:
        return "one of " + ", ".join(self.options)

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.options)}


@dataclass(frozen=True)
class Select(Choice):
    """The seed's Select datatype: a string with predefined values."""

    datatype: ClassVar[str] = "Select"


@dataclass(frozen=True)
class Url(ValueType):
    def parse(self, value: Any) -> str:
        text = _as_text(value).strip()
        try:
            parts = urlsplit(text)
        except ValueError:  # e.g. an unclosed IPv6 bracket
            raise Invalid("url", f"must be an absolute http(s) URL, got {_describe(value)}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in text):
            raise Invalid("url", f"must be an absolute http(s) URL, got {_describe(value)}")
        return text

    def describe(self) -> str:
        return "an absolute http(s) URL"

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "uri", "pattern": "^https?://"}


_PHONE = re.compile(r"\+?[0-9]{3,16}")  # ASCII digits only: \d would take ٣ or １ too
_SIP = re.compile(r"sip:[^\s<>@]+@[^\s<>@]+")


@dataclass(frozen=True)
class Phone(ValueType):
    """A phone number with its country code: digits, a leading ``+`` accepted and dropped."""

    def parse(self, value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        text = _as_text(value).strip()
        if not _PHONE.fullmatch(text):
            raise Invalid(
                "phone",
                f"must be a phone number with country code (digits, optional leading +), got {_describe(value)}",
            )
        return text.lstrip("+")

    def describe(self) -> str:
        return "a phone number with country code, e.g. 14155551234"

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": r"^\+?\d{3,16}$"}


@dataclass(frozen=True)
class Destinations(ValueType):
    """Bulk destinations: one or more phone numbers (or SIP URIs, when allowed) joined with ``<``.

    A JSON list is accepted too and joined. Plivo sends to each one separately, so a
    repeated destination would be sent twice: it is refused.
    """

    separator: str = "<"
    allow_sip: bool = False
    max_items: int = 1000

    def parse(self, value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        items = _as_items(value, self.separator)
        if not items or items == [""]:
            raise Invalid("min_length", "must name at least one destination")
        if len(items) > self.max_items:
            raise Invalid("max_items", f"must name at most {self.max_items} destinations")
        out: list[str] = []
        for position, item in enumerate(items, 1):
            if self.allow_sip and item.startswith("sip:"):
                if not _SIP.fullmatch(item):
                    raise Invalid("sip_uri", f"destination {position} is not a SIP URI: {_describe(item)}")
                out.append(item)
            elif _PHONE.fullmatch(item):
                out.append(item.lstrip("+"))
            else:
                kinds = "a phone number or a sip: URI" if self.allow_sip else "a phone number"
                raise Invalid("phone", f"destination {position} must be {kinds}, got {_describe(item)}")
        if len(set(out)) != len(out):
            # One pass with a set (linear), and a second only when there is something to report.
            seen: set[str] = set()
            repeated: set[str] = set()
            for destination in out:
                (repeated if destination in seen else seen).add(destination)
            raise Invalid("unique", f"lists {', '.join(sorted(repeated))} more than once")
        return self.separator.join(out)

    def describe(self) -> str:
        kinds = "phone numbers or sip: URIs" if self.allow_sip else "phone numbers"
        return f"one or more {kinds}, separated by {self.separator!r}"

    def schema(self) -> dict[str, Any]:
        return {"oneOf": [{"type": "string", "minLength": 1}, {"type": "array", "items": {"type": "string"}}]}


@dataclass(frozen=True)
class SeparatedList(ValueType):
    """A list sent to Plivo as one separated string, each item checked by ``item``."""

    item: ValueType = field(default_factory=lambda: Text())
    separator: str = ","
    max_items: int = 100

    def parse(self, value: Any) -> str:
        items = _as_items(value, self.separator)
        if not items or items == [""]:
            raise Invalid("min_length", "must not be empty")
        if len(items) > self.max_items:
            raise Invalid("max_items", f"must have at most {self.max_items} items")
        out = []
        for position, raw in enumerate(items, 1):
            try:
                out.append(str(self.item.parse(raw)))
            except Invalid as exc:
                raise Invalid(exc.rule, f"item {position}: {exc.message}") from None
        return self.separator.join(out)

    def describe(self) -> str:
        return f"{self.item.describe()}, several separated by {self.separator!r}"

    def schema(self) -> dict[str, Any]:
        return {"oneOf": [{"type": "string", "minLength": 1}, {"type": "array", "items": {"type": "string"}}]}


@dataclass(frozen=True)
class IpAddress(ValueType):
    def parse(self, value: Any) -> str:
        text = _as_text(value).strip()
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            raise Invalid("ip_address", f"must be an IP address, got {_describe(value)}") from None

    def describe(self) -> str:
        return "an IP address"


@dataclass(frozen=True)
class Services(ValueType):
    """Plivo's number services filter: ``voice``, ``sms`` or ``voice,sms``."""

    def parse(self, value: Any) -> str:
        items = [s.lower() for s in _as_items(value, ",")]
        if not items or any(s not in ("voice", "sms") for s in items) or len(set(items)) != len(items):
            raise Invalid("choice", f"must be voice, sms or voice,sms; got {_describe(value)}")
        return ",".join(s for s in ("voice", "sms") if s in items)

    def describe(self) -> str:
        return "voice, sms or voice,sms"

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": ["voice", "sms", "voice,sms", "sms,voice"]}


@dataclass(frozen=True)
class SipHeaders(ValueType):
    """``key=value`` pairs separated by commas; keys [A-Za-z0-9], values [A-Za-z0-9%]."""

    def parse(self, value: Any) -> str:
        if isinstance(value, dict):
            pairs = [(str(k), str(v)) for k, v in value.items()]
        else:
            pairs = []
            for item in _as_items(value, ","):
                key, sep, val = item.partition("=")
                if not sep:
                    raise Invalid("sip_headers", f"{_describe(item)} is not a key=value pair")
                pairs.append((key.strip(), val.strip()))
        for key, val in pairs:
            if not re.fullmatch(r"[A-Za-z0-9]+", key) or not re.fullmatch(r"[A-Za-z0-9%]+", val):
                raise Invalid(
                    "sip_headers", "keys may hold only A-Z, a-z, 0-9 and values only A-Z, a-z, 0-9 and %"
                )
        if not pairs:
            raise Invalid("min_length", "must not be empty")
        return ",".join(f"{k}={v}" for k, v in pairs)

    def describe(self) -> str:
        return "key=value pairs separated by commas"


# ISO 3166-1 alpha-2, officially assigned codes.
COUNTRY_CODES = frozenset(
    [
        "AD",
        "AE",
        "AF",
        "AG",
        "AI",
        "AL",
        "AM",
        "AO",
        "AQ",
        "AR",
        "AS",
        "AT",
        "AU",
        "AW",
        "AX",
        "AZ",
        "BA",
        "BB",
        "BD",
        "BE",
        "BF",
        "BG",
        "BH",
        "BI",
        "BJ",
        "BL",
        "BM",
        "BN",
        "BO",
        "BQ",
        "BR",
        "BS",
        "BT",
        "BV",
        "BW",
        "BY",
        "BZ",
        "CA",
        "CC",
        "CD",
        "CF",
        "CG",
        "CH",
        "CI",
        "CK",
        "CL",
        "CM",
        "CN",
        "CO",
        "CR",
        "CU",
        "CV",
        "CW",
        "CX",
        "CY",
        "CZ",
        "DE",
        "DJ",
        "DK",
        "DM",
        "DO",
        "DZ",
        "EC",
        "EE",
        "EG",
        "EH",
        "ER",
        "ES",
        "ET",
        "FI",
        "FJ",
        "FK",
        "FM",
        "FO",
        "FR",
        "GA",
        "GB",
        "GD",
        "GE",
        "GF",
        "GG",
        "GH",
        "GI",
        "GL",
        "GM",
        "GN",
        "GP",
        "GQ",
        "GR",
        "GS",
        "GT",
        "GU",
        "GW",
        "GY",
        "HK",
        "HM",
        "HN",
        "HR",
        "HT",
        "HU",
        "ID",
        "IE",
        "IL",
        "IM",
        "IN",
        "IO",
        "IQ",
        "IR",
        "IS",
        "IT",
        "JE",
        "JM",
        "JO",
        "JP",
        "KE",
        "KG",
        "KH",
        "KI",
        "KM",
        "KN",
        "KP",
        "KR",
        "KW",
        "KY",
        "KZ",
        "LA",
        "LB",
        "LC",
        "LI",
        "LK",
        "LR",
        "LS",
        "LT",
        "LU",
        "LV",
        "LY",
        "MA",
        "MC",
        "MD",
        "ME",
        "MF",
        "MG",
        "MH",
        "MK",
        "ML",
        "MM",
        "MN",
        "MO",
        "MP",
        "MQ",
        "MR",
        "MS",
        "MT",
        "MU",
        "MV",
        "MW",
        "MX",
        "MY",
        "MZ",
        "NA",
        "NC",
        "NE",
        "NF",
        "NG",
        "NI",
        "NL",
        "NO",
        "NP",
        "NR",
        "NU",
        "NZ",
        "OM",
        "PA",
        "PE",
        "PF",
        "PG",
        "PH",
        "PK",
        "PL",
        "PM",
        "PN",
        "PR",
        "PS",
        "PT",
        "PW",
        "PY",
        "QA",
        "RE",
        "RO",
        "RS",
        "RU",
        "RW",
        "SA",
        "SB",
        "SC",
        "SD",
        "SE",
        "SG",
        "SH",
        "SI",
        "SJ",
        "SK",
        "SL",
        "SM",
        "SN",
        "SO",
        "SR",
        "SS",
        "ST",
        "SV",
        "SX",
        "SY",
        "SZ",
        "TC",
        "TD",
        "TF",
        "TG",
        "TH",
        "TJ",
        "TK",
        "TL",
        "TM",
        "TN",
        "TO",
        "TR",
        "TT",
        "TV",
        "TW",
        "TZ",
        "UA",
        "UG",
        "UM",
        "US",
        "UY",
        "UZ",
        "VA",
        "VC",
        "VE",
        "VG",
        "VI",
        "VN",
        "VU",
        "WF",
        "WS",
        "YE",
        "YT",
        "ZA",
        "ZM",
        "ZW",
    ]
)


@dataclass(frozen=True)
class Country(ValueType):
    def parse(self, value: Any) -> str:
        text = _as_text(value).strip().upper()
        if text not in COUNTRY_CODES:
            raise Invalid(
                "country_iso", f"must be an ISO 3166-1 alpha-2 country code, got {_describe(value)}"
            )
        return text

    def describe(self) -> str:
        return "an ISO 3166-1 alpha-2 country code, e.g. US"

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": "^[A-Za-z]{2}$"}


# --- The seed's custom datatypes -------------------------------------------------------------

_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


@dataclass(frozen=True)
class Datepicker(ValueType):
    """A date and time such as ``2016-05-28 00:00:00``; sent to Plivo in that form."""

    datatype: ClassVar[str] = "Datepicker"

    def parse(self, value: Any) -> str:
        text = _as_text(value).strip().replace("T", " ")
        for fmt in _DATE_FORMATS:
            try:
                moment = datetime.strptime(text, fmt)
            except ValueError:
                continue
            return moment.strftime("%Y-%m-%d %H:%M:%S" if fmt != "%Y-%m-%d %H:%M:%S.%f" else fmt)
        raise Invalid("datetime", f"must be a date and time like 2016-05-28 00:00:00, got {_describe(value)}")

    def describe(self) -> str:
        return "a date and time, YYYY-MM-DD HH:MM:SS"


@dataclass(frozen=True)
class Map(ValueType):
    """Latitude and longitude, comma separated (``50.37, 26.56``); parsed to a pair of floats."""

    datatype: ClassVar[str] = "Map"

    def parse(self, value: Any) -> str:
        parts = _as_text(value).split(",")
        try:
            if len(parts) != 2:
                raise ValueError
            lat, lon = (float(p) for p in parts)
        except ValueError:
            raise Invalid("map", f"must be 'latitude, longitude', got {_describe(value)}") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise Invalid("map", "latitude must be within ±90 and longitude within ±180")
        return f"{lat}, {lon}"

    def describe(self) -> str:
        return "latitude and longitude, comma separated"


@dataclass(frozen=True)
class List(ValueType):
    """A simple array of strings (a JSON array, or a JSON-array string)."""

    datatype: ClassVar[str] = "List"
    json_type: ClassVar[str] = "array"

    def parse(self, value: Any) -> list[str]:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise Invalid("list", "must be a JSON array of strings") from None
        if not isinstance(value, list) or any(isinstance(v, dict | list) or v is None for v in value):
            raise Invalid("list", "must be an array of simple values")
        return [_as_text(v) for v in value]

    def describe(self) -> str:
        return "an array of strings"

    def schema(self) -> dict[str, Any]:
        return {"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]}


@dataclass(frozen=True)
class Array(ValueType):
    """An array of objects (a JSON array, or a JSON-array string)."""

    datatype: ClassVar[str] = "Array"
    json_type: ClassVar[str] = "array"

    def parse(self, value: Any) -> list[dict[str, Any]]:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise Invalid("array", "must be a JSON array of objects") from None
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise Invalid("array", "must be an array of objects")
        return list(value)

    def describe(self) -> str:
        return "an array of objects"

    def schema(self) -> dict[str, Any]:
        return {"oneOf": [{"type": "array", "items": {"type": "object"}}, {"type": "string"}]}


CUSTOM_DATATYPES: dict[str, str] = {
    "Datepicker": "String which includes date and time",
    "Map": "String which includes latitude and longitude coma separated",
    "List": "Simple array",
    "Select": "String with predefined values",
    "Array": "Array of objects",
}

# Shared instances for the common cases, so block definitions stay one line each.
TEXT = Text()
INTEGER = Integer()
BOOLEAN = Boolean()
URL = Url()
PHONE = Phone()
COUNTRY = Country()
DATETIME = Datepicker()
LIMIT = Integer(minimum=1, maximum=20)
OFFSET = Integer(minimum=0)
NON_NEGATIVE = Integer(minimum=0)
POSITIVE = Integer(minimum=1)
HTTP_METHOD = Choice(("GET", "POST"))
DIRECTION = Choice(("inbound", "outbound"))
LEGS = Choice(("aleg", "bleg", "both"))
LEG = Choice(("aleg", "bleg"))
VOICE = Select(("MAN", "WOMAN"))
FILE_FORMAT = Choice(("mp3", "wav"))
TRANSCRIPTION_TYPE = Choice(("auto", "hybrid"))
URLS = SeparatedList(item=URL)
SUBACCOUNT_ID = Text(
    pattern=r"SA[A-Z0-9]{18}", pattern_help="a subaccount auth_id (SA followed by 18 letters or digits)"
)
DIGITS = Text(pattern=r"\d+", pattern_help="digits only")
DTMF = Text(
    pattern=r"[0-9A-Da-d*#wW]+(@\d{2,5})?",
    pattern_help="DTMF digits 0-9, A-D, *, # (w/W to wait), optionally @duration",
)


def choice_values(value_type: ValueType) -> Sequence[str] | None:
    return value_type.options if isinstance(value_type, Choice) else None
