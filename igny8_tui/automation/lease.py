"""Run leases: which host executes a run, proven by a fencing token on every write."""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from igny8_tui.constants import LEASE_TTL_S
from igny8_tui.db.models import AutomationRun, utcnow
from igny8_tui.errors import LeaseLostError


@dataclass(frozen=True)
class Lease:
    run_id: int
    owner: str
    token: int


def lease_expiry(now: datetime) -> datetime:
    return now + timedelta(seconds=LEASE_TTL_S)


def try_claim(session: Session, run_id: int, owner: str) -> Lease | None:
    """Take a running run whose lease is free or expired; None when another host holds it."""
    now = utcnow()
    claimed = session.execute(
        update(AutomationRun)
        .where(
            AutomationRun.id == run_id,
            AutomationRun.status == "running",
            or_(
                AutomationRun.lease_owner.is_(None),
                AutomationRun.lease_expires_at < now,
                AutomationRun.lease_owner == owner,
            ),
        )
        .values(
            lease_owner=owner,
            lease_token=AutomationRun.lease_token + 1,
            lease_expires_at=lease_expiry(now),
            heartbeat_at=now,
        )
        .returning(AutomationRun.lease_token)
    ).scalar_one_or_none()
    return None if claimed is None else Lease(run_id, owner, claimed)


def fenced_run(session: Session, lease: Lease) -> AutomationRun:
    """The run row, renewed, if this host still holds the lease; else LeaseLostError."""
    run = session.get(AutomationRun, lease.run_id, populate_existing=True)
    if run is None or run.lease_token != lease.token or run.lease_owner != lease.owner:
        raise LeaseLostError(f"run {lease.run_id}: lease lost by {lease.owner}")
    now = utcnow()
    run.heartbeat_at = now
    run.lease_expires_at = lease_expiry(now)
    return run


def release(session: Session, lease: Lease) -> None:
    """Give the run back: nothing else changes, so another host may take it at once."""
    session.execute(
        update(AutomationRun)
        .where(AutomationRun.id == lease.run_id, AutomationRun.lease_token == lease.token)
        .values(lease_owner=None, lease_expires_at=None)
    )


def host_identity(role: str) -> str:
    """A readable name for this process, e.g. `run:alice@web1:4242`."""
    return f"{role}:{getpass.getuser()}@{socket.gethostname()}:{os.getpid()}"


def lease_is_live(run: AutomationRun, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        run.lease_owner is not None
        and run.lease_expires_at is not None
        and (run.lease_expires_at > now)
    )
