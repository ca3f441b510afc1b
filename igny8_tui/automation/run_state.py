"""A run's state changes (pause, resume, cancel, complete, fail), written once for every caller.

The service calls them for an operator's request, the executor when it acts on one or ends a
run; each changes the run row, settles the stage in hand and writes the log line, in the
caller's write transaction.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from igny8_tui.automation.credits import from_milli
from igny8_tui.automation.lease import lease_is_live
from igny8_tui.automation.logger import AutomationLogger
from igny8_tui.automation.outbox import run_event
from igny8_tui.automation.stages.registry import parse_stage_result
from igny8_tui.automation.working_time import working_seconds
from igny8_tui.db.models import AutomationRun, utcnow
from igny8_tui.errors import InvalidStateError
from igny8_tui.schemas import ACTIVE_RUN_STATUSES, PauseCause, StageResult, StageState

# A stage still in hand when its run stops; other states are final.
_UNSETTLED: tuple[StageState, ...] = ("active", "paused")


def save_stage_result(run: AutomationRun, number: int, result: StageResult) -> None:
    setattr(run, f"stage_{number}_result", result.model_dump(mode="json"))


def _settle_current_stage(run: AutomationRun, state: StageState) -> None:
    """The stage in hand stops as `state`, partly done."""
    number = run.current_stage
    result = parse_stage_result(number, run.stage_result(number))
    if result is not None and result.status in _UNSETTLED:
        result.status, result.partial = state, True
        save_stage_result(run, number, result)


def _end_pause(run: AutomationRun) -> None:
    """The pause in hand ends now: its time joins the run's paused time."""
    if run.status == "paused" and run.paused_at is not None:
        run.paused_seconds = (run.paused_seconds or 0.0) + max(
            (utcnow() - run.paused_at).total_seconds(), 0.0
        )


def pause(
    session: Session,
    run: AutomationRun,
    log: AutomationLogger,
    reason: str,
    cause: PauseCause = "requested",
) -> None:
    """Pause now: the stage in hand shows as paused with its counts so far."""
    _settle_current_stage(run, "paused")
    run.status, run.control_request = "paused", None
    run.paused_at = utcnow()
    run.pause_reason, run.pause_cause = reason[:500], cause
    log.warn(session, f"run paused: {reason}", run.current_stage)
    run_event(session, "run.paused", run)


def request_pause(session: Session, run: AutomationRun, actor: str) -> None:
    """Pause after the item in hand when a host executes the run, else at once. A run already
    paused, or already asked to pause, stays as it is (asking twice is not an error)."""
    if run.status == "paused" or (run.status == "running" and run.control_request == "pause"):
        return
    if run.status != "running":
        raise InvalidStateError(f"run {run.id} is {run.status}; only a running run pauses")
    log = AutomationLogger(run.site_id, run.id)
    if lease_is_live(run):
        run.control_request, run.control_requested_by = "pause", actor
        log.info(session, f"pause requested by {actor}; takes effect after the current item")
    else:
        pause(session, run, log, f"paused by {actor} (no host was executing it)")


def resume(session: Session, run: AutomationRun, actor: str) -> None:
    """Continue a paused run, or withdraw a pause request not yet acted on. A running run with
    no pause request stays as it is (resuming twice is not an error)."""
    log = AutomationLogger(run.site_id, run.id)
    if run.status == "running" and run.control_request is None:
        return
    if run.status == "running" and run.control_request == "pause":
        run.control_request = None
        log.info(session, f"pause request withdrawn by {actor}")
    elif run.status == "paused":
        _end_pause(run)
        run.status, run.resumed_at = "running", utcnow()
        run.pause_reason, run.pause_cause, run.control_request = None, None, None
        log.info(session, f"run resumed by {actor} from stage {run.current_stage}")
        run_event(session, "run.resumed", run)
    else:
        raise InvalidStateError(f"run {run.id} is {run.status}, not paused")


def cancel(session: Session, run: AutomationRun, log: AutomationLogger, by: str) -> None:
    """Cancel now: what is done stays done; the stage in hand shows as cancelled."""
    _settle_current_stage(run, "cancelled")
    _end_pause(run)
    run.status, run.control_request = "cancelled", None
    run.cancelled_at = run.finished_at = utcnow()
    log.warn(session, f"run cancelled by {by}", run.current_stage)
    run_event(session, "run.cancelled", run)


def request_cancel(session: Session, run: AutomationRun, actor: str) -> None:
    """Cancel after the item in hand when a host executes the run, else at once."""
    if run.status not in ACTIVE_RUN_STATUSES:
        raise InvalidStateError(f"run {run.id} is {run.status}; nothing to cancel")
    log = AutomationLogger(run.site_id, run.id)
    if run.status == "running" and lease_is_live(run):
        run.control_request, run.control_requested_by = "cancel", actor
        log.info(session, f"cancel requested by {actor}; takes effect after the current item")
    else:
        cancel(session, run, log, actor)


def complete(session: Session, run: AutomationRun, log: AutomationLogger) -> None:
    run.status = "completed"
    run.completed_at = run.finished_at = utcnow()
    duration_s = working_seconds(run, run.completed_at)
    credits_used = from_milli(run.total_credits_used_milli)
    log.info(session, f"run completed · {credits_used:g} credits · {duration_s:.1f}s")
    run_event(session, "run.completed", run)


def fail(session: Session, run: AutomationRun, log: AutomationLogger, message: str) -> None:
    """End the run as failed with the reason; the stage in hand shows as failed."""
    _settle_current_stage(run, "failed")
    run.status, run.error_message = "failed", message
    run.finished_at = utcnow()
    log.error(session, f"run failed: {message}", run.current_stage)
    run_event(session, "run.failed", run)
