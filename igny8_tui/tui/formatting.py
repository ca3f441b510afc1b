"""How the dashboard writes times, durations, credits and counts: one place, one style."""

from __future__ import annotations

from datetime import datetime, tzinfo


def clock_time(moment: datetime | None, zone: tzinfo | None = None) -> str:
    """HH:MM:SS in the operator's zone (or `zone`)."""
    return moment.astimezone(zone).strftime("%H:%M:%S") if moment else "—"


def date_time(moment: datetime | None, zone: tzinfo | None = None) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else "—"


def duration(seconds: float | None) -> str:
    """0:42, 12:41 or 1:02:03."""
    if seconds is None:
        return "—"
    whole = max(int(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def eta(seconds: float | None) -> str:
    """11m 20s, 2h 05m, or — when unknown."""
    if seconds is None:
        return "—"
    whole = max(int(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def credits(value: float) -> str:
    return f"{value:,.1f}"


def count(value: int) -> str:
    return f"{value:,}"
