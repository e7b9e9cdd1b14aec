"""Messages (kind ``message``, id = ``message_uuid``): destinations, units, prices, documents, media
and callback parameters.

**Destinations** are cleaned as Plivo cleans ``dst``: "/, -, ., +, (, ), and white spaces" are
stripped; what is left must be a number starting with its country code, at most 14 digits. ``<``
separates several destinations (one message each).

**Units** are counted as carriers do: text made only of GSM-7 characters (extension characters
such as ``€`` or ``{`` take two septets) is one unit up to 160 septets, else parts of 153; any other
text is UCS-2: one unit up to 70 UTF-16 code units, else parts of 67. Plivo takes at most 1,600
GSM characters or 737 Unicode ones. An MMS is one unit, whatever its text (up to 1,600 characters)
and media. ``total_rate`` is the per-unit rate of the destination country (SMS) or Plivo's MMS
rate ($0.0160 out, $0.0080 in: "Plivo charges $0.0080 for inbound and $0.0160 for outbound MMS
messages"), ``total_amount`` rate × units, charged to the main account's ``cash_credits``.

**Documents** hold Plivo's public fields (``messageGetResponse.json``) and hidden ones: the text
(``_text``), the callback ``_url``/``_method``, the media (``_media``), the main account
(``_account``), the sender's kind (``_sender``), the moments it was queued, sent and reported
(``_queued_at``, ``_sent_at``, ``_report_at``, epoch seconds), its expiry and the number of status
changes reported so far (``_sequence``). How messages move through their states over time is
:mod:`plivo_blocks.sandbox.messaging`'s business.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from plivo_blocks.sandbox.ids import new_uuid
from plivo_blocks.sandbox.models.common import resource_uri
from plivo_blocks.sandbox.responses import bad_request
from plivo_blocks.sandbox.store import Document
from plivo_blocks.sandbox.tariffs import Country, country_for_number, format_rate, message_rate
from plivo_blocks.sandbox.times import format_time, from_epoch

MESSAGE = "message"
#: Every state a message may be in (outbound: queued, sent, then one of the final ones; inbound:
#: received, then delivered or undelivered once the application's message_url took it or not).
STATES = ("queued", "sent", "failed", "delivered", "undelivered", "rejected", "read", "received")
PROGRESS = ("queued", "sent", "delivered")
FINAL_STATES = ("failed", "delivered", "undelivered", "rejected", "read")
SETTABLE_FINAL_STATES = ("delivered", "failed", "undelivered", "rejected", "read")
MESSAGE_TYPES = ("sms", "mms")

MAX_GSM_TEXT = 1600
MAX_UNICODE_TEXT = 737
MAX_MMS_TEXT = 1600
MAX_MEDIA = 10
MAX_DESTINATION_DIGITS = 14
MIN_DESTINATION_DIGITS = 7
NANP_DIGITS = 11  # +1 and a ten-digit national number
MMS_RATES = {"outbound": Decimal("0.01600"), "inbound": Decimal("0.00800")}

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
    "120": "MMS Message Payload Too Large",
    "200": "Source Number Not Linked",
    "300": "Failed to Dispatch Message",
    "420": "Message Expired",
    "900": "Insufficient Credit",
    "1000": "Unknown Error",
}
EXPIRED = "420"

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


def mnc_for(number: str) -> str:
    return f"{sum(int(d) for d in number) % 90 + 1:03d}"  # a stable fake network per number


# -- documents ------------------------------------------------------------------------------


def render_message(doc: Document) -> dict[str, Any]:
    shown = doc.public()
    shown["message_uuid"] = doc.id
    shown["resource_uri"] = resource_uri(doc.owner, f"Message/{doc.id}/")
    return shown


def unit_rate(country: Country | None, direction: str, message_type: str) -> Decimal:
    if message_type == "mms":
        return MMS_RATES[direction]
    return message_rate(country, direction) if country else Decimal(0)


def base_message(
    *,
    now: float,
    from_number: str,
    to_number: str,
    direction: str,
    state: str,
    message_type: str,
    units: int,
    rate: Decimal,
    country: Country | None,
) -> dict[str, Any]:
    """A message's document body as it is created at sandbox time ``now`` (epoch seconds: the very
    moment the clock's timers use, not a rounded one)."""
    moment = from_epoch(now)
    return {
        "error_code": None,
        "from_number": from_number,
        "message_direction": direction,
        "message_state": state,
        "message_time": format_time(moment),
        "message_type": message_type,
        "to_number": to_number,
        "total_amount": format_rate(rate * units),
        "total_rate": format_rate(rate),
        "units": units,
        "message_sent_time": None,
        "message_updated_time": format_time(moment, micro=True),
        "error_message": "",
        "_time": now,
        "_queued_at": now,
        "_sent_at": None,
        "_report_at": None,
        "_sequence": 0,
        "_mcc": country.mcc if country else "",
        "_mnc": mnc_for(to_number),
        "_country": country.iso if country else None,
        "_held": False,
        "_media": [],
    }


def plan_outbound(
    *,
    src: str,
    destinations: Sequence[tuple[str, Country]],
    text: str,
    message_type: str,
    now: float,
) -> list[dict[str, Any]]:
    """One document body per destination (``queued``, priced)."""
    units = 1 if message_type == "mms" else count_units(text)
    planned = []
    for to_number, country in destinations:
        if to_number == src:
            raise bad_request("destination number cannot be same as source number")
        planned.append(
            base_message(
                now=now,
                from_number=src,
                to_number=to_number,
                direction="outbound",
                state="queued",
                message_type=message_type,
                units=units,
                rate=unit_rate(country, "outbound", message_type),
                country=country,
            )
        )
    return planned


def _callback_time(moment: float | None) -> str:
    """Plivo's ``YYYY-mm-dd HH:MM:SS.SSSSSS`` (UTC); empty until the moment happened."""
    return from_epoch(moment).strftime("%Y-%m-%d %H:%M:%S.%f") if moment is not None else ""


def callback_params(doc: Document) -> dict[str, str]:
    """Every parameter of Plivo's message status callback ("Message Status Callbacks")."""
    data = doc.data
    return {
        "MessageUUID": doc.id,
        "To": data["to_number"],
        "From": data["from_number"],
        "Type": data["message_type"],
        "Status": data["message_state"],
        "Units": str(data["units"]),
        "TotalRate": data["total_rate"],
        "TotalAmount": data["total_amount"],
        "MCC": data.get("_mcc", ""),
        "MNC": data.get("_mnc", ""),
        "ErrorCode": data.get("error_code") or "",
        "ParentMessageUUID": doc.id,
        "PartInfo": "1 of 1",
        "Sequence": str(data.get("_sequence", 0)),
        "MessageTime": _callback_time(data.get("_time")),
        "QueuedTime": _callback_time(data.get("_queued_at")),
        "SentTime": _callback_time(data.get("_sent_at")),
        "DeliveryReportTime": _callback_time(data.get("_report_at")),
        "PowerpackUUID": "",
        "requester_ip": str(data.get("_requester_ip") or ""),
    }


def state_changes(
    doc: Document, to_state: str, error_code: str | None, hold: str | None, moment: float
) -> dict[str, Any]:
    """The fields that change when ``doc`` moves to ``to_state`` at sandbox time ``moment`` (``hold``:
    the state new messages stop in, if any), including the next callback ``Sequence``."""
    changes: dict[str, Any] = {
        "message_state": to_state,
        "message_updated_time": format_time(from_epoch(moment), micro=True),
        "_held": hold == to_state and to_state not in FINAL_STATES,
        "_sequence": int(doc.data.get("_sequence", 0)) + 1,
    }
    sent_at = doc.data.get("_sent_at")
    if sent_at is None and to_state in ("sent", "delivered", "undelivered", "read"):
        sent_at = changes["_sent_at"] = moment  # a carrier's answer means it was sent
    if sent_at is not None and not doc.data.get("message_sent_time"):
        changes["message_sent_time"] = format_time(from_epoch(sent_at), micro=True)
    if to_state in FINAL_STATES and sent_at is not None:
        changes["_report_at"] = moment  # the carrier's delivery report
    if to_state == "delivered":
        error_code = "000"
    elif to_state in ("queued", "sent"):
        error_code = None
    changes["error_code"] = error_code
    changes["error_message"] = ERROR_CODES.get(error_code, "") if error_code else ""
    return changes


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


def media_entries(urls: Sequence[str]) -> list[dict[str, Any]]:
    """What the message keeps of each medium: an id, the URL and its content type (guessed from
    the URL; the sandbox does not download media)."""
    return [
        {
            "media_id": new_uuid(),
            "media_url": url,
            "content_type": mimetypes.guess_type(urlsplit(url).path)[0] or "application/octet-stream",
        }
        for url in urls
    ]


def render_media(doc: Document) -> list[dict[str, Any]]:
    """``GET Message/{uuid}/Media/`` objects, as in ``messageListMediaResponse.json``."""
    return [
        {
            "content_type": entry["content_type"],
            "media_id": entry["media_id"],
            "media_url": entry["media_url"],
            "message_uuid": doc.id,
            "size": entry.get("size", 0),
        }
        for entry in doc.data.get("_media") or []
    ]
