"""How the control API and the inspector show calls and conferences: the one adapter between them
and the voice engine's state (``state.voice``), which they only read (and act on through the
engine's own methods).

- :func:`call_view`: **one shape for live and ended calls** (``GET /_sandbox/calls``): the fields of
  the call detail record, who owns it, and what it is doing now (an ended call is ``live: false``,
  ``activity: "ended"``, waits for nothing and holds no conference or recording).
- :func:`call_detail`: a call with its log, its **timeline** (each step of the log and each HTTP
  exchange about the call, fetches and callbacks, in the order they happened), its legs and the
  recordings made of it (``GET /_sandbox/calls/{uuid}``, the inspector's call page).
- :func:`conference_view` and :func:`member_action`: live conferences and the actions on members.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from plivo_blocks.sandbox.models.base import fetch, fetch_page, load_all, stored_fields
from plivo_blocks.sandbox.store import ANY_OWNER, Filters, Owners, Store
from plivo_blocks.sandbox.voice.call import Call
from plivo_blocks.sandbox.voice.causes import NORMAL_API
from plivo_blocks.sandbox.voice.cdr import CallRecord
from plivo_blocks.sandbox.voice.conferences import Conference, Member
from plivo_blocks.sandbox.voice.engine import VoiceEngine
from plivo_blocks.sandbox.voice.recording_document import Recording
from plivo_blocks.sandbox.webhooks import Delivery

__all__ = [
    "MEMBER_ACTIONS",
    "call_detail",
    "call_view",
    "call_views",
    "conference_view",
    "find_conference",
    "member_action",
]

MEMBER_ACTIONS = ("mute", "unmute", "deaf", "undeaf", "kick", "hangup")


def _live(voice: VoiceEngine, call_uuid: str) -> Call | None:
    call = voice.calls.get(call_uuid)
    return call if call is not None and not call.ended else None


def call_view(record: CallRecord, live: Call | None) -> dict[str, Any]:
    """One call, the same fields whether it is live (``live`` is its runtime state) or ended."""
    view = record.render()
    view.update(
        {
            "auth_id": record.owner,
            "request_uuid": record.request_uuid,
            "live": live is not None,
            "direction": record.call_direction,
            "from": record.from_,
            "to": record.to,
            "status": live.status if live else record.status,
            "activity": live.activity if live else "ended",
            "waiting_for_digits": bool(live and live.waiting_for == "digits"),
            "waiting_for": live.waiting_for if live else None,
            "held": bool(live and live.held),
            "conference_name": live.conference if live else None,
            "member_id": live.member_id if live else None,
            "recordings": sorted(live.recordings) if live else [],
            "clock_seconds": round(live.seconds(), 3) if live else float(record.call_duration or 0),
        }
    )
    return view


async def call_views(
    voice: VoiceEngine,
    store: Store,
    owners: Owners,
    filters: Filters,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """A page of calls (newest first) and the total, live ones shown with their runtime state
    (``filters`` name fields of :class:`CallRecord`)."""
    records, total = await fetch_page(
        store, CallRecord, owners, stored_fields(CallRecord, filters), limit, offset
    )
    return [call_view(record, _live(voice, record.id)) for record in records], total


# -- one call ----------------------------------------------------------------------------------------


def _epoch(text: object) -> float | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def _answered_at(record: CallRecord, log: Sequence[Mapping[str, Any]]) -> float | None:
    """When an ended call was answered, to the millisecond: its record's ``answer_time`` has whole
    seconds only, but its ``end`` is exact and its last log entry (the hangup) says how long after
    the answer it came."""
    if not record.answer_time:
        return None
    if record.end is not None and log and log[-1].get("event") == "hangup":
        return record.end - float(log[-1].get("at") or 0)
    return _epoch(record.answer_time)


def _request_entry(delivery: Delivery) -> dict[str, Any]:
    shown = delivery.render()
    return {
        "type": "request",
        "time": delivery.created,
        "delivery_id": delivery.id,
        **{name: shown[name] for name in ("kind", "method", "url", "params", "status", "attempts", "tries")},
    }


def timeline(
    log: Sequence[Mapping[str, Any]], answered: float | None, started: float, requests: Sequence[Delivery]
) -> list[dict[str, Any]]:
    """The call's steps and its HTTP exchanges in one list, in time order.

    A log entry's ``at`` counts seconds from the answer (0 before it), so its time is the answer's
    plus ``at``. Exchanges at the same moment as steps (always, on a clock that stands still) are
    placed before the first step that names their URL (the fetch before the XML it loaded), else
    after the steps of that moment."""
    steps = [
        {"type": "step", "time": (answered + float(e.get("at") or 0)) if answered else started, **e}
        for e in log
    ]
    ranked: list[tuple[float, float, dict[str, Any]]] = [(s["time"], i, s) for i, s in enumerate(steps)]
    for delivery in requests:
        entry = _request_entry(delivery)
        same_time = [i for i, s in enumerate(steps) if abs(s["time"] - entry["time"]) < 1e-3]
        named = [i for i in same_time if steps[i].get("url") == entry["url"]]
        rank = named[0] - 0.5 if named else (same_time[-1] + 0.5 if same_time else len(steps))
        ranked.append((entry["time"], rank, entry))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [entry for _, _, entry in ranked]


async def call_detail(voice: VoiceEngine, store: Store, call_uuid: str) -> dict[str, Any] | None:
    """A call with its log, timeline, legs (its parent and the calls it started) and recordings."""
    record = await fetch(store, CallRecord, call_uuid, ANY_OWNER)
    if record is None:
        return None
    live = _live(voice, call_uuid)
    view = call_view(record, live)
    log: list[dict[str, Any]] = list(live.log) if live else list(record.log)
    answered = live.answered_at if live else _answered_at(record, log)
    about_call = stored_fields(Delivery, {"ref": call_uuid})
    requests = await store.transaction(
        lambda tx: load_all(tx, Delivery, ANY_OWNER, about_call, newest_first=False)
    )
    children = await store.transaction(
        lambda tx: load_all(
            tx,
            CallRecord,
            ANY_OWNER,
            stored_fields(CallRecord, {"parent_call_uuid": call_uuid}),
            newest_first=False,
        )
    )
    parent_uuid = record.parent_call_uuid
    parent = await fetch(store, CallRecord, parent_uuid, ANY_OWNER) if parent_uuid else None
    legs = [call_view(leg, _live(voice, leg.id)) for leg in ([parent] if parent else []) + children]
    of_call = stored_fields(Recording, {"call_uuid": call_uuid})
    recordings = await store.transaction(
        lambda tx: load_all(tx, Recording, ANY_OWNER, of_call, newest_first=False)
    )
    return {
        **view,
        "log": log,
        "timeline": timeline(log, answered, record.start, requests),
        "legs": legs,
        "recorded": [r.render() for r in recordings],
    }


# -- conferences ------------------------------------------------------------------------------------


def member_view(member: Member) -> dict[str, Any]:
    call = member.call
    return {
        "member_id": member.member_id,
        "call_uuid": call.uuid,
        "from": call.from_,
        "to": call.to,
        "direction": call.direction,
        "muted": member.muted,
        "deaf": member.deaf,
        "join_time": str(int(call.clock.now() - member.joined_at)),
    }


def conference_view(room: Conference) -> dict[str, Any]:
    return {
        "conference_name": room.name,
        "conference_uuid": room.uuid,
        "auth_id": room.owner,
        "run_time": int(room.seconds()),
        "recording": room.recording.id if room.recording else None,
        "members": [member_view(m) for m in room.members.values()],
    }


def find_conference(voice: VoiceEngine, conference_uuid: str) -> Conference | None:
    return next((room for room in voice.bridge.rooms.values() if room.uuid == conference_uuid), None)


async def member_action(voice: VoiceEngine, member: Member, action: str) -> None:
    """``action`` (one of :data:`MEMBER_ACTIONS`) on ``member``, as the Member API does it: mute and
    deaf are flags; kick and hangup end the member's call."""
    if action in ("kick", "hangup"):
        if action == "kick":
            member.call.note("kicked", conference=member.settings.name)
        await voice.hangup(member.call, NORMAL_API)
        return
    if action in ("mute", "unmute"):
        member.muted = action == "mute"
    else:
        member.deaf = action == "deaf"
    member.call.note(f"member_{action}", member_id=member.member_id)
