"""How the dashboard and the command write times, durations, credits, hosts and the AI in use:
one place, one style."""

from __future__ import annotations

from datetime import datetime, tzinfo

from igny8_tui.redaction import redacted_url
from igny8_tui.schemas import HostView, RetryReport, RunSummary
from igny8_tui.settings import Settings


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


def host_sentence(run: RunSummary, now: datetime | None = None) -> str | None:
    """Who executes a running run, in one sentence for the operator; None when not running."""
    if run.host_state == "hosted":
        return f"hosted by {run.host}"
    if run.host_state == "stuck":
        silent = run.seconds_since_heartbeat or 0.0
        if now is not None and run.heartbeat_at is not None:
            silent = (now - run.heartbeat_at).total_seconds()
        return (
            f"stuck: its host stopped heart-beating {duration(silent)} ago; the next host to"
            " start (igny8 daemon, igny8 run, the dashboard) recovers it"
        )
    if run.host_state == "waiting":
        return "waiting for a host: start `igny8 daemon`, `igny8 run --site ...` or the dashboard"
    return None


def host_process(host: HostView) -> str:
    """Which process a host is: `daemon 4242 · web1`."""
    process = f"{host.role} {host.pid}" if host.pid is not None else host.role
    return f"{process} · {host.machine}" if host.machine else process


def last_claim(host: HostView) -> str:
    """The last run a host claimed, for a host that holds none now."""
    if host.last_run_id is None:
        return "none"
    return f"none · last run {host.last_run_id}"


def ai_label(settings: Settings) -> str:
    """Which AI the runs use, in a few words; never the key."""
    if settings.ai_provider == "local":
        return "AI: offline (local)"
    host = redacted_url(settings.ai_base_url).split("://", 1)[-1].rstrip("/")
    return f"AI: {settings.ai_model} at {host}"


def retried_sentence(report: RetryReport) -> str:
    """What a retry did, for a notification."""
    retried = len(report.retried)
    return f"{retried} failed item(s) back in their queue" if retried else "nothing failed"
