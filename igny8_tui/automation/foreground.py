"""Hosting one run in this process until it ends: `igny8 run`, waiting through pauses."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import select

from igny8_tui.automation.executor import RunExecutor, RunOutcome
from igny8_tui.constants import POLL_INTERVAL_S
from igny8_tui.db.engine import Database
from igny8_tui.db.models import AutomationRun

ExecutorFactory = Callable[[], RunExecutor]
PauseNotice = Callable[[str | None], None]


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
    on_pause: PauseNotice,
) -> RunOutcome:
    """Execute the run; while it is paused by an operator or for credits, wait for a resume
    from any process and continue here. A stop of this host ends the wait."""
    while True:
        outcome = make_executor().execute()
        if outcome is not RunOutcome.PAUSED or stop.is_set():
            return outcome
        status, reason = _status(db, run_id)
        on_pause(reason)
        while status == "paused":
            if stop.wait(POLL_INTERVAL_S):
                return RunOutcome.PAUSED
            status, reason = _status(db, run_id)
        if status != "running":
            return RunOutcome(status)
