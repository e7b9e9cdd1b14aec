"""Messages (kind ``message``, id = ``message_uuid``): units, prices, lifecycle and callbacks.

Units are counted as carriers do: text made only of GSM-7 characters (extension characters such as
``€`` or ``{`` take two septets) is one unit up to 160 septets, else parts of 153; any other text
is UCS-2: one unit up to 70 UTF-16 code units, else parts of 67. ``total_rate`` is the per-unit
outbound rate of the destination country, ``total_amount`` rate × units.

Every message is charged to the main account's ``cash_credits``. Outbound messages move ``queued`` → ``sent`` → ``delivered`` (delays from the settings; immediate by
default, in which case the lifecycle completes before ``POST Message/`` answers). Every change is
reported to the message's ``url`` through ``state.webhooks`` with Plivo's parameters. A message
stops in ``settings.message_hold_state`` (hidden ``_held``) until :func:`set_final_state` or
:func:`release_held`. ``install(state)`` resumes unfinished lifecycles when the app starts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import anyio

from plivo_blocks.sandbox import ids
from plivo_blocks.sandbox.clock import format_time, utc_now
from plivo_blocks.sandbox.models.accounts import charge
from plivo_blocks.sandbox.models.common import resource_uri
from plivo_blocks.sandbox.models.numbers import application_for_number
from plivo_blocks.sandbox.responses import bad_request
from plivo_blocks.sandbox.state import SandboxState
from plivo_blocks.sandbox.store import Document, Tx
from plivo_blocks.sandbox.tariffs import Country, country_for_number, format_rate, message_rate

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


def _base_message(
    *,
    from_number: str,
    to_number: str,
    direction: str,
    state: str,
    units: int,
    rate: Decimal,
    country: Country | None,
) -> dict[str, Any]:
    now = utc_now()
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


def plan_outbound(src: str, dst: str, text: str, message_type: str = "sms") -> list[dict[str, Any]]:
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
        body = _base_message(
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


def notify(state: SandboxState, doc: Document) -> None:
    url = doc.data.get("_url")
    if url:
        state.webhooks.send(
            url,
            doc.data.get("_method", "POST"),
            callback_params(doc),
            auth_id=doc.owner,
            kind="message_status",
        )


# -- lifecycle ------------------------------------------------------------------------------


async def create_outbound(
    state: SandboxState, owner: str, planned: list[dict[str, Any]], url: str | None, method: str, text: str
) -> list[str]:
    """Store the planned messages (queued), report ``queued`` and start their lifecycles."""
    hold = state.settings.message_hold_state

    def insert_all(tx: Tx) -> list[Document]:
        docs = []
        for body in planned:
            body.update({"_url": url, "_method": method, "_text": text, "_held": hold == "queued"})
            docs.append(tx.insert(MESSAGE, ids.new_uuid(), owner, body))
        charge(tx, owner, sum((Decimal(d.data["total_amount"]) for d in docs), Decimal(0)))
        return docs

    docs = await state.store.transaction(insert_all)
    for doc in docs:
        notify(state, doc)
    for doc in docs:
        await start_lifecycle(state, doc.id)
    return [doc.id for doc in docs]


async def start_lifecycle(state: SandboxState, uuid: str) -> None:
    settings = state.settings
    if state.running and (settings.message_queued_seconds or settings.message_sent_seconds):
        state.spawn(run_lifecycle, state, uuid)
    else:
        await run_lifecycle(state, uuid)


async def run_lifecycle(state: SandboxState, uuid: str) -> None:
    for target, delay_name in (("sent", "message_queued_seconds"), ("delivered", "message_sent_seconds")):
        doc = await state.store.get(MESSAGE, uuid)
        if doc is None or doc.data.get("_held") or doc.data["message_state"] not in PROGRESS:
            return
        if PROGRESS.index(doc.data["message_state"]) >= PROGRESS.index(target):
            continue
        delay = float(getattr(state.settings, delay_name))
        if delay:
            await anyio.sleep(delay)
        if await advance(state, uuid, target) is None:
            return


def _changes_for(doc: Document, to_state: str, error_code: str | None, hold: str | None) -> dict[str, Any]:
    now = utc_now()
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


async def advance(state: SandboxState, uuid: str, to_state: str) -> Document | None:
    """Move an unheld, unfinished message forward to ``to_state`` and report it; ``None`` when it
    cannot move (held, final, already there, or gone)."""
    hold = state.settings.message_hold_state

    def change(tx: Tx) -> Document | None:
        doc = tx.get(MESSAGE, uuid)
        if doc is None or doc.data.get("_held"):
            return None
        current = doc.data["message_state"]
        if current not in PROGRESS or PROGRESS.index(to_state) <= PROGRESS.index(current):
            return None
        return tx.update(MESSAGE, uuid, _changes_for(doc, to_state, None, hold))

    doc = await state.store.transaction(change)
    if doc is not None:
        notify(state, doc)
    return doc


async def set_final_state(
    state: SandboxState, uuid: str, to_state: str, error_code: str | None
) -> Document | None:
    """Give a message its final state (control API), whatever it was, and report it."""
    if to_state in ("failed", "undelivered", "rejected") and not error_code:
        error_code = "1000"

    def change(tx: Tx) -> Document | None:
        doc = tx.get(MESSAGE, uuid)
        if doc is None:
            return None
        return tx.update(MESSAGE, uuid, _changes_for(doc, to_state, error_code, None))

    doc = await state.store.transaction(change)
    if doc is not None:
        notify(state, doc)
    return doc


async def release_held(state: SandboxState) -> int:
    """Let held messages continue their lifecycle; returns how many were released."""
    released = await state.store.transaction(
        lambda tx: [
            tx.update(MESSAGE, d.id, {"_held": False}) and d.id
            for d in tx.list(MESSAGE, filters={"_held": True})
        ]
    )
    for uuid in released:
        if uuid:
            await start_lifecycle(state, uuid)
    return len(released)


# -- inbound --------------------------------------------------------------------------------


async def receive_inbound(state: SandboxState, src: str, dst: str, text: str) -> tuple[Document, str | None]:
    """An SMS from ``src`` to the rented number ``dst``: stored as an inbound message of the number's
    owner and delivered to its application's ``message_url``. Returns the message and that URL."""
    source = clean_number(src, "from")
    target = clean_number(dst, "to")
    if len(text) > MAX_TEXT:
        raise bad_request(f"text can be at most {MAX_TEXT} characters")

    def store_inbound(tx: Tx) -> tuple[Document, Document | None] | None:
        found = application_for_number(tx, target)
        if found is None:
            return None
        number, app = found
        country = country_for_number(target)
        body = _base_message(
            from_number=source,
            to_number=target,
            direction="inbound",
            state="received",
            units=count_units(text),
            rate=message_rate(country, "inbound") if country else Decimal(0),
            country=country,
        )
        body["message_sent_time"] = body["message_updated_time"]
        body["_text"] = text
        charge(tx, number.owner, Decimal(body["total_amount"]))
        return tx.insert(MESSAGE, ids.new_uuid(), number.owner, body), app

    stored = await state.store.transaction(store_inbound)
    if stored is None:
        raise bad_request(f"{target} is not a number rented in this sandbox")
    doc, app = stored
    url = str(app.data.get("message_url") or "") if app else ""
    if url:
        params = {
            "From": source,
            "To": target,
            "Text": text,
            "Type": "sms",
            "MessageUUID": doc.id,
            "Units": str(doc.data["units"]),
            "TotalRate": doc.data["total_rate"],
            "TotalAmount": doc.data["total_amount"],
            "MessageIntent": "",
        }
        state.webhooks.send(
            url,
            str(app.data.get("message_method") or "POST") if app else "POST",
            params,
            auth_id=doc.owner,
            kind="message_inbound",
        )
    return doc, url or None


# -- extension hook -------------------------------------------------------------------------


def install(state: SandboxState) -> None:
    async def resume_unfinished() -> None:
        pending = await state.store.list(
            MESSAGE, filters={"message_state__in": ["queued", "sent"], "_held": False}
        )
        for doc in pending:
            if doc.data.get("message_direction") == "outbound":
                state.spawn(run_lifecycle, state, doc.id)

    state.on_startup(resume_unfinished)
