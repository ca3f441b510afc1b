"""Scheduled runs: the check every long-lived host makes, starting each due run exactly once.

The database decides what is due (enabled, next_run_at <= now); the check runs in a write
transaction per config, so two hosts checking at once start one run. A run missed while no
host was up runs once: next_run_at then moves to the first due time after now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select
from sqlalchemy.orm import Session

from igny8_tui.automation.logger import AutomationLogger
from igny8_tui.automation.schedule import next_run_at, resolve_zone
from igny8_tui.constants import SCHEDULE_CHECK_INTERVAL_S
from igny8_tui.db.engine import Database
from igny8_tui.db.models import AutomationConfig, utcnow
from igny8_tui.errors import AlreadyRunningError, InsufficientCreditsError, NothingToDoError
from igny8_tui.schemas import RunNowResult

NOT_STARTED = "scheduled run not started"

CreateRun = Callable[[Session, int, str], RunNowResult]


@dataclass(frozen=True)
class ScheduleOutcome:
    site_id: int
    due_at: datetime
    run_id: int | None
    reason: str | None


def plan_next(config: AutomationConfig, now: datetime) -> datetime | None:
    """The config's next due time after `now`, or None when scheduling is off."""
    if not config.enabled:
        return None
    zone = resolve_zone(config.timezone)
    anchor = config.schedule_anchor or now.astimezone(zone).date()
    return next_run_at(config.frequency, config.scheduled_time, zone, anchor, after=now)  # type: ignore[arg-type]


def reschedule(config: AutomationConfig, now: datetime, reanchor: bool) -> None:
    """Recompute next_run_at after the schedule changed; `reanchor` sets the anchor to today."""
    if reanchor or config.schedule_anchor is None:
        config.schedule_anchor = now.astimezone(resolve_zone(config.timezone)).date()
    config.next_run_at = plan_next(config, now)


class DueRunStarter:
    """Starts due scheduled runs; `create_run` is the service's run-creation step."""

    def __init__(self, db: Database, create_run: CreateRun) -> None:
        self.db = db
        self.create_run = create_run

    def check(self, now: datetime | None = None) -> list[ScheduleOutcome]:
        now = now or utcnow()
        with self.db.read() as session:
            due_ids = session.scalars(
                select(AutomationConfig.id).where(
                    AutomationConfig.enabled.is_(True), AutomationConfig.next_run_at <= now
                )
            ).all()
        outcomes = []
        for config_id in due_ids:
            with self.db.write() as session:
                outcome = self._start_one(session, config_id, now)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def _start_one(self, session: Session, config_id: int, now: datetime) -> ScheduleOutcome | None:
        config = session.get(AutomationConfig, config_id, populate_existing=True)
        if config is None or not config.enabled or not config.next_run_at:
            return None
        if config.next_run_at > now:
            return None  # another host started it a moment ago
        due = config.next_run_at
        config.next_run_at = plan_next(config, now)
        log = AutomationLogger(config.site_id)
        try:
            with session.begin_nested():
                started = self.create_run(session, config.site_id, "scheduled")
        except (AlreadyRunningError, InsufficientCreditsError, NothingToDoError) as exc:
            reason = str(exc)
            log.warn(session, f"{NOT_STARTED} (due {due:%Y-%m-%d %H:%M} UTC): {reason}")
            return ScheduleOutcome(config.site_id, due, None, reason)
        return ScheduleOutcome(config.site_id, due, started.run_id, None)


def start_scheduler(
    starter: DueRunStarter, on_outcome: Callable[[ScheduleOutcome], None] | None = None
) -> BackgroundScheduler:
    """A BackgroundScheduler with one job checking due configs now and every interval.

    APScheduler's default misfire_grace_time (1 s) would drop checks after a stall; the job is
    idempotent, so any late check is welcome (None: always run, coalesced to one)."""
    scheduler = BackgroundScheduler(timezone="UTC")

    def job() -> None:
        for outcome in starter.check():
            if on_outcome is not None:
                on_outcome(outcome)

    scheduler.add_job(
        job,
        "interval",
        seconds=SCHEDULE_CHECK_INTERVAL_S,
        id="check-due-schedules",
        next_run_time=utcnow(),
        misfire_grace_time=None,
        coalesce=True,
        max_instances=1,
    )
    scheduler.start()
    return scheduler
