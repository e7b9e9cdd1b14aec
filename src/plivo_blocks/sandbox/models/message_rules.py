"""What Plivo accepts in a message: its text (and how many units it takes), its destinations and
its media URLs. Each check raises Plivo's 400 naming the parameter and the rule.

**Destinations** are cleaned as Plivo cleans ``dst``: "/, -, ., +, (, ), and white spaces" are
stripped; what is left must be a number starting with its country code, at most 14 digits. ``<``
separates several destinations (one message each).

**Units** are counted as carriers do: text made only of GSM-7 characters (extension characters
such as ``€`` or ``{`` take two septets) is one unit up to 160 septets, else parts of 153; any other
text is UCS-2: one unit up to 70 UTF-16 code units, else parts of 67. Plivo takes at most 1,600
GSM characters or 737 Unicode ones. An MMS is one unit, whatever its text (up to 1,600 characters)
and media.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from plivo_blocks.sandbox.responses import bad_request
from plivo_blocks.sandbox.tariffs import Country, country_for_number

MAX_GSM_TEXT = 1600
MAX_UNICODE_TEXT = 737
MAX_MMS_TEXT = 1600
MAX_MEDIA = 10
MAX_DESTINATION_DIGITS = 14
MIN_DESTINATION_DIGITS = 7
NANP_DIGITS = 11  # +1 and a ten-digit national number

_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = set("^{}\\[~]|€\f")
_DST_STRIPPED = re.compile(r"[/\-.+()\s]")


# -- units ----------------------------------------------------------------------------------


def is_gsm7(text: str) -> bool:
    return all(c in _GSM_BASIC or c in _GSM_EXTENSION for c in text)


def _parts(widths: Sequence[int], single: int, per_part: int) -> int:
    if sum(widths) <= single:
        return 1
    parts, used = 1, 0
    for width in widths:  # a character (escape pair, surrogate pair) never straddles two parts
        if used + width > per_part:
            parts, used = parts + 1, 0
        used += width
    return parts


def count_units(text: str) -> int:
    """SMS parts needed for ``text`` (at least 1)."""
    if is_gsm7(text):
        return _parts([2 if c in _GSM_EXTENSION else 1 for c in text], 160, 153)
    return _parts([2 if ord(c) > 0xFFFF else 1 for c in text], 70, 67)


def encoding(text: str) -> str:
    return "GSM" if is_gsm7(text) else "UCS-2"


def check_text(text: str, message_type: str) -> None:
    """Plivo's length limits: 1,600 GSM characters or 737 Unicode ones (an MMS: 1,600)."""
    if message_type == "mms":
        if len(text) > MAX_MMS_TEXT:
            raise bad_request(f"text of an mms can be at most {MAX_MMS_TEXT} characters")
    elif is_gsm7(text):
        if len(text) > MAX_GSM_TEXT:
            raise bad_request(f"text can be at most {MAX_GSM_TEXT} GSM characters (it has {len(text)})")
    elif len(text) > MAX_UNICODE_TEXT:
        raise bad_request(
            f"text with Unicode (UCS-2) characters can be at most {MAX_UNICODE_TEXT} characters (it has {len(text)})"
        )


# -- numbers --------------------------------------------------------------------------------


def clean_number(value: str, name: str) -> str:
    """A number as Plivo reads ``dst``: ``/ - . + ( )`` and spaces stripped, then 7 to 14 digits (a
    North American one, +1, has 11). Plivo's error starts ``'1111111' is not a valid phone number.``
    (quoted in plivo/plivo-node#222)."""
    digits = _DST_STRIPPED.sub("", value)
    north_american = digits.startswith("1")
    if (
        not digits.isdigit()
        or not MIN_DESTINATION_DIGITS <= len(digits) <= MAX_DESTINATION_DIGITS
        or (north_american and len(digits) != NANP_DIGITS)
    ):
        raise bad_request(
            f"'{digits}' is not a valid phone number. ({name}: without / - . + ( ) and spaces, "
            f"{MIN_DESTINATION_DIGITS} to {MAX_DESTINATION_DIGITS} digits starting with the country code; "
            f"{NANP_DIGITS} for +1 numbers)"
        )
    return digits


def parse_destinations(dst: str) -> list[tuple[str, Country]]:
    """Each ``<``-separated destination, cleaned, with its country."""
    found: list[tuple[str, Country]] = []
    for raw in dst.split("<"):
        if not raw.strip():
            continue
        number = clean_number(raw, "dst")
        country = country_for_number(number)
        if country is None:
            raise bad_request(f"dst {number} is in a country the sandbox has no route to")
        found.append((number, country))
    if not found:
        raise bad_request("dst is required")
    return found


# -- media ----------------------------------------------------------------------------------


def check_media_urls(raw: str | None) -> list[str]:
    """``media_urls``: absolute http(s) URLs, comma-separated (the SDKs send a list), at most 10."""
    if raw is None or not raw.strip():
        return []
    urls = [u.strip() for u in raw.split(",") if u.strip()]
    if len(urls) > MAX_MEDIA:
        raise bad_request(f"media_urls: an mms takes at most {MAX_MEDIA} media, got {len(urls)}")
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise bad_request(f"media_urls: {url!r} is not an absolute http(s) URL")
    return urls
