"""Messages (kind ``message``, id = ``message_uuid``): units, prices, documents and callback parameters.

Units are counted as carriers do: text made only of GSM-7 characters (extension characters such as
``€`` or ``{`` take two septets) is one unit up to 160 septets, else parts of 153; any other text
is UCS-2: one unit up to 70 UTF-16 code units, else parts of 67. ``total_rate`` is the per-unit
outbound rate of the destination country, ``total_amount`` rate × units.

Every message is charged to the main account's ``cash_credits``. How messages move through their
states over time is :mod:`plivo_blocks.sandbox.messaging`'s business.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from plivo_blocks.sandbox.models.common import resource_uri
from plivo_blocks.sandbox.responses import bad_request
from plivo_blocks.sandbox.store import Document
from plivo_blocks.sandbox.tariffs import Country, country_for_number, format_rate, message_rate
from plivo_blocks.sandbox.times import format_time

MESSAGE = "message"
STATES = ("queued", "sent", "failed", "delivered", "undelivered", "rejected", "read", "received")
PROGRESS = ("queued", "sent", "delivered")
FINAL_STATES = ("failed", "delivered", "undelivered", "rejected", "read", "received")
SETTABLE_FINAL_STATES = ("delivered", "failed", "undelivered", "rejected", "read")
MAX_TEXT = 1600

#: Plivo's message error codes and their meaning (``error_message``).
ERROR_CODES = {
    "000": "",
    "10": "Invalid Message",
    "20": "Network Error",
    "30": "Spam Detected",
    "40": "Invalid Source Number",
    "50": "Invalid Destination Number",
    "60": "Loop Detected",
    "70": "Destination Permanently Unavailable",
    "80": "Destination Temporarily Unavailable",
    "90": "No Route Available",
    "100": "Prohibited by Carrier",
    "110": "Message Too Long",
    "200": "Source Number Not Linked",
    "300": "Failed to Dispatch Message",
    "420": "Message Expired",
    "900": "Insufficient Credit",
    "1000": "Unknown Error",
}

_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = set("^{}\\[~]|€\f")
_NUMBER = re.compile(r"^\+?\d{7,15}$")


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


# -- documents ------------------------------------------------------------------------------


def render_message(doc: Document) -> dict[str, Any]:
    shown = doc.public()
    shown["message_uuid"] = doc.id
    shown["resource_uri"] = resource_uri(doc.owner, f"Message/{doc.id}/")
    return shown


def clean_number(value: str, name: str) -> str:
    if not _NUMBER.match(value):
        raise bad_request(f"{name} {value!r} is not a valid phone number")
    return value.lstrip("+")


def _mnc(number: str) -> str:
    return f"{sum(int(d) for d in number) % 90 + 1:03d}"  # stable fake network per number


def base_message(
    *,
    now: datetime,
    from_number: str,
    to_number: str,
    direction: str,
    state: str,
    units: int,
    rate: Decimal,
    country: Country | None,
) -> dict[str, Any]:
    return {
        "error_code": None,
        "from_number": from_number,
        "message_direction": direction,
        "message_state": state,
        "message_time": format_time(now),
        "message_type": "sms",
        "to_number": to_number,
        "total_amount": format_rate(rate * units),
        "total_rate": format_rate(rate),
        "units": units,
        "message_sent_time": None,
        "message_updated_time": format_time(now, micro=True),
        "error_message": "",
        "_time": now.timestamp(),
        "_mcc": country.mcc if country else "",
        "_mnc": _mnc(to_number),
        "_country": country.iso if country else None,
        "_held": False,
    }


def plan_outbound(
    src: str, dst: str, text: str, message_type: str = "sms", *, now: datetime
) -> list[dict[str, Any]]:
    """Validate a send request and return one message document body per destination."""
    source = clean_number(src, "src") if src.lstrip("+").isdigit() else src
    if not source or len(source) > 20:
        raise bad_request("src must be a phone number or a sender id of at most 20 characters")
    if len(text) > MAX_TEXT:
        raise bad_request(f"text can be at most {MAX_TEXT} characters")
    destinations = [d.strip() for d in dst.split("<") if d.strip()]
    if not destinations:
        raise bad_request("dst is required")
    units = 1 if message_type == "mms" else count_units(text)
    planned = []
    for raw in destinations:
        to_number = clean_number(raw, "dst")
        if to_number == source:
            raise bad_request("destination number cannot be same as source number")
        country = country_for_number(to_number)
        if country is None:
            raise bad_request(f"dst {to_number} is in a country the sandbox has no route to")
        body = base_message(
            now=now,
            from_number=source,
            to_number=to_number,
            direction="outbound",
            state="queued",
            units=units,
            rate=message_rate(country, "outbound"),
            country=country,
        )
        body["message_type"] = message_type
        planned.append(body)
    return planned


def callback_params(doc: Document) -> dict[str, str]:
    data = doc.data
    return {
        "To": data["to_number"],
        "From": data["from_number"],
        "Status": data["message_state"],
        "MessageUUID": doc.id,
        "ParentMessageUUID": doc.id,
        "PartInfo": "1 of 1",
        "TotalRate": data["total_rate"],
        "TotalAmount": data["total_amount"],
        "Units": str(data["units"]),
        "MCC": data.get("_mcc", ""),
        "MNC": data.get("_mnc", ""),
        "ErrorCode": data.get("error_code") or "",
    }


def state_changes(
    doc: Document, to_state: str, error_code: str | None, hold: str | None, now: datetime
) -> dict[str, Any]:
    """The fields that change when ``doc`` moves to ``to_state`` (``hold``: the state new messages
    stop in, if any)."""
    changes: dict[str, Any] = {
        "message_state": to_state,
        "message_updated_time": format_time(now, micro=True),
        "_held": hold == to_state and to_state not in FINAL_STATES,
    }
    if to_state != "queued" and not doc.data.get("message_sent_time"):
        changes["message_sent_time"] = format_time(now, micro=True)
    if to_state == "delivered":
        error_code = "000"
    elif to_state in ("queued", "sent"):
        error_code = None
    changes["error_code"] = error_code
    changes["error_message"] = ERROR_CODES.get(error_code, "") if error_code else ""
    return changes
