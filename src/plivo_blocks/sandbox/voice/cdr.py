"""Call detail records (documents of kind ``call``): what a call leaves behind, as Plivo shows it.

The record (:class:`CallRecord`) is written when a call is created and rewritten at each step of its
life (its ``live`` field tells a live call from an ended one); ``GET Call/{uuid}/`` shows Plivo's
fields (:data:`CDR_FIELDS`, ``callGetResponse.json`` plus the hangup details Plivo's CDRs carry).
Billing: Plivo bills a call by the minute: ``billed_duration`` is the duration rounded up to a
minute, ``total_amount`` that many minutes at ``total_rate`` (the destination's rate per minute).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, ClassVar

from plivo_blocks.sandbox import tariffs
from plivo_blocks.sandbox.store import Document
from plivo_blocks.sandbox.times import format_time, from_epoch
from plivo_blocks.sandbox.voice.call import Call
from plivo_blocks.sandbox.voice.causes import HangupCause

CALL = "call"

CDR_FIELDS = (
    "answer_time",
    "bill_duration",
    "billed_duration",
    "call_direction",
    "call_duration",
    "call_uuid",
    "end_time",
    "from_number",
    "initiation_time",
    "parent_call_uuid",
    "resource_uri",
    "to_number",
    "total_amount",
    "total_rate",
    "hangup_cause_name",
    "hangup_cause_code",
    "hangup_source",
    # Fields of Plivo's current call object (docs "The Call object", the SDKs' call responses).
    "stir_verification",
    "stir_attestation",
    "source_ip",
    "voice_network_group",
    "cnam_lookup",
)

#: Plivo's network group names say "USA" where the pricing table says "United States".
_GROUP_NAMES = {"US": "USA"}

#: Per-minute rate of calls to SIP endpoints (Plivo prices them as "ip").
SIP_RATE = Decimal("0.00300")


def rate_for(direction: str, to: str) -> str:
    """Per-minute rate from the pricing table: outbound by destination (SIP as ``ip``), inbound by
    the called number."""
    if direction == "outbound" and to.startswith("sip:"):
        return tariffs.format_rate(SIP_RATE)
    return tariffs.format_rate(tariffs.voice_rate(to, direction))


def plus(number: str) -> str:
    return number if number.startswith(("+", "sip:")) else f"+{number}"


def amounts(call: Call) -> dict[str, Any]:
    billed = 60 * math.ceil(call.duration / 60) if call.duration > 0 else 0
    amount = Decimal(call.rate) * Decimal(billed) / Decimal(60)
    return {
        "bill_duration": call.duration,
        "billed_duration": billed,
        "call_duration": call.duration,
        "total_amount": tariffs.format_rate(amount),
        "total_rate": call.rate,
    }


def stir(call: Call) -> tuple[str, str]:
    """STIR/SHAKEN as Plivo reports it (``stir_verification``, ``stir_attestation``): it applies to
    calls between North American numbers. Plivo signs outbound calls from +1 numbers with full
    attestation; the sandbox's simulated inbound callers carry no signature."""
    remote = call.to if call.direction == "outbound" else call.from_
    if remote.startswith("sip:") or not remote.lstrip("+").startswith("1"):
        return "Not Applicable", ""
    if call.direction == "outbound" and call.from_.lstrip("+").startswith("1"):
        return "Verified", "A"
    return "Not Verified", ""


def network_group(call: Call) -> str:
    """The destination's network group (``USA All Networks``), as the rate applies to it."""
    number = call.to if call.direction == "outbound" else call.from_
    if number.startswith("sip:"):
        return "SIP"
    country = tariffs.country_for_number(number)
    if country is None:
        return ""
    return f"{_GROUP_NAMES.get(country.iso, country.name)} All Networks"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRecord:
    """A call's detail record: the fields Plivo shows (:data:`CDR_FIELDS`), then what the control
    API and the list filters need (``live``, the call's ``status``, its numbers without ``+``, its
    start and end in sandbox epoch seconds, and its ``log`` once it has ended).

    Fields a record written by an earlier version may lack are ``None`` (shown as ``null``)."""

    KIND: ClassVar[str] = CALL
    STORED_AS: ClassVar[Mapping[str, str]] = {
        "live": "_live",
        "status": "_status",
        "request_uuid": "_request_uuid",
        "caller_name": "_caller_name",
        "from_": "_from",
        "to": "_to",
        "start": "_start",
        "end": "_end",
        "log": "_log",
    }

    id: str  # the call_uuid
    owner: str
    answer_time: str | None = None
    bill_duration: int | None = None
    billed_duration: int | None = None
    call_direction: str | None = None
    call_duration: int | None = None
    end_time: str | None = None
    from_number: str | None = None
    initiation_time: str | None = None
    parent_call_uuid: str | None = None
    to_number: str | None = None
    total_amount: str | None = None
    total_rate: str | None = None
    hangup_cause_name: str | None = None
    hangup_cause_code: int | None = None
    hangup_source: str | None = None
    stir_verification: str | None = None
    stir_attestation: str | None = None
    source_ip: str | None = None
    voice_network_group: str | None = None
    cnam_lookup: str | None = None
    live: bool = False
    status: str | None = None
    request_uuid: str | None = None
    caller_name: str | None = None
    from_: str | None = None  # the caller, without "+" (for filters)
    to: str | None = None  # the callee, without "+"
    start: float = 0.0  # sandbox epoch seconds
    end: float | None = None
    log: tuple[dict[str, Any], ...] = ()  # what the sandbox did, once the call has ended

    @classmethod
    def of(cls, call: Call) -> CallRecord:
        """The record of ``call`` as it is now."""
        cause = call.cause
        verification, attestation = stir(call)
        charges = amounts(call)
        return cls(
            id=call.uuid,
            owner=call.owner,
            answer_time=format_time(call.answered) if call.answered else None,
            bill_duration=charges["bill_duration"],
            billed_duration=charges["billed_duration"],
            call_direction=call.direction,
            call_duration=charges["call_duration"],
            end_time=format_time(call.ended_time) if call.ended_time else None,
            from_number=plus(call.from_),
            initiation_time=format_time(call.initiated),
            parent_call_uuid=call.parent_call_uuid,
            to_number=call.to,
            total_amount=charges["total_amount"],
            total_rate=charges["total_rate"],
            hangup_cause_name=cause.name if cause else None,
            hangup_cause_code=cause.code if cause else None,
            hangup_source=cause.source if cause else None,
            stir_verification=verification,
            stir_attestation=attestation,
            source_ip=call.source_ip,
            voice_network_group=network_group(call),
            cnam_lookup="",
            live=not call.ended,
            status=call.status,
            request_uuid=call.request_uuid,
            caller_name=call.caller_name,
            from_=call.from_.lstrip("+"),
            to=call.to.lstrip("+"),
            start=call.initiated_at,
            end=call.ended_at,
            log=tuple(call.log) if call.ended else (),
        )

    def closed(self, cause: HangupCause, moment: float) -> CallRecord:
        """The record of a live call cut at sandbox time ``moment`` (a stop of the sandbox)."""
        return replace(
            self,
            live=False,
            status=cause.status,
            end_time=format_time(from_epoch(moment)),
            end=moment,
            hangup_cause_name=cause.name,
            hangup_cause_code=cause.code,
            hangup_source=cause.source,
        )

    def render(self) -> dict[str, Any]:
        """As ``GET Call/{uuid}/`` shows it (:data:`CDR_FIELDS`, in that order)."""
        return {
            "answer_time": self.answer_time,
            "bill_duration": self.bill_duration,
            "billed_duration": self.billed_duration,
            "call_direction": self.call_direction,
            "call_duration": self.call_duration,
            "call_uuid": self.id,
            "end_time": self.end_time,
            "from_number": self.from_number,
            "initiation_time": self.initiation_time,
            "parent_call_uuid": self.parent_call_uuid,
            "resource_uri": f"/v1/Account/{self.owner}/Call/{self.id}/",
            "to_number": self.to_number,
            "total_amount": self.total_amount,
            "total_rate": self.total_rate,
            "hangup_cause_name": self.hangup_cause_name,
            "hangup_cause_code": self.hangup_cause_code,
            "hangup_source": self.hangup_source,
            "stir_verification": self.stir_verification,
            "stir_attestation": self.stir_attestation,
            "source_ip": self.source_ip,
            "voice_network_group": self.voice_network_group,
            "cnam_lookup": self.cnam_lookup,
        }

    @classmethod
    def from_document(cls, doc: Document) -> CallRecord:
        data = doc.data
        end = data.get("_end")
        return cls(
            id=doc.id,
            owner=doc.owner,
            answer_time=data.get("answer_time"),
            bill_duration=data.get("bill_duration"),
            billed_duration=data.get("billed_duration"),
            call_direction=data.get("call_direction"),
            call_duration=data.get("call_duration"),
            end_time=data.get("end_time"),
            from_number=data.get("from_number"),
            initiation_time=data.get("initiation_time"),
            parent_call_uuid=data.get("parent_call_uuid"),
            to_number=data.get("to_number"),
            total_amount=data.get("total_amount"),
            total_rate=data.get("total_rate"),
            hangup_cause_name=data.get("hangup_cause_name"),
            hangup_cause_code=data.get("hangup_cause_code"),
            hangup_source=data.get("hangup_source"),
            stir_verification=data.get("stir_verification"),
            stir_attestation=data.get("stir_attestation"),
            source_ip=data.get("source_ip"),
            voice_network_group=data.get("voice_network_group"),
            cnam_lookup=data.get("cnam_lookup"),
            live=bool(data.get("_live", False)),
            status=data.get("_status"),
            request_uuid=data.get("_request_uuid"),
            caller_name=data.get("_caller_name"),
            from_=data.get("_from"),
            to=data.get("_to"),
            start=float(data.get("_start") or doc.created),
            end=float(end) if end is not None else None,
            log=tuple(data.get("_log") or ()),
        )

    def to_data(self) -> dict[str, Any]:
        return {
            **self.render(),
            "_live": self.live,
            "_status": self.status,
            "_request_uuid": self.request_uuid,
            "_caller_name": self.caller_name,
            "_from": self.from_,
            "_to": self.to,
            "_start": self.start,
            "_end": self.end,
            "_log": list(self.log),
        }
