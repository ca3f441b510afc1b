"""The activity log: one row per event, written in the transaction of the change it reports."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from igny8_tui.db.models import ActivityLog, utcnow
from igny8_tui.schemas import LogEvent, LogLevel

LogListener = Callable[[LogEvent], None]


class AutomationLogger:
    """Writes activity-log rows for one site (and run); tells an optional in-process listener."""

    def __init__(
        self, site_id: int, run_id: int | None = None, listener: LogListener | None = None
    ) -> None:
        self.site_id = site_id
        self.run_id = run_id
        self.listener = listener

    def log(
        self, session: Session, level: LogLevel, message: str, stage: int | None = None
    ) -> None:
        event = LogEvent(
            site_id=self.site_id,
            run_id=self.run_id,
            stage=stage,
            level=level,
            message=message,
            created_at=utcnow(),
        )
        session.add(ActivityLog(**event.model_dump()))
        if self.listener is not None:
            self.listener(event)

    def info(self, session: Session, message: str, stage: int | None = None) -> None:
        self.log(session, "INFO", message, stage)

    def warn(self, session: Session, message: str, stage: int | None = None) -> None:
        self.log(session, "WARN", message, stage)

    def error(self, session: Session, message: str, stage: int | None = None) -> None:
        self.log(session, "ERROR", message, stage)
