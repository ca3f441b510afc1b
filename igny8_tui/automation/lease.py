"""Run leases: which host executes a run, renewed by heartbeat, proven by a fencing token."""

from __future__ import annotations

import getpass
import os
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from igny8_tui.automation.environment import environment_fault
from igny8_tui.db.engine import Database
from igny8_tui.db.models import AutomationRun, utcnow
from igny8_tui.errors import LeaseLostError

HEARTBEATS_PER_TTL = 4


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
    """Take a running run whose lease is free, expired or ours; None when another host has it."""
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


def host_identity(role: str) -> str:
    """A readable name for this process, e.g. `run:alice@web1:4242`."""
    return f"{role}:{getpass.getuser()}@{socket.gethostname()}:{os.getpid()}"


def holder_is_dead_here(owner: str) -> bool:
    """Is ``owner`` (a `host_identity`) a process of this machine that no longer runs?

    False whenever in doubt (another machine, a name of another shape, a pid now reused):
    then the lease simply runs out first."""
    _, _, where = owner.partition(":")
    machine, _, pid_text = where.rpartition("@")[2].rpartition(":")
    if machine != socket.gethostname() or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, as another user
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """Killed but not yet reaped by its parent: dead, though the pid still answers."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def lease_is_live(run: AutomationRun, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        run.lease_owner is not None
        and run.lease_expires_at is not None
        and run.lease_expires_at > now
    )
