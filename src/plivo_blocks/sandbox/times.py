"""Time as the sandbox shows and reads it (what time it *is* comes from :mod:`.clock`).

Plivo shows times like ``2017-05-22 21:36:14+05:30`` (``message_time``, ``end_time``) and dates like
``2017-05-22`` (``created``, ``added_on``). The sandbox works in UTC, so offsets are ``+00:00``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

_FILTER_FORMATS = ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def format_time(moment: datetime, *, micro: bool = False) -> str:
    """``2017-05-22 21:36:14+00:00`` (or with microseconds, like ``message_sent_time``)."""
    return moment.isoformat(sep=" ", timespec="microseconds" if micro else "seconds")


def format_date(moment: datetime | date) -> str:
    return moment.strftime("%Y-%m-%d")


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's end (for number renewal dates)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=candidate)
        except ValueError:
            continue
    return day + timedelta(days=30 * months)  # pragma: no cover - unreachable


def parse_filter_time(text: str) -> float | None:
    """Epoch seconds of a filter value such as ``2016-05-28 00:00:00`` (UTC when no offset is given),
    or ``None`` when it is not a date."""
    value = text.strip().replace("T", " ")
    moment: datetime | None = None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        for fmt in _FILTER_FORMATS:
            try:
                moment = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
