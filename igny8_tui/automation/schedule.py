"""When a site's scheduled automation run is next due: pure date arithmetic, no clock, no database.

A run missed while no host was up runs once, not once per missed period: after any run, the next
due time is simply next_run_at(..., after=now).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from typing import Literal
from zoneinfo import ZoneInfo

import tzlocal

Frequency = Literal["daily", "weekly", "monthly"]


def resolve_zone(name: str | None) -> ZoneInfo:
    """The named IANA zone, or the machine's zone (tzlocal.get_localzone()) when None/empty."""
    return ZoneInfo(name) if name else tzlocal.get_localzone()


def next_run_at(
    frequency: Frequency, scheduled_time: time, zone: ZoneInfo, anchor: date, after: datetime
) -> datetime:
    """The first due time strictly after `after` (an aware datetime), as an aware UTC datetime.

    daily: every day; weekly: on anchor's weekday; monthly: on anchor's day of month, clamped to
    the month's last day. Each at scheduled_time local wall-clock time, across DST changes.
    """
    if after.utcoffset() is None:
        raise ValueError("`after` must be an aware datetime, not a naive one")
    # Start a day early: a due time on the previous local date is skipped below, never missed.
    start = after.astimezone(zone).date() - timedelta(days=1)
    dues = (
        _local_instant(day, scheduled_time, zone) for day in _due_dates(frequency, anchor, start)
    )
    return next(due for due in dues if due > after)


def _due_dates(frequency: Frequency, anchor: date, start: date) -> Iterator[date]:
    """Due local dates in ascending order, from around `start` on (a few may fall before it)."""
    if frequency == "daily":
        return (start + timedelta(days=n) for n in count())
    if frequency == "weekly":
        first = start + timedelta(days=(anchor.weekday() - start.weekday()) % 7)
        return (first + timedelta(weeks=n) for n in count())
    if frequency == "monthly":
        return (_clamped_date(start.year, start.month + n, anchor.day) for n in count())
    raise ValueError(f"unknown frequency {frequency!r}: use daily, weekly or monthly")


def _clamped_date(year: int, month: int, day: int) -> date:
    """`day` of the month, clamped to its last day; `month` may run past 12 into later years."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock `at` on `day` in `zone`.

    fold=0 gives exactly the rules we want (PEP 495): an ambiguous time is its first occurrence,
    and a nonexistent one takes the offset before the gap, i.e. the wall clock shifted forward.
    """
    return datetime.combine(day, at, tzinfo=zone).replace(fold=0).astimezone(UTC)
