"""Run leases: which host executes a run, renewed by heartbeat, proven by a fencing token."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from igny8_tui.automation.environment import environment_fault
from igny8_tui.automation.host_names import holder_is_dead_here
from igny8_tui.automation.host_registry import record_claim
from igny8_tui.constants import HEARTBEATS_PER_TTL
from igny8_tui.db.engine import Database
from igny8_tui.db.models import AutomationRun, utcnow
from igny8_tui.errors import LeaseLostError


@dataclass(frozen=True)
class Lease:
    run_id: int
    owner: str
    token: int
    ttl_s: float


@dataclass(frozen=True)
class Claim:
    """A lease just taken, and whose lease (if any) it replaced."""

    lease: Lease
    previous_owner: str | None
    previous_heartbeat: datetime | None


def claimable(now: datetime, owner: str | None = None) -> ColumnElement[bool]:
    """Runs a host may take: running, and with no live lease (or already ours)."""
    free = or_(AutomationRun.lease_owner.is_(None), AutomationRun.lease_expires_at < now)
    if owner is not None:
        free = or_(free, AutomationRun.lease_owner == owner)
    return free


def try_claim(session: Session, run_id: int, owner: str, ttl_s: float) -> Claim | None:
    """Take a running run whose lease is free, expired or ours; None when another host has it.
    The host's row (`hosts`) records the claim in the same transaction."""
    now = utcnow()
    before = session.execute(
        select(AutomationRun.lease_owner, AutomationRun.heartbeat_at).where(
            AutomationRun.id == run_id
        )
    ).one_or_none()
    free = claimable(now, owner)
    if before is not None and before.lease_owner and holder_is_dead_here(before.lease_owner):
        # Its process is gone: no need to wait for the lease to run out. Still a compare-and-
        # set on that owner, so two hosts recovering it at once cannot both win.
        free = or_(free, AutomationRun.lease_owner == before.lease_owner)
    token = session.execute(
        update(AutomationRun)
        .where(
            AutomationRun.id == run_id,
            AutomationRun.status == "running",
            free,
        )
        .values(
            lease_owner=owner,
            lease_token=AutomationRun.lease_token + 1,
            lease_expires_at=now + timedelta(seconds=ttl_s),
            heartbeat_at=now,
        )
        .returning(AutomationRun.lease_token)
    ).scalar_one_or_none()
    if token is None or before is None:
        return None
    record_claim(
        session, owner, run_id, token, ttl_s, now, already_held=before.lease_owner == owner
    )
    previous = before.lease_owner if before.lease_owner != owner else None
    return Claim(Lease(run_id, owner, token, ttl_s), previous, before.heartbeat_at)


def fenced_run(session: Session, lease: Lease) -> AutomationRun:
    """The run row, renewed, if this host still holds the lease; else LeaseLostError."""
    run = session.get(AutomationRun, lease.run_id, populate_existing=True)
    if run is None or run.lease_token != lease.token or run.lease_owner != lease.owner:
        raise LeaseLostError(f"run {lease.run_id}: lease lost by {lease.owner}")
    now = utcnow()
    run.heartbeat_at = now
    run.lease_expires_at = now + timedelta(seconds=lease.ttl_s)
    return run


def release(session: Session, lease: Lease) -> None:
    """Give the run back: nothing else changes, so another host may take it at once."""
    session.execute(
        update(AutomationRun)
        .where(AutomationRun.id == lease.run_id, AutomationRun.lease_token == lease.token)
        .values(lease_owner=None, lease_expires_at=None)
    )


class LeaseKeeper:
    """Renews a lease from its own thread while an item is in hand (an AI call may be slow)."""

    def __init__(self, db: Database, lease: Lease) -> None:
        self.db = db
        self.lease = lease
        self.lost = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"lease-{lease.run_id}", daemon=True
        )

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._done.wait(self.lease.ttl_s / HEARTBEATS_PER_TTL):
            try:
                with self.db.write() as session:
                    fenced_run(session, self.lease)
            except LeaseLostError:
                self.lost.set()
                return
            except Exception as exc:
                # A full disk or a read-only database: the executor meets the same fault on
                # its next write and pauses the run; the beat tries again until then.
                if environment_fault(exc) is None:
                    raise


def lease_is_live(run: AutomationRun, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        run.lease_owner is not None
        and run.lease_expires_at is not None
        and run.lease_expires_at > now
    )
