"""This process's row in `hosts`: registered when it starts serving, beaten from its serve loop,
marked on a clean stop, and updated by each claim in the claim's own transaction.

Writing it is never worth a run: like a lease heartbeat, a write that meets a fault of the
machine (a full disk, a read-only database) is skipped, and a claim keeps its lease."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, case, delete, insert, null, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from igny8_tui import faults
from igny8_tui.automation.environment import environment_fault
from igny8_tui.automation.host_names import parse_host_name
from igny8_tui.constants import HEARTBEATS_PER_TTL, HOST_BEAT_MIN_INTERVAL_S, HOSTS_KEPT_FOR_S
from igny8_tui.db.engine import Database
from igny8_tui.db.models import Host, utcnow

# When this process started, near enough: a row whose started_at differs belongs to an earlier
# process that had the same name (its pid reused), so its counts start again.
PROCESS_STARTED = utcnow()
FAULT_SITE = "hosts"


def _this_process(name: str, ttl_s: float, now: datetime) -> dict[str, Any]:
    parsed = parse_host_name(name)
    return {
        "role": parsed.role,
        "machine": parsed.machine,
        "pid": parsed.pid,
        "lease_ttl_s": ttl_s,
        "started_at": PROCESS_STARTED,
        "seen_at": now,
        "stopped_at": None,
    }


def _earlier_process() -> Any:
    return Host.started_at != PROCESS_STARTED


def _upsert(session: Session, name: str, values: dict[str, Any], fresh: dict[str, Any]) -> None:
    """Update the row named `name` with `values`, else insert it with `fresh`. Dialect-neutral:
    an insert racing another is refused by the unique name, and then the update is made."""
    statement = update(Host).where(Host.name == name).values(**values)
    if cast(CursorResult[Any], session.execute(statement)).rowcount:
        return
    try:
        with session.begin_nested():
            session.execute(insert(Host).values(name=name, **fresh))
    except IntegrityError:
        session.execute(statement)


def _tolerated(exc: Exception) -> None:
    """Skip a write the machine refused (see the module's docstring); raise anything else."""
    if environment_fault(exc) is None:
        raise exc


def record_claim(
    session: Session,
    name: str,
    run_id: int,
    token: int,
    ttl_s: float,
    now: datetime,
    *,
    already_held: bool,
) -> None:
    """In the claim's transaction: the host `name` claimed `run_id` with `token` (counted once
    when it `already_held` the run). A savepoint, so a failure here rolls back this row only,
    never the claim."""
    base = _this_process(name, ttl_s, now)
    claimed = {"last_run_id": run_id, "last_token": token, "last_claimed_at": now}
    counted = Host.runs_claimed if already_held else Host.runs_claimed + 1
    values = {
        **base,
        **claimed,
        "runs_claimed": case((_earlier_process(), 1), else_=counted),
    }
    try:
        with session.begin_nested():
            faults.check(FAULT_SITE, name)
            _upsert(session, name, values, {**base, **claimed, "runs_claimed": 1})
    except Exception as exc:
        _tolerated(exc)


class HostPresence:
    """A serving process's own row: `register` when it starts, `beat` as often as it likes
    (written about once per lease TTL/4), `stopped` on a clean stop."""

    def __init__(self, db: Database, name: str, ttl_s: float) -> None:
        self.db = db
        self.name = name
        self.ttl_s = ttl_s
        self.interval_s = max(ttl_s / HEARTBEATS_PER_TTL, HOST_BEAT_MIN_INTERVAL_S)
        self._last_beat = 0.0

    def register(self) -> None:
        """This host starts serving: its row says so, and hosts silent for a week are forgotten."""
        now = utcnow()
        base = _this_process(self.name, self.ttl_s, now)
        earlier = _earlier_process()
        values = {
            **base,
            "runs_claimed": case((earlier, 0), else_=Host.runs_claimed),
            "last_run_id": case((earlier, null()), else_=Host.last_run_id),
            "last_token": case((earlier, null()), else_=Host.last_token),
            "last_claimed_at": case((earlier, null()), else_=Host.last_claimed_at),
        }

        def write(session: Session) -> None:
            _upsert(session, self.name, values, {**base, "runs_claimed": 0})
            forgotten = now - timedelta(seconds=HOSTS_KEPT_FOR_S)
            session.execute(delete(Host).where(Host.seen_at < forgotten))

        self._write(write)
        self._last_beat = time.monotonic()

    def beat(self) -> None:
        """Write `seen_at`, unless the last beat was less than `interval_s` ago."""
        if time.monotonic() - self._last_beat < self.interval_s:
            return
        self._last_beat = time.monotonic()
        self._set(seen_at=utcnow())

    def stopped(self) -> None:
        now = utcnow()
        self._set(seen_at=now, stopped_at=now)

    def _set(self, **values: Any) -> None:
        self._write(
            lambda session: session.execute(
                update(Host).where(Host.name == self.name).values(**values)
            )
        )

    def _write(self, write: Callable[[Session], object]) -> None:
        try:
            with self.db.write() as session:
                faults.check(FAULT_SITE, self.name)
                write(session)
        except Exception as exc:
            _tolerated(exc)
