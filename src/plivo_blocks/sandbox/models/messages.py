"""Messages (kind ``message``, id = ``message_uuid``): states, prices, documents and callback
parameters. What a message may contain (text, destinations, media URLs) and how many units it
takes is :mod:`.message_rules`.

**Prices.** ``total_rate`` is the per-unit rate of the destination country (SMS) or Plivo's MMS
rate ($0.0160 out, $0.0080 in: "Plivo charges $0.0080 for inbound and $0.0160 for outbound MMS
messages"), ``total_amount`` rate × units, charged to the main account's ``cash_credits``.

**Documents** (:class:`Message`) hold Plivo's public fields (``messageGetResponse.json``) and what
only the sandbox knows: the text, the status callback's ``url`` and ``method``, the media
(:class:`MessageMedia`), the main account whose limits apply, the sender's throughput, the moments
it was made, queued, sent and reported (epoch seconds), its expiry and the number of status changes
reported so far (``sequence``). How messages move through their states over time is
:mod:`plivo_blocks.sandbox.messaging`'s business.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import urlsplit

from plivo_blocks.sandbox.ids import new_uuid
from plivo_blocks.sandbox.models.common import resource_uri
from plivo_blocks.sandbox.models.message_rules import count_units
from plivo_blocks.sandbox.responses import bad_request
from plivo_blocks.sandbox.store import Document
from plivo_blocks.sandbox.tariffs import Country, format_rate, message_rate
from plivo_blocks.sandbox.times import format_time, from_epoch

MESSAGE = "message"
#: Every state a message may be in (outbound: queued, sent, then one of the final ones; inbound:
#: received, then delivered or undelivered once the application's message_url took it or not).
STATES = ("queued", "sent", "failed", "delivered", "undelivered", "rejected", "read", "received")
PROGRESS = ("queued", "sent", "delivered")
FINAL_STATES = ("failed", "delivered", "undelivered", "rejected", "read")
SETTABLE_FINAL_STATES = ("delivered", "failed", "undelivered", "rejected", "read")
MESSAGE_TYPES = ("sms", "mms")

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

# -- documents ------------------------------------------------------------------------------


def mnc_for(number: str) -> str:
    return f"{sum(int(d) for d in number) % 90 + 1:03d}"  # a stable fake network per number


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageMedia:
    """One medium of an MMS: an id, the URL and its content type (guessed from the URL; the
    sandbox does not download media)."""

    media_id: str
    media_url: str
    content_type: str
    size: int = 0

    @classmethod
    def of(cls, url: str) -> MessageMedia:
        guessed = mimetypes.guess_type(urlsplit(url).path)[0]
        return cls(media_id=new_uuid(), media_url=url, content_type=guessed or "application/octet-stream")

    def render(self, message_uuid: str) -> dict[str, Any]:
        """A ``GET Message/{uuid}/Media/`` object, as in ``messageListMediaResponse.json``."""
        return {
            "content_type": self.content_type,
            "media_id": self.media_id,
            "media_url": self.media_url,
            "message_uuid": message_uuid,
            "size": self.size,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> MessageMedia:
        return cls(
            media_id=str(data["media_id"]),
            media_url=str(data["media_url"]),
            content_type=str(data["content_type"]),
            size=int(data.get("size") or 0),
        )

    def to_data(self) -> dict[str, Any]:
        return {
            "media_id": self.media_id,
            "media_url": self.media_url,
            "content_type": self.content_type,
            "size": self.size,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """A message, inbound or outbound: the fields Plivo shows (``messageGetResponse.json``), then
    what only the sandbox knows (module docstring). Moments are sandbox epoch seconds."""

    KIND: ClassVar[str] = MESSAGE
    STORED_AS: ClassVar[Mapping[str, str]] = {
        "text": "_text",
        "media": "_media",
        "time": "_time",
        "queued_at": "_queued_at",
        "sent_at": "_sent_at",
        "report_at": "_report_at",
        "sequence": "_sequence",
        "mcc": "_mcc",
        "mnc": "_mnc",
        "country": "_country",
        "held": "_held",
        "url": "_url",
        "method": "_method",
        "account": "_account",
        "sender_per_second": "_sender_per_second",
        "expires_at": "_expires_at",
        "requester_ip": "_requester_ip",
    }

    id: str  # the message_uuid
    owner: str
    error_code: str | None = None
    from_number: str
    message_direction: str
    message_state: str
    message_time: str
    message_type: str
    to_number: str
    total_amount: str
    total_rate: str
    units: int
    message_sent_time: str | None = None
    message_updated_time: str
    error_message: str = ""
    text: str = ""
    media: tuple[MessageMedia, ...] = ()
    time: float  # made (queued, or received)
    queued_at: float
    sent_at: float | None = None
    report_at: float | None = None  # the carrier's delivery report
    sequence: int = 0  # status callbacks reported so far
    mcc: str = ""
    mnc: str = ""
    country: str | None = None  # the destination's ISO code
    held: bool = False  # stopped by the control API's hold
    url: str | None = None  # the status callback
    method: str | None = None
    account: str | None = None  # the main account whose limits apply (outbound)
    sender_per_second: float = 0.0  # the sender's own throughput (0: none documented)
    expires_at: float | None = None  # ``message_expiry`` runs out (outbound)
    requester_ip: str = ""

    def _plivo_fields(self) -> dict[str, Any]:
        """The fields Plivo shows, as they are stored too (in Plivo's order)."""
        return {
            "error_code": self.error_code,
            "from_number": self.from_number,
            "message_direction": self.message_direction,
            "message_state": self.message_state,
            "message_time": self.message_time,
            "message_type": self.message_type,
            "to_number": self.to_number,
            "total_amount": self.total_amount,
            "total_rate": self.total_rate,
            "units": self.units,
            "message_sent_time": self.message_sent_time,
            "message_updated_time": self.message_updated_time,
            "error_message": self.error_message,
        }

    def render(self) -> dict[str, Any]:
        """As ``GET Message/{uuid}/`` shows it."""
        return {
            **self._plivo_fields(),
            "message_uuid": self.id,
            "resource_uri": resource_uri(self.owner, f"Message/{self.id}/"),
        }

    def render_media(self) -> list[dict[str, Any]]:
        """``GET Message/{uuid}/Media/`` objects."""
        return [medium.render(self.id) for medium in self.media]

    def callback_params(self) -> dict[str, str]:
        """Every parameter of Plivo's message status callback ("Message Status Callbacks")."""
        return {
            "MessageUUID": self.id,
            "To": self.to_number,
            "From": self.from_number,
            "Type": self.message_type,
            "Status": self.message_state,
            "Units": str(self.units),
            "TotalRate": self.total_rate,
            "TotalAmount": self.total_amount,
            "MCC": self.mcc,
            "MNC": self.mnc,
            "ErrorCode": self.error_code or "",
            "ParentMessageUUID": self.id,
            "PartInfo": "1 of 1",
            "Sequence": str(self.sequence),
            "MessageTime": _callback_time(self.time),
            "QueuedTime": _callback_time(self.queued_at),
            "SentTime": _callback_time(self.sent_at),
            "DeliveryReportTime": _callback_time(self.report_at),
            "PowerpackUUID": "",
            "requester_ip": self.requester_ip,
        }

    def moved_to(self, to_state: str, error_code: str | None, hold: str | None, moment: float) -> Message:
        """This message in ``to_state`` at sandbox time ``moment`` (``hold``: the state new messages
        stop in, if any), counting the status callback that reports it (``Sequence``)."""
        sent_at = self.sent_at
        if sent_at is None and to_state in ("sent", "delivered", "undelivered", "read"):
            sent_at = moment  # a carrier's answer means it was sent
        sent_time = self.message_sent_time
        if sent_at is not None and not sent_time:
            sent_time = format_time(from_epoch(sent_at), micro=True)
        report_at = moment if to_state in FINAL_STATES and sent_at is not None else self.report_at
        if to_state == "delivered":
            error_code = "000"
        elif to_state in ("queued", "sent"):
            error_code = None
        return replace(
            self,
            message_state=to_state,
            message_updated_time=format_time(from_epoch(moment), micro=True),
            held=hold == to_state and to_state not in FINAL_STATES,
            sequence=self.sequence + 1,
            sent_at=sent_at,
            message_sent_time=sent_time,
            report_at=report_at,  # the carrier's delivery report
            error_code=error_code,
            error_message=ERROR_CODES.get(error_code, "") if error_code else "",
        )

    @classmethod
    def from_document(cls, doc: Document) -> Message:
        data = doc.data
        created = float(data.get("_time") or doc.created)
        expires_at = data.get("_expires_at")
        return cls(
            id=doc.id,
            owner=doc.owner,
            error_code=data.get("error_code"),
            from_number=str(data["from_number"]),
            message_direction=str(data["message_direction"]),
            message_state=str(data["message_state"]),
            message_time=str(data["message_time"]),
            message_type=str(data.get("message_type") or "sms"),
            to_number=str(data["to_number"]),
            total_amount=str(data["total_amount"]),
            total_rate=str(data["total_rate"]),
            units=int(data["units"]),
            message_sent_time=data.get("message_sent_time"),
            message_updated_time=str(data.get("message_updated_time") or data["message_time"]),
            error_message=str(data.get("error_message") or ""),
            text=str(data.get("_text") or ""),
            media=tuple(MessageMedia.from_data(entry) for entry in data.get("_media") or ()),
            time=created,
            queued_at=float(data.get("_queued_at") or created),
            sent_at=_moment(data.get("_sent_at")),
            report_at=_moment(data.get("_report_at")),
            sequence=int(data.get("_sequence") or 0),
            mcc=str(data.get("_mcc") or ""),
            mnc=str(data.get("_mnc") or ""),
            country=data.get("_country"),
            held=bool(data.get("_held", False)),
            url=data.get("_url"),
            method=data.get("_method"),
            account=data.get("_account"),
            sender_per_second=float(data.get("_sender_per_second") or 0.0),
            expires_at=float(expires_at) if expires_at else None,
            requester_ip=str(data.get("_requester_ip") or ""),
        )

    def to_data(self) -> dict[str, Any]:
        return {
            **self._plivo_fields(),
            "_time": self.time,
            "_queued_at": self.queued_at,
            "_sent_at": self.sent_at,
            "_report_at": self.report_at,
            "_sequence": self.sequence,
            "_mcc": self.mcc,
            "_mnc": self.mnc,
            "_country": self.country,
            "_held": self.held,
            "_media": [medium.to_data() for medium in self.media],
            "_url": self.url,
            "_method": self.method,
            "_text": self.text,
            "_account": self.account,
            "_sender_per_second": self.sender_per_second,
            "_expires_at": self.expires_at,
            "_requester_ip": self.requester_ip,
        }


def _moment(value: Any) -> float | None:
    return float(value) if value is not None else None


def _callback_time(moment: float | None) -> str:
    """Plivo's ``YYYY-mm-dd HH:MM:SS.SSSSSS`` (UTC); empty until the moment happened."""
    return from_epoch(moment).strftime("%Y-%m-%d %H:%M:%S.%f") if moment is not None else ""


def unit_rate(country: Country | None, direction: str, message_type: str) -> Decimal:
    if message_type == "mms":
        return MMS_RATES[direction]
    return message_rate(country, direction) if country else Decimal(0)


def new_message(
    *,
    owner: str,
    now: float,
    from_number: str,
    to_number: str,
    direction: str,
    state: str,
    message_type: str,
    text: str,
    media_urls: Sequence[str],
    units: int,
    rate: Decimal,
    country: Country | None,
) -> Message:
    """A message made at sandbox time ``now`` (epoch seconds: the very moment the clock's timers
    use, not a rounded one), with a new message_uuid."""
    moment = from_epoch(now)
    media = tuple(MessageMedia.of(url) for url in media_urls)
    return Message(
        id=new_uuid(),
        owner=owner,
        from_number=from_number,
        message_direction=direction,
        message_state=state,
        message_time=format_time(moment),
        message_type=message_type,
        to_number=to_number,
        total_amount=format_rate(rate * units),
        total_rate=format_rate(rate),
        units=units,
        message_updated_time=format_time(moment, micro=True),
        text=text,
        media=media,
        time=now,
        queued_at=now,
        mcc=country.mcc if country else "",
        mnc=mnc_for(to_number),
        country=country.iso if country else None,
    )


def plan_outbound(
    *,
    owner: str,
    src: str,
    destinations: Sequence[tuple[str, Country]],
    text: str,
    message_type: str,
    media_urls: Sequence[str],
    now: float,
) -> list[Message]:
    """One message per destination (``queued``, priced)."""
    for to_number, _ in destinations:
        if to_number == src:
            raise bad_request("destination number cannot be same as source number")
    units = 1 if message_type == "mms" else count_units(text)
    return [
        new_message(
            owner=owner,
            now=now,
            from_number=src,
            to_number=to_number,
            direction="outbound",
            state="queued",
            message_type=message_type,
            text=text,
            media_urls=media_urls,
            units=units,
            rate=unit_rate(country, "outbound", message_type),
            country=country,
        )
        for to_number, country in destinations
    ]
