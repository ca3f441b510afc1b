"""Hosting one run in this process until it ends: `igny8 run`, waiting through pauses."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import select

from igny8_tui.automation.executor import RunExecutor, RunNotClaimable
from igny8_tui.constants import POLL_INTERVAL_S
from igny8_tui.db.engine import Database
from igny8_tui.db.models import AutomationRun
from igny8_tui.schemas import ACTIVE_RUN_STATUSES, RunOutcome

ExecutorFactory = Callable[[], RunExecutor]
Notice = Callable[[str], None]


def _status(db: Database, run_id: int) -> tuple[str, str | None]:
    with db.read() as session:
        row = session.execute(
            select(AutomationRun.status, AutomationRun.pause_reason).where(
                AutomationRun.id == run_id
            )
        ).one()
        return row.status, row.pause_reason


def host_until_done(
    db: Database,
    run_id: int,
    make_executor: ExecutorFactory,
    stop: threading.Event,
    notice: Notice,
) -> RunOutcome:
    """Execute the run; while it is paused (by an operator, or for credits) wait for a resume
    from any process and continue here. When another host has it, follow it to its end."""
    while True:
        try:
            outcome = make_executor().execute()
        except RunNotClaimable as exc:
            notice(f"run {run_id} is hosted by {exc.holder}; following it (Ctrl-C stops following)")
            return follow(db, run_id, stop)
        if outcome is not RunOutcome.PAUSED or stop.is_set():
            return outcome
        status, reason = _status(db, run_id)
        notice(f"paused: {reason} — `igny8 resume` from any shell continues it here")
        while status == "paused":
            if stop.wait(POLL_INTERVAL_S):
                return RunOutcome.PAUSED
            status, reason = _status(db, run_id)
        if status != "running":
            return RunOutcome(status)


def follow(db: Database, run_id: int, stop: threading.Event) -> RunOutcome:
    """Wait for a run hosted elsewhere to end; RELEASED if this process stops first."""
    status, _ = _status(db, run_id)
    while status in ACTIVE_RUN_STATUSES:
        if stop.wait(POLL_INTERVAL_S):
            return RunOutcome.RELEASED
        status, _ = _status(db, run_id)
    return RunOutcome(status)
