"""The deterministic inventory of numbers for sale (``GET PhoneNumber/``, ``POST PhoneNumber/{n}/``).

Every country of ``data/inventory.json`` has blocks (a type, a region, a prefix after the country
code, capabilities and rates); each block yields :data:`NUMBERS_PER_BLOCK` numbers whose remaining
digits come from a hash of (country, prefix, index), so the same search gives the same numbers on
every machine and after every restart. A number is for sale while nobody rents it: buying one takes
it out of search results, unrenting it puts it back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from plivo_blocks.sandbox.tariffs import inventory_table

NUMBERS_PER_BLOCK = 40
SEARCH_TYPES = ("any", "fixed", "local", "mobile", "tollfree", "national")


@dataclass(frozen=True)
class AvailableNumber:
    number: str
    country_iso: str
    country_name: str
    type: str  # fixed | mobile | tollfree
    prefix: str
    region: str
    lata: int | None
    rate_center: str | None
    voice_enabled: bool
    sms_enabled: bool
    monthly_rental_rate: str
    voice_rate: str
    sms_rate: str
    address_proof: bool

    def search_view(self, resource_uri: str) -> dict[str, Any]:
        return {
            "country": self.country_name.upper(),
            "lata": self.lata,
            "monthly_rental_rate": self.monthly_rental_rate,
            "number": self.number,
            "type": self.type,
            "prefix": self.prefix,
            "rate_center": self.rate_center,
            "region": self.region,
            "resource_uri": resource_uri,
            "restriction": None,
            "restriction_text": None,
            "setup_rate": "0.00000",
            "sms_enabled": self.sms_enabled,
            "sms_rate": self.sms_rate if self.sms_enabled else "0.00000",
            "voice_enabled": self.voice_enabled,
            "voice_rate": self.voice_rate,
            "prerequisites": (
                [{"proof_required": True, "proof_type": ["Any"], "scope": "country", "type": "address"}]
                if self.address_proof
                else []
            ),
        }


def _digits(seed: str, count: int) -> str:
    out = ""
    counter = 0
    while len(out) < count:
        out += "".join(c for c in hashlib.sha256(f"{seed}:{counter}".encode()).hexdigest() if c.isdigit())
        counter += 1
    return out[:count]


@cache
def country_inventory(iso: str) -> tuple[AvailableNumber, ...]:
    entry = inventory_table().get(iso.upper())
    if entry is None:
        return ()
    code = str(entry["country_code"])
    seen: set[str] = set()
    numbers: list[AvailableNumber] = []
    for block in entry["blocks"]:
        prefix = block["prefix"]
        free = max(entry["national_length"] - len(prefix), 4)
        tollfree = block["type"] == "tollfree"
        block_numbers = set()
        for index in range(NUMBERS_PER_BLOCK):
            rest = _digits(f"{iso}:{prefix}:{index}", free)
            if code == "1":
                rest = str(2 + int(rest[0]) % 8) + rest[1:]  # NANP exchanges never start with 0 or 1
            block_numbers.add(code + prefix + rest)
        for number in sorted(block_numbers - seen):
            seen.add(number)
            numbers.append(
                AvailableNumber(
                    number=number,
                    country_iso=iso.upper(),
                    country_name=entry["name"],
                    type=block["type"],
                    prefix=prefix,
                    region=block["region"],
                    lata=block["lata"],
                    rate_center=block["rate_center"],
                    voice_enabled=block["voice"],
                    sms_enabled=block["sms"],
                    monthly_rental_rate=block["monthly_rental_rate"],
                    voice_rate=entry["tollfree_voice_rate"] if tollfree else entry["voice_rate"],
                    sms_rate=entry["sms_rate"],
                    address_proof=entry["address_proof"],
                )
            )
    return tuple(numbers)


def find_available(number: str) -> AvailableNumber | None:
    for iso in inventory_table():
        for candidate in country_inventory(iso):
            if candidate.number == number:
                return candidate
    return None


def _has_services(item: AvailableNumber, services: Iterable[str]) -> bool:
    wanted = set(services)
    return ("voice" not in wanted or item.voice_enabled) and (not wanted & {"sms", "mms"} or item.sms_enabled)


def search(
    iso: str,
    *,
    type: str | None = None,
    pattern: str | None = None,
    region: str | None = None,
    services: Iterable[str] = (),
    lata: str | None = None,
    rate_center: str | None = None,
    taken: Callable[[str], bool] = lambda number: False,
) -> list[AvailableNumber]:
    """Numbers of ``iso`` for sale that pass every given filter (``taken`` tells rented numbers)."""
    kind = {"local": "fixed", "national": "fixed", "any": None}.get(type or "any", type)
    entry = inventory_table().get(iso.upper())
    code = str(entry["country_code"]) if entry else ""
    wanted_services = list(services)
    found = []
    for item in country_inventory(iso):
        if kind and item.type != kind:
            continue
        if pattern and not item.number.startswith(code + pattern):
            continue
        if region and not _region_matches(item.region, region):
            continue
        if wanted_services and not _has_services(item, wanted_services):
            continue
        if lata and str(item.lata) != lata:
            continue
        if rate_center and (item.rate_center or "").lower() != rate_center.lower():
            continue
        if taken(item.number):
            continue
        found.append(item)
    return found


def _region_matches(actual: str, wanted: str) -> bool:
    # Plivo: the exact region name, or (three characters or more) a phrase within it.
    actual_l, wanted_l = actual.lower(), wanted.lower().strip()
    return actual_l == wanted_l or (len(wanted_l) >= 3 and wanted_l in actual_l)
