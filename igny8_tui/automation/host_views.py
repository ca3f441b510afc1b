"""The hosts an operator sees: every host holding a lease now, and every host seen lately, each
with the runs it holds and, for a stuck run, how and when another host recovers it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from igny8_tui.automation.host_names import holder_is_dead_here, parse_host_name
from igny8_tui.constants import (
    HEARTBEATS_PER_TTL,
    HOST_GONE_AFTER_TTLS,
    HOSTS_SHOWN_FOR_S,
    STUCK_AFTER_MISSED_BEATS,
)
from igny8_tui.db.models import AutomationRun, Host, Site
from igny8_tui.formatting import duration
from igny8_tui.schemas import HeldLease, HostActivity, HostView, RunStatus

PROCESS_GONE = "its process is gone: the next host here takes it at once"


def recovery_sentence(
    seconds_until_expiry: float, process_gone: bool, heartbeat_late: bool
) -> str | None:
    """How a stuck run is recovered, and when; None while its holder beats on time."""
    if seconds_until_expiry <= 0:
        return (
            f"lease ran out {duration(-seconds_until_expiry)} ago: the next host to poll takes it"
        )
    if process_gone:
        return PROCESS_GONE
    if heartbeat_late:
        return f"recovered in {duration(seconds_until_expiry)} unless its host beats again"
    return None


def _seconds(later: datetime, earlier: datetime | None) -> float | None:
    return None if earlier is None else round((later - earlier).total_seconds(), 1)


def held_lease(run: AutomationRun, site_name: str, now: datetime) -> HeldLease:
    owner = run.lease_owner or ""
    since_beat = _seconds(now, run.heartbeat_at)
    until = _seconds(run.lease_expires_at, now) if run.lease_expires_at else 0.0
    late = False
    if run.heartbeat_at is not None and run.lease_expires_at is not None and since_beat:
        # Every beat renews the lease by the holder's own TTL: expiry - heartbeat is that TTL.
        ttl_s = (run.lease_expires_at - run.heartbeat_at).total_seconds()
        late = since_beat > ttl_s * STUCK_AFTER_MISSED_BEATS / HEARTBEATS_PER_TTL
    recovery = recovery_sentence(until or 0.0, holder_is_dead_here(owner), late)
    return HeldLease(
        run_id=run.id,
        site_id=run.site_id,
        site_name=site_name,
        status=cast(RunStatus, run.status),
        token=run.lease_token,
        heartbeat_at=run.heartbeat_at,
        seconds_since_heartbeat=since_beat,
        seconds_until_expiry=until,
        stuck=recovery is not None,
        recovery=recovery,
    )


@dataclass(frozen=True)
class _Seen:
    at: datetime | None
    ttl_s: float


def _last_seen(row: Host | None, runs: list[AutomationRun], default_ttl_s: float) -> _Seen:
    """The newest sign of life: the host's own heartbeat or one of its leases'."""
    moments = [run.heartbeat_at for run in runs if run.heartbeat_at is not None]
    if row is not None:
        moments.append(row.seen_at)
    ttl_s = row.lease_ttl_s if row is not None else default_ttl_s
    for run in runs:
        if row is None and run.heartbeat_at and run.lease_expires_at:
            ttl_s = (run.lease_expires_at - run.heartbeat_at).total_seconds()
    return _Seen(max(moments) if moments else None, ttl_s)


def _activity(
    name: str, row: Host | None, leases: list[HeldLease], seen: _Seen, now: datetime
) -> HostActivity:
    if row is not None and row.stopped_at is not None and not leases:
        return "stopped"
    silent = seen.at is None or (now - seen.at).total_seconds() > HOST_GONE_AFTER_TTLS * seen.ttl_s
    if silent or holder_is_dead_here(name):
        return "gone"
    return "holding" if leases else "idle"


def host_view(
    name: str,
    row: Host | None,
    runs: list[tuple[AutomationRun, str]],
    now: datetime,
    default_ttl_s: float,
) -> HostView:
    leases = [held_lease(run, site, now) for run, site in runs]
    seen = _last_seen(row, [run for run, _ in runs], default_ttl_s)
    parsed = parse_host_name(name)
    return HostView(
        name=name,
        role=row.role if row else parsed.role,
        machine=row.machine if row else parsed.machine,
        pid=row.pid if row else parsed.pid,
        state=_activity(name, row, leases, seen, now),
        started_at=row.started_at if row else None,
        seen_at=seen.at,
        seconds_since_seen=_seconds(now, seen.at),
        stopped_at=row.stopped_at if row else None,
        runs_claimed=row.runs_claimed if row else 0,
        last_run_id=row.last_run_id if row else None,
        last_token=row.last_token if row else None,
        last_claimed_at=row.last_claimed_at if row else None,
        leases=leases,
    )


def host_views(session: Session, now: datetime, default_ttl_s: float) -> list[HostView]:
    """Every host holding a lease now (also one named only on a run, as an older igny8 wrote
    it), and every host seen or that claimed a run in the last day; holders first, then the
    most recently seen. `default_ttl_s` stands for the TTL of a host with no row."""
    held = session.execute(
        select(AutomationRun, Site.name)
        .join(Site, Site.id == AutomationRun.site_id)
        .where(AutomationRun.status == "running", AutomationRun.lease_owner.is_not(None))
        .order_by(AutomationRun.id)
    ).all()
    runs_of: dict[str, list[tuple[AutomationRun, str]]] = {}
    for run, site_name in held:
        runs_of.setdefault(run.lease_owner or "", []).append((run, site_name))
    since = now - timedelta(seconds=HOSTS_SHOWN_FOR_S)
    rows = session.scalars(
        select(Host).where(
            or_(Host.seen_at >= since, Host.last_claimed_at >= since, Host.name.in_(runs_of))
        )
    ).all()
    by_name: dict[str, Host | None] = {row.name: row for row in rows}
    for owner in runs_of:
        by_name.setdefault(owner, None)
    views = [
        host_view(name, row, runs_of.get(name, []), now, default_ttl_s)
        for name, row in by_name.items()
    ]
    never = float("inf")
    return sorted(
        views,
        key=lambda v: (
            not v.leases,
            never if v.seconds_since_seen is None else v.seconds_since_seen,
            v.name,
        ),
    )
