"""The shipped price and country table (``data/pricing.json``, ``data/inventory.json``).

``pricing.json`` holds, per ISO country code, the body ``GET Pricing/`` answers (without
``api_id``), shaped like Plivo's. Look-ups used by messages and voice:

- :func:`pricing_for(iso)` -> the pricing body or ``None``;
- :func:`country_for_number(number)` -> :class:`Country` (longest country-code match; ``+1`` is
  Canada for its area codes, else the US);
- :func:`message_rate(country, direction)`, :func:`voice_rate(number, direction, kind)` -> ``Decimal``;
- :func:`format_rate(value)` -> ``"0.00650"`` (Plivo's five decimals).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from typing import Any, cast


@dataclass(frozen=True)
class Country:
    iso: str
    name: str
    code: int
    mcc: str


def _load(name: str) -> dict[str, Any]:
    text = resources.files("plivo_blocks.sandbox").joinpath("data", name).read_text("utf-8")
    return cast(dict[str, Any], json.loads(text))


@cache
def pricing_table() -> dict[str, Any]:
    return _load("pricing.json")


@cache
def inventory_table() -> dict[str, Any]:
    return _load("inventory.json")


def pricing_for(iso: str) -> dict[str, Any] | None:
    entry = pricing_table().get(iso.upper())
    return cast(dict[str, Any], json.loads(json.dumps(entry))) if entry else None  # a private copy


def country(iso: str) -> Country | None:
    entry = inventory_table().get(iso.upper())
    if entry is None:
        return None
    return Country(iso.upper(), entry["name"], int(entry["country_code"]), str(entry["mcc"]))


@cache
def _by_code() -> list[tuple[str, str]]:
    # (country code, iso), longest codes first; the US answers for +1 (listed before Canada).
    pairs = [(str(v["country_code"]), iso) for iso, v in inventory_table().items()]
    pairs.sort(key=lambda p: (-len(p[0]), p[1] != "US", p[1]))
    return pairs


#: Canada's area codes in the North American Numbering Plan (NANPA); other +1 numbers count as the
#: US (toll-free codes are shared by both).
CANADIAN_AREA_CODES = frozenset(
    [
        "204",
        "226",
        "236",
        "249",
        "250",
        "257",
        "263",
        "289",
        "306",
        "343",
        "354",
        "365",
        "367",
        "368",
        "382",
        "387",
        "403",
        "416",
        "418",
        "428",
        "431",
        "437",
        "438",
        "450",
        "460",
        "468",
        "474",
        "506",
        "514",
        "519",
        "548",
        "579",
        "581",
        "584",
        "587",
        "604",
        "613",
        "639",
        "647",
        "672",
        "683",
        "705",
        "709",
        "742",
        "753",
        "778",
        "780",
        "782",
        "807",
        "819",
        "825",
        "867",
        "873",
        "879",
        "902",
        "905",
        "942",
    ]
)


def country_for_number(number: str) -> Country | None:
    digits = number.lstrip("+")
    if digits.startswith("1") and digits[1:4] in CANADIAN_AREA_CODES:
        return country("CA")
    for code, iso in _by_code():
        if digits.startswith(code):
            return country(iso)
    return None


def message_rate(found: Country, direction: str = "outbound") -> Decimal:
    entry = pricing_table()[found.iso]["message"][direction]
    return Decimal(entry["rate"])


def voice_rate(number: str, direction: str = "outbound", kind: str = "local") -> Decimal:
    """Per-minute rate for a call to (outbound) or from (inbound) ``number``; 0 for unknown countries.
    ``kind`` is ``local``, ``tollfree`` or ``ip`` (SIP)."""
    found = country_for_number(number)
    if found is None:
        return Decimal(0)
    voice = pricing_table()[found.iso]["voice"][direction]
    if direction == "outbound" and kind == "local":
        digits = number.lstrip("+")
        best: tuple[int, str] | None = None
        for entry in voice.get("rates", []):
            for prefix in entry["prefix"]:
                if digits.startswith(prefix) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), entry["rate"])
        if best:
            return Decimal(best[1])
    return Decimal(voice.get(kind, voice["local"])["rate"])


def format_rate(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.00001"), rounding=ROUND_HALF_UP))
