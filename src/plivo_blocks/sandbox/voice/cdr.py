"""Call detail records (documents of kind ``call``): what a call leaves behind, as Plivo shows it.

The record is written when a call is created and rewritten at each step of its life (the hidden
``_live`` field tells a live call from an ended one); ``GET Call/{uuid}/`` shows the public fields
(:data:`CDR_FIELDS`, ``callGetResponse.json`` plus the hangup details Plivo's CDRs carry).
Billing: Plivo bills a call by the minute: ``billed_duration`` is the duration rounded up to a
minute, ``total_amount`` that many minutes at ``total_rate`` (the destination's rate per minute).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from plivo_blocks.sandbox import tariffs
from plivo_blocks.sandbox.times import format_time
from plivo_blocks.sandbox.voice.call import Call

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
)

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


def cdr_document(call: Call) -> dict[str, Any]:
    """The call's record: the public fields, plus hidden ones for filters and the control API."""
    cause = call.cause
    return {
        "answer_time": format_time(call.answered) if call.answered else None,
        **amounts(call),
        "call_direction": call.direction,
        "call_uuid": call.uuid,
        "end_time": format_time(call.ended_time) if call.ended_time else None,
        "from_number": plus(call.from_),
        "initiation_time": format_time(call.initiated),
        "parent_call_uuid": call.parent_call_uuid,
        "resource_uri": f"/v1/Account/{call.owner}/Call/{call.uuid}/",
        "to_number": call.to,
        "hangup_cause_name": cause.name if cause else None,
        "hangup_cause_code": cause.code if cause else None,
        "hangup_source": cause.source if cause else None,
        "_live": not call.ended,
        "_status": call.status,
        "_request_uuid": call.request_uuid,
        "_caller_name": call.caller_name,
        "_from": call.from_.lstrip("+"),
        "_to": call.to.lstrip("+"),
        "_start": call.initiated_at,
        "_end": call.ended_at,
        "_log": list(call.log) if call.ended else [],
    }


def render_cdr(data: dict[str, Any]) -> dict[str, Any]:
    return {name: data.get(name) for name in CDR_FIELDS}
