"""Value types of block arguments: how a raw value (often a string sent by a RapidAPI client)
is checked and turned into the JSON value Plivo expects.

Each type is a small object with ``parse(value) -> value`` that raises :class:`Invalid`
naming the rule that was broken. Blocks declare an argument's type once; validation,
the metadata's ``type`` and the OpenAPI schema are all derived from it.

One rule, two uses: each type's string form is a regular expression (:meth:`ValueType.rule`)
that ``parse`` full-matches and that ``schema()`` publishes as the OpenAPI ``pattern``, so the two
cannot drift apart. The expressions use only what Python's ``re`` and ECMA-262 (JSON Schema's
dialect) read alike: ``[0-9]`` for digits, explicit ASCII whitespace, no inline flags (letters
that may come in either case are written ``[Aa]``). For most types the expression is the whole
rule (``exact``); for the others (URLs, ranges, dates, duplicate destinations, JSON-in-a-string
lists) it is what every accepted value matches, and the rest is said in words. A property test
checks both for every argument of every block.

The seed's five custom datatypes (Datepicker, Map, List, Select, Array) are here too.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import urlsplit


class Invalid(Exception):
    """A value broke a rule. ``rule`` is a short machine name, the message says it for people."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")
_MAX_TEXT = 10_000  # no Plivo text field is anywhere near this; bounds hostile input

#: ASCII whitespace, allowed around values that are stripped. (Python's ``str.strip()`` would take
#: more, such as U+00A0 or U+001C, than a JSON-schema pattern can say alike in both dialects.)
WHITESPACE = " \t\n\r\f\v"
WS = "[ \\t\\n\\r\\f\\v]*"
#: A list given as a JSON array inside a string: the pattern lets it through, ``parse`` reads it.
JSON_ARRAY_TEXT = WS + "\\[[\\s\\S]*"


def either_case(word: str) -> str:
    """``get`` -> ``[Gg][Ee][Tt]``: a case-insensitive word in a pattern both dialects read."""
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in word)


def one_of(words: Sequence[str], *, case_insensitive: bool = False) -> str:
    spelled = [either_case(w) if case_insensitive else re.escape(w) for w in words]
    return "(?:" + "|".join(spelled) + ")"


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
        stripped = value.strip(WHITESPACE)
        if stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except ValueError:
                raise Invalid("type", "must be a list or a separated string") from None
        else:
            return [part.strip(WHITESPACE) for part in stripped.split(separator)]
    if isinstance(value, list | tuple):
        return [_as_text(item).strip(WHITESPACE) for item in value]
    raise Invalid("type", f"must be a list or a {separator!r}-separated string, got {type(value).__name__}")


def _anchored(rule: str) -> str:
    return f"^(?:{rule})$"


@dataclass(frozen=True)
class ValueType:
    """Base of all argument types. ``datatype`` is what the RapidAPI metadata calls it."""

    datatype: ClassVar[str] = "String"
    json_type: ClassVar[str] = "string"
    #: Whether :meth:`rule` (with the schema's lengths) is the whole rule for a string value.
    exact: ClassVar[bool] = True

    def parse(self, value: Any) -> Any:
        raise NotImplementedError

    def describe(self) -> str:
        """The rule, in words, for help text and error messages."""
        return "a string"

    def rule(self) -> str | None:
        """The regular expression a string value must match whole (``None``: any string)."""
        return None

    @cached_property
    def _compiled(self) -> re.Pattern[str]:
        # ASCII: \d and \w mean what they mean in ECMA-262, should a rule use them.
        return re.compile(self.rule() or "[\\s\\S]*", re.ASCII)

    def _match(self, text: str) -> re.Match[str] | None:
        return self._compiled.fullmatch(text)

    def string_schema(self) -> dict[str, Any]:
        """JSON schema of the string form, from :meth:`rule`."""
        out: dict[str, Any] = {"type": "string"}
        rule = self.rule()
        if rule is not None:
            out["pattern"] = _anchored(rule)
        return out

    def schema(self) -> dict[str, Any]:
        """JSON schema of what a caller may send (RapidAPI clients send strings, so they are always allowed)."""
        return self.string_schema()


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
        if self.pattern is not None and not self._match(text):
            raise Invalid("pattern", f"must be {self.pattern_help or 'of the form ' + self.pattern}")
        return text

    def describe(self) -> str:
        return self.pattern_help or "a string"

    def rule(self) -> str | None:
        return self.pattern

    def string_schema(self) -> dict[str, Any]:
        out = super().string_schema()
        out["minLength"] = self.min_length
        out["maxLength"] = min(self.max_length or _MAX_TEXT, _MAX_TEXT)
        return out


@dataclass(frozen=True)
class Integer(ValueType):
    minimum: int | None = None
    maximum: int | None = None
    json_type: ClassVar[str] = "integer"
    exact: ClassVar[bool] = False  # the range is the integer form's; the string pattern only says "digits"

    def rule(self) -> str:
        return WS + "[+-]?[0-9]{1,18}" + WS

    def parse(self, value: Any) -> int:
        if isinstance(value, bool):
            raise Invalid("type", "must be an integer, got a boolean")
        if isinstance(value, int):
            number = value
        elif (isinstance(value, float) and value.is_integer()) or (
            isinstance(value, str) and self._match(value)
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
        return {"oneOf": [number, self.string_schema()]}


@dataclass(frozen=True)
class Boolean(ValueType):
    json_type: ClassVar[str] = "boolean"

    def rule(self) -> str:
        return WS + one_of(_TRUE + _FALSE, case_insensitive=True) + WS

    def parse(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and self._match(value):
            return value.strip(WHITESPACE).lower() in _TRUE
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise Invalid("type", f"must be true or false, got {_describe(value)}")

    def describe(self) -> str:
        return "true or false"

    def schema(self) -> dict[str, Any]:
        return {"oneOf": [{"type": "boolean"}, {"type": "integer", "enum": [0, 1]}, self.string_schema()]}


@dataclass(frozen=True)
class Choice(ValueType):
    """One of a fixed set of strings. ``case_insensitive`` accepts ``get`` for ``GET`` and answers ``GET``."""

    options: tuple[str, ...] = ()
    case_insensitive: bool = True

    def rule(self) -> str:
        return WS + "(" + one_of(self.options, case_insensitive=self.case_insensitive) + ")" + WS

    def parse(self, value: Any) -> str:
        found = self._match(_as_text(value))
        if found is not None:
            given = found.group(1).lower()
            return next(option for option in self.options if option.lower() == given)
        raise Invalid("choice", f"must be one of {', '.join(self.options)}; got {_describe(value)}")

    def describe(self) -> str:
        return "one of " + ", ".join(self.options)

    def string_schema(self) -> dict[str, Any]:
        # The canonical spellings as examples; the pattern admits what parse does (any case, spaces).
        return {**super().string_schema(), "examples": list(self.options)}


@dataclass(frozen=True)
class Select(Choice):
    """The seed's Select datatype: a string with predefined values."""

    datatype: ClassVar[str] = "Select"


_URL = "[Hh][Tt][Tt][Pp][Ss]?://[!-~]+"  # printable ASCII: a URL has no spaces and no raw Unicode
_URL_START = re.compile("[Hh][Tt][Tt][Pp][Ss]?://")


@dataclass(frozen=True)
class Url(ValueType):
    exact: ClassVar[bool] = False  # the pattern cannot check that the host is a host

    def rule(self) -> str:
        return WS + "(" + _URL + ")" + WS

    def parse(self, value: Any) -> str:
        text = _as_text(value)
        found = self._match(text)
        if found is not None:
            try:
                if urlsplit(found.group(1)).hostname:
                    return found.group(1)
            except ValueError:  # e.g. an unclosed IPv6 bracket
                pass
        stripped = text.strip(WHITESPACE)
        blank = next((i for i, c in enumerate(stripped) if c.isspace()), None)
        if blank is not None and _URL_START.match(stripped):
            # Said outright: the value, cut to a few characters, would hide where the space is.
            raise Invalid(
                "url",
                f"contains whitespace: percent-encode it (%20 for a space; the first is character {blank + 1})",
            )
        raise Invalid("url", f"must be an absolute http(s) URL, got {_describe(value)}")

    def describe(self) -> str:
        return "an absolute http(s) URL"

    def string_schema(self) -> dict[str, Any]:
        return {**super().string_schema(), "format": "uri"}


_PHONE = "\\+?([0-9]{3,16})"  # ASCII digits only: \d would take ٣ or １ too
_SIP = "sip:[!-;=?A-~]+@[!-;=?A-~]+"  # printable ASCII but <, > and @ around the @
#: A message destination as people write it: Plivo drops ``/ - . + ( )`` and spaces from ``dst``
#: ("+1 (415) 555-0101"), leaving 3 to 16 digits.
_FORMATTED_PHONE = "[+(]?[0-9](?:[ ()./-]*[0-9]){2,15}\\)?"
_FORMATTING = re.compile(r"[^0-9]")
#: An alphanumeric sender ID: 1 to 11 letters and digits, at least one a letter (Plivo's rule;
#: where one may be used is the destination country's rule, checked by Plivo, not here).
_SENDER_ID = "(?=[0-9]*[A-Za-z])[A-Za-z0-9]{1,11}"


@dataclass(frozen=True)
class Phone(ValueType):
    """A phone number with its country code: digits, a leading ``+`` accepted and dropped."""

    def rule(self) -> str:
        return WS + _PHONE + WS

    def parse(self, value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        found = self._match(_as_text(value))
        if found is None:
            raise Invalid(
                "phone",
                f"must be a phone number with country code (digits, optional leading +), got {_describe(value)}",
            )
        return found.group(1)

    def describe(self) -> str:
        return "a phone number with country code, e.g. 14155551234"

    def schema(self) -> dict[str, Any]:
        # An integer is taken as its digits: 3 to 16 of them.
        return {"oneOf": [self.string_schema(), {"type": "integer", "minimum": 100, "maximum": 10**16 - 1}]}


@dataclass(frozen=True)
class Sender(ValueType):
    """Who a message is from: a phone number with its country code (a leading ``+`` dropped) or an
    alphanumeric sender ID (at most 11 letters and digits). Plivo decides per destination country
    which it accepts (a rented number to the US and Canada)."""

    def rule(self) -> str:
        return f"{WS}(?:{_PHONE}|({_SENDER_ID})){WS}"

    def parse(self, value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        found = self._match(_as_text(value))
        if found is None:
            raise Invalid(
                "sender",
                "must be a phone number with country code or an alphanumeric sender ID of at most "
                f"11 letters and digits, got {_describe(value)}",
            )
        return found.group(1) or found.group(2)

    def describe(self) -> str:
        return "a phone number with country code, or an alphanumeric sender ID (at most 11 characters)"

    def schema(self) -> dict[str, Any]:
        return {"oneOf": [self.string_schema(), {"type": "integer", "minimum": 100, "maximum": 10**16 - 1}]}


@dataclass(frozen=True)
class Destinations(ValueType):
    """Bulk destinations: one or more phone numbers (or SIP URIs, when allowed) joined with ``<``.

    A JSON list is accepted too and joined. Plivo sends to each one separately, so a
    repeated destination would be sent twice: it is refused.
    """

    separator: str = "<"
    allow_sip: bool = False
    max_items: int = 1000
    #: Numbers may be written as people write them ("+1 (415) 555-0101"): sent as their digits.
    formatted: bool = False
    exact: ClassVar[bool] = False  # no pattern says "no repeats"

    def _item(self) -> str:
        phone = _FORMATTED_PHONE if self.formatted else _PHONE
        return f"(?:{_SIP}|{phone})" if self.allow_sip else phone

    def rule(self) -> str:
        item, separator = self._item(), re.escape(self.separator)
        return f"{JSON_ARRAY_TEXT}|{WS}{item}(?:{WS}{separator}{WS}{item})*{WS}"

    @cached_property
    def _item_compiled(self) -> re.Pattern[str]:
        return re.compile(self._item(), re.ASCII)

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
            if self._item_compiled.fullmatch(item) is None:
                if self.allow_sip and item.startswith("sip:"):
                    raise Invalid("sip_uri", f"destination {position} is not a SIP URI: {_describe(item)}")
                kinds = "a phone number or a sip: URI" if self.allow_sip else "a phone number"
                raise Invalid("phone", f"destination {position} must be {kinds}, got {_describe(item)}")
            out.append(item if item.startswith("sip:") else _FORMATTING.sub("", item))
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
        item = {"type": "string", "pattern": _anchored(WS + self._item() + WS)}
        listed = {"type": "array", "items": {"oneOf": [item, {"type": "integer"}]}, "minItems": 1}
        number = {"type": "integer", "minimum": 100, "maximum": 10**16 - 1}  # one number, as its digits
        return {"oneOf": [self.string_schema(), {**listed, "maxItems": self.max_items}, number]}


@dataclass(frozen=True)
class SeparatedList(ValueType):
    """A list sent to Plivo as one separated string, each item checked by ``item``."""

    item: ValueType = field(default_factory=lambda: Text())
    separator: str = ","
    max_items: int = 100
    exact: ClassVar[bool] = False  # an item's own pattern may take the separator

    def _item_rule(self) -> str:
        return self.item.rule() or f"[^{re.escape(self.separator)}]*"

    def rule(self) -> str:
        item, separator = self._item_rule(), re.escape(self.separator)
        return f"{JSON_ARRAY_TEXT}|(?:{item})(?:{separator}(?:{item}))*"

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
        item = {"type": "string", "pattern": _anchored(self._item_rule())}
        listed = {"type": "array", "items": item, "minItems": 1, "maxItems": self.max_items}
        return {"oneOf": [self.string_schema(), listed]}


@dataclass(frozen=True)
class IpAddress(ValueType):
    exact: ClassVar[bool] = False  # the pattern says which characters, ipaddress how they fit

    def rule(self) -> str:
        return WS + "([0-9A-Fa-f:.]+(?:%[!-~]+)?)" + WS

    def parse(self, value: Any) -> str:
        found = self._match(_as_text(value))
        try:
            if found is not None:
                return str(ipaddress.ip_address(found.group(1)))
        except ValueError:
            pass
        raise Invalid("ip_address", f"must be an IP address, got {_describe(value)}")

    def describe(self) -> str:
        return "an IP address"


_SERVICE_WORDS = ("voice", "sms")


@dataclass(frozen=True)
class Services(ValueType):
    """Plivo's number services filter: ``voice``, ``sms`` or ``voice,sms``."""

    exact: ClassVar[bool] = False  # a JSON array in a string is read, not matched

    def rule(self) -> str:
        voice, sms = (either_case(word) for word in _SERVICE_WORDS)
        comma = f"{WS},{WS}"
        return f"{JSON_ARRAY_TEXT}|{WS}(?:{voice}(?:{comma}{sms})?|{sms}(?:{comma}{voice})?){WS}"

    def parse(self, value: Any) -> str:
        items = [s.lower() if s.isascii() else s for s in _as_items(value, ",")]
        if not items or any(s not in _SERVICE_WORDS for s in items) or len(set(items)) != len(items):
            raise Invalid("choice", f"must be voice, sms or voice,sms; got {_describe(value)}")
        return ",".join(s for s in _SERVICE_WORDS if s in items)

    def describe(self) -> str:
        return "voice, sms or voice,sms"

    def schema(self) -> dict[str, Any]:
        word = {
            "type": "string",
            "pattern": _anchored(WS + one_of(_SERVICE_WORDS, case_insensitive=True) + WS),
        }
        listed = {"type": "array", "items": word, "minItems": 1, "maxItems": 2}
        return {"oneOf": [{**self.string_schema(), "examples": ["voice", "sms", "voice,sms"]}, listed]}


_SIP_KEY, _SIP_VALUE = "[A-Za-z0-9]+", "[A-Za-z0-9%]+"


@dataclass(frozen=True)
class SipHeaders(ValueType):
    """``key=value`` pairs separated by commas; keys [A-Za-z0-9], values [A-Za-z0-9%]."""

    exact: ClassVar[bool] = False  # a JSON array in a string is read, not matched

    def rule(self) -> str:
        pair = f"{WS}{_SIP_KEY}{WS}={WS}{_SIP_VALUE}{WS}"
        return f"{JSON_ARRAY_TEXT}|{pair}(?:,{pair})*"

    def parse(self, value: Any) -> str:
        if isinstance(value, dict):
            pairs = [(str(k), str(v)) for k, v in value.items()]
        else:
            pairs = []
            for item in _as_items(value, ","):
                key, sep, val = item.partition("=")
                if not sep:
                    raise Invalid("sip_headers", f"{_describe(item)} is not a key=value pair")
                pairs.append((key.strip(WHITESPACE), val.strip(WHITESPACE)))
        for key, val in pairs:
            if not re.fullmatch(_SIP_KEY, key) or not re.fullmatch(_SIP_VALUE, val):
                raise Invalid(
                    "sip_headers", "keys may hold only A-Z, a-z, 0-9 and values only A-Z, a-z, 0-9 and %"
                )
        if not pairs:
            raise Invalid("min_length", "must not be empty")
        return ",".join(f"{k}={v}" for k, v in pairs)

    def describe(self) -> str:
        return "key=value pairs separated by commas"

    def schema(self) -> dict[str, Any]:
        listed = {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": _anchored(_SIP_KEY)},
            "additionalProperties": {"type": ["string", "integer"]},
        }
        return {"oneOf": [self.string_schema(), listed]}


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


def _country_rule() -> str:
    """The officially assigned codes, by first letter, either case: ``[Aa](?:[Dd]|[Ee]|...)|...``."""
    by_first: dict[str, list[str]] = {}
    for code in sorted(COUNTRY_CODES):
        by_first.setdefault(code[0], []).append(code[1])
    groups = [
        f"{either_case(first)}(?:{'|'.join(either_case(c) for c in seconds)})"
        for first, seconds in by_first.items()
    ]
    return WS + "(" + "|".join(groups) + ")" + WS


@dataclass(frozen=True)
class Country(ValueType):
    def rule(self) -> str:
        return _country_rule()

    def parse(self, value: Any) -> str:
        found = self._match(_as_text(value))
        if found is None:
            raise Invalid(
                "country_iso", f"must be an ISO 3166-1 alpha-2 country code, got {_describe(value)}"
            )
        return found.group(1).upper()

    def describe(self) -> str:
        return "an ISO 3166-1 alpha-2 country code, e.g. US"


# --- The seed's custom datatypes -------------------------------------------------------------

_DATE = (
    "([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
    "(?:[ T]([0-9]{1,2}):([0-9]{1,2})(?::([0-9]{1,2})(?:\\.([0-9]{1,6}))?)?)?"
)


@dataclass(frozen=True)
class Datepicker(ValueType):
    """A date and time such as ``2016-05-28 00:00:00``; sent to Plivo in that form."""

    datatype: ClassVar[str] = "Datepicker"
    exact: ClassVar[bool] = False  # the pattern has the shape; the calendar says whether the day exists

    def rule(self) -> str:
        return WS + _DATE + WS

    def parse(self, value: Any) -> str:
        found = self._match(_as_text(value))
        try:
            if found is None:
                raise ValueError
            year, month, day, hour, minute, second, fraction = found.groups()
            moment = datetime(
                int(year),
                int(month),
                int(day),
                int(hour or 0),
                int(minute or 0),
                int(second or 0),
                int((fraction or "0").ljust(6, "0")),
            )
        except ValueError:
            raise Invalid(
                "datetime", f"must be a date and time like 2016-05-28 00:00:00, got {_describe(value)}"
            ) from None
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f" if fraction else "%Y-%m-%d %H:%M:%S")

    def describe(self) -> str:
        return "a date and time, YYYY-MM-DD HH:MM:SS"


_NUMBER = "[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?"


@dataclass(frozen=True)
class Map(ValueType):
    """Latitude and longitude, comma separated (``50.37, 26.56``); parsed to a pair of floats."""

    datatype: ClassVar[str] = "Map"
    exact: ClassVar[bool] = False  # the ranges (±90, ±180) are checked on the numbers

    def rule(self) -> str:
        return f"{WS}({_NUMBER}){WS},{WS}({_NUMBER}){WS}"

    def parse(self, value: Any) -> str:
        found = self._match(_as_text(value))
        if found is None:
            raise Invalid("map", f"must be 'latitude, longitude', got {_describe(value)}")
        lat, lon = float(found.group(1)), float(found.group(2))
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
    exact: ClassVar[bool] = False  # a JSON array in a string is read, not matched

    def rule(self) -> str:
        return JSON_ARRAY_TEXT

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
        return {"oneOf": [{"type": "array", "items": {"type": ["string", "number"]}}, self.string_schema()]}


@dataclass(frozen=True)
class Array(ValueType):
    """An array of objects (a JSON array, or a JSON-array string)."""

    datatype: ClassVar[str] = "Array"
    json_type: ClassVar[str] = "array"
    exact: ClassVar[bool] = False  # a JSON array in a string is read, not matched

    def rule(self) -> str:
        return JSON_ARRAY_TEXT

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
        return {"oneOf": [{"type": "array", "items": {"type": "object"}}, self.string_schema()]}


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
DIGITS = Text(pattern=r"[0-9]+", pattern_help="digits only")
MEMBER_IDS = Text(
    pattern=r"all|[0-9]+(?:,[0-9]+)*", pattern_help="a member id, several separated by commas, or all"
)
DTMF = Text(
    pattern=r"[0-9A-Da-d*#wW]+(?:@[0-9]{2,5})?",
    pattern_help="DTMF digits 0-9, A-D, *, # (w/W to wait), optionally @duration",
)


def choice_values(value_type: ValueType) -> Sequence[str] | None:
    return value_type.options if isinstance(value_type, Choice) else None
