"""Hosting one run in this process until it ends: `igny8 run`, waiting through pauses."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import select

from igny8_tui.automation.executor import RunExecutor, RunNotClaimable
from igny8_tui.automation.host_registry import HostPresence
from igny8_tui.constants import POLL_INTERVAL_S
from igny8_tui.db.engine import Database
from igny8_tui.db.models import AutomationRun
from igny8_tui.schemas import ACTIVE_RUN_STATUSES, CAUSES_NEEDING_THE_OPERATOR, RunOutcome

ExecutorFactory = Callable[[], RunExecutor]
Notice = Callable[[str], None]


def _status(db: Database, run_id: int) -> tuple[str, str | None, str | None]:
    with db.read() as session:
        row = session.execute(
            select(
                AutomationRun.status, AutomationRun.pause_reason, AutomationRun.pause_cause
            ).where(AutomationRun.id == run_id)
        ).one()
        return row.status, row.pause_reason, row.pause_cause


def host_until_done(
    db: Database,
    run_id: int,
    make_executor: ExecutorFactory,
    stop: threading.Event,
    notice: Notice,
    presence: HostPresence,
    wait_through_pauses: bool = True,
) -> RunOutcome:
    """Execute the run; while an operator has paused it, wait for a resume from any process
    and continue here. A pause that needs the operator to fix something first (credits, the
    disk, the API key) ends here, as does any pause without ``wait_through_pauses``. When
    another host has the run, follow it to its end. This process is a host meanwhile:
    `presence` registers it, beats while it waits, and marks its stop."""
    presence.register()
    outcome = _host(db, run_id, make_executor, stop, notice, presence, wait_through_pauses)
    presence.stopped()
    return outcome


def _host(
    db: Database,
    run_id: int,
    make_executor: ExecutorFactory,
    stop: threading.Event,
    notice: Notice,
    presence: HostPresence,
    wait_through_pauses: bool,
) -> RunOutcome:
    while True:
        executor = make_executor()
        try:
            outcome = executor.execute()
        except RunNotClaimable as exc:
            notice(f"run {run_id} is hosted by {exc.holder}; following it (Ctrl-C stops following)")
            return follow(db, run_id, stop)
        if outcome is RunOutcome.STALLED:
            notice(f"run {run_id} stalled: {executor.stalled_reason}")
        if outcome is not RunOutcome.PAUSED or stop.is_set():
            return outcome
        status, reason, cause = _status(db, run_id)
        if not wait_through_pauses or cause in CAUSES_NEEDING_THE_OPERATOR:
            return RunOutcome.PAUSED
        notice(f"paused: {reason} — `igny8 resume` from any shell continues it here")
        while status == "paused":
            presence.beat()
            if stop.wait(POLL_INTERVAL_S):
                return RunOutcome.PAUSED
            status, reason, cause = _status(db, run_id)
        if status != "running":
            return RunOutcome(status)


def follow(db: Database, run_id: int, stop: threading.Event) -> RunOutcome:
    """Wait for a run hosted elsewhere to end; RELEASED if this process stops first."""
    status = _status(db, run_id)[0]
    while status in ACTIVE_RUN_STATUSES:
        if stop.wait(POLL_INTERVAL_S):
            return RunOutcome.RELEASED
        status = _status(db, run_id)[0]
    return RunOutcome(status)
