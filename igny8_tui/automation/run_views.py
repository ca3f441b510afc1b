"""What a site's runs and queues look like to an operator, read inside the caller's session.

Each function takes a session, so one read transaction can build a whole consistent frame
(`snapshot.py`) and each of the spec's operations (`service.py`) shares the same code.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from igny8_tui.automation import credits
from igny8_tui.automation.lease import lease_is_live
from igny8_tui.automation.stages.clustering import ClusteringStage, Stage1Result
from igny8_tui.automation.stages.registry import STAGES, parse_stage_result, skips, stage_class
from igny8_tui.automation.working_time import working_seconds
from igny8_tui.constants import UP_NEXT_ITEMS
from igny8_tui.db.models import AutomationConfig, AutomationRun, Site, utcnow
from igny8_tui.errors import InvalidStateError, NotFoundError
from igny8_tui.schemas import (
    ACTIVE_RUN_STATUSES,
    ControlRequest,
    CurrentProcessing,
    GlobalProgress,
    HostState,
    PauseCause,
    PipelineOverview,
    RunInfo,
    RunMetrics,
    RunProgress,
    RunStatus,
    RunSummary,
    StageOverview,
    StageProgress,
    StageState,
    TriggerType,
)
from igny8_tui.settings import Settings

# ----- finding runs -----


def site_row(session: Session, site_id: int) -> Site:
    site = session.get(Site, site_id)
    if site is None:
        raise NotFoundError(f"no site with id {site_id}")
    return site


def config_row(session: Session, site_id: int) -> AutomationConfig:
    """The site's config (every site gets one when it is added)."""
    site_row(session, site_id)
    config = session.scalars(
        select(AutomationConfig).where(AutomationConfig.site_id == site_id)
    ).first()
    if config is None:
        raise NotFoundError(f"site {site_id} has no automation config")
    return config


def active_run(session: Session, site_id: int) -> AutomationRun | None:
    return session.scalars(
        select(AutomationRun).where(
            AutomationRun.site_id == site_id,
            AutomationRun.status.in_(ACTIVE_RUN_STATUSES),
        )
    ).first()


def latest_run(session: Session, site_id: int) -> AutomationRun | None:
    return session.scalars(
        select(AutomationRun)
        .where(AutomationRun.site_id == site_id)
        .order_by(AutomationRun.id.desc())
        .limit(1)
    ).first()


def shown_run(session: Session, site_id: int) -> AutomationRun | None:
    """The run an operator looks at: the site's active run, else its latest one."""
    return active_run(session, site_id) or latest_run(session, site_id)


def run_of_site(session: Session, site_id: int, run_id: int | None) -> AutomationRun:
    """The given run of the site, or its active run."""
    if run_id is None:
        run = active_run(session, site_id)
        if run is None:
            raise InvalidStateError(f"site {site_row(session, site_id).name!r} has no active run")
        return run
    run = session.get(AutomationRun, run_id)
    if run is None or run.site_id != site_id:
        raise NotFoundError(f"no run {run_id} for site {site_row(session, site_id).name!r}")
    return run


# ----- a run -----


def host_state(run: AutomationRun, now: datetime) -> HostState | None:
    """For a running run: hosted, stuck (its host stopped heart-beating) or waiting for a host."""
    if run.status != "running":
        return None
    if lease_is_live(run, now):
        return "hosted"
    return "stuck" if run.lease_owner is not None else "waiting"


def run_summary(run: AutomationRun, now: datetime | None = None) -> RunSummary:
    now = now or utcnow()
    items = sum(
        result.processed_count
        for stage in STAGES
        if (result := parse_stage_result(stage.number, run.stage_result(stage.number)))
    )
    return RunSummary(
        run_id=run.id,
        site_id=run.site_id,
        trigger_type=cast(TriggerType, run.trigger_type),
        status=cast(RunStatus, run.status),
        current_stage=run.current_stage,
        started_at=run.started_at,
        paused_at=run.paused_at,
        resumed_at=run.resumed_at,
        cancelled_at=run.cancelled_at,
        completed_at=run.completed_at,
        duration_seconds=round(working_seconds(run, now), 3),
        paused_seconds=round(run.paused_seconds or 0.0, 3),
        total_credits_used=credits.from_milli(run.total_credits_used_milli),
        items_processed=items,
        error_message=run.error_message,
        pause_reason=run.pause_reason,
        pause_cause=cast(PauseCause | None, run.pause_cause),
        control_request=cast(ControlRequest | None, run.control_request),
        host=run.lease_owner if lease_is_live(run, now) else None,
        heartbeat_at=run.heartbeat_at,
        host_state=host_state(run, now),
        seconds_since_heartbeat=(
            round((now - run.heartbeat_at).total_seconds(), 1) if run.heartbeat_at else None
        ),
    )


def _stage_progress(
    run: AutomationRun, number: int, pending: dict[int, int], switched_off: bool
) -> StageProgress:
    stage = stage_class(number)
    result = parse_stage_result(number, run.stage_result(number))
    if result is None:
        waiting: StageState = "skipped" if switched_off else "waiting"
        return StageProgress(
            number=number,
            name=stage.name,
            status=waiting,
            input_count=pending[number] if run.status in ACTIVE_RUN_STATUSES else 0,
            processed_count=0,
            credits_used=0,
            time_elapsed=0,
            skip_reason="switched off in this site's config" if switched_off else None,
            result=None,
        )
    return StageProgress(
        number=number,
        name=stage.name,
        status=result.status,
        input_count=max(result.input_count, result.processed_count),
        processed_count=result.processed_count,
        credits_used=result.credits_used,
        time_elapsed=result.time_elapsed,
        skip_reason=result.skip_reason,
        result=result.model_dump(mode="json"),
    )


def run_progress(
    run: AutomationRun, pending: dict[int, int], config: AutomationConfig
) -> RunProgress:
    """The spec's run_progress: global progress, every stage's figures, the initial queue."""
    switched_off = skips(config)
    summary = run_summary(run)
    return RunProgress(
        run=RunInfo(run_id=run.id, status=summary.status, current_stage=run.current_stage),
        global_progress=GlobalProgress.model_validate(
            run.progress or {"total_items": 0, "completed_items": 0, "percentage": 0}
        ),
        stages=[_stage_progress(run, s.number, pending, switched_off[s.number]) for s in STAGES],
        metrics=RunMetrics(
            credits_used=summary.total_credits_used, duration_seconds=summary.duration_seconds
        ),
        initial_snapshot=dict(run.initial_snapshot or {}),
        forecast_warning=_forecast_warning(run),
    )


def _forecast_warning(run: AutomationRun) -> str | None:
    """The warning stage 1's re-forecast left, while it still matters (the run is active)."""
    result = parse_stage_result(ClusteringStage.number, run.stage_result(ClusteringStage.number))
    if not isinstance(result, Stage1Result) or result.reforecast is None:
        return None
    return result.reforecast.warning if run.status in ACTIVE_RUN_STATUSES else None


# ----- the queues -----


def pipeline_overview(
    site_id: int, pending: dict[int, int], config: AutomationConfig
) -> PipelineOverview:
    switched_off = skips(config)
    return PipelineOverview(
        site_id=site_id,
        stages=[
            StageOverview(
                number=s.number,
                name=s.name,
                pending=pending[s.number],
                skip=switched_off[s.number],
            )
            for s in STAGES
        ],
    )


def current_processing(
    session: Session,
    run: AutomationRun,
    config: AutomationConfig,
    pending: dict[int, int],
    settings: Settings,
) -> CurrentProcessing:
    """The stage in hand: the items in the AI's hands, batch n of m, the rate, what is next."""
    stage = stage_class(run.current_stage)
    result = parse_stage_result(stage.number, run.stage_result(stage.number))
    batch_size = stage.batch_size(config)
    processed = result.processed_count if result else 0
    batches_run = result.batches_run if result else 0
    done_in_batch = result.batch_items_done if result else 0
    # A finished batch means the next one starts whole.
    left_in_batch = 0 if stage.whole_batch_per_unit else (batch_size - done_in_batch) or batch_size
    if done_in_batch >= batch_size:
        left_in_batch = batch_size
    # In hand: stage 1's whole batch, or up to the concurrency limit of a parallel stage.
    if stage.whole_batch_per_unit:
        in_hand = batch_size
    elif stage.parallel:
        in_hand = max(min(settings.ai_concurrency, left_in_batch), 1)
    else:
        in_hand = 1
    labels = stage.queue_labels(session, run.site_id, config, in_hand + UP_NEXT_ITEMS)
    elapsed = result.time_elapsed if result else 0
    return CurrentProcessing(
        run_id=run.id,
        status=cast(RunStatus, run.status),
        stage=stage.number,
        stage_name=stage.name,
        current_items=labels[:in_hand] if run.status == "running" else [],
        # As the latest "batch n/m started" log line said; before it, as it will say.
        batch_number=max(batches_run, 1),
        batch_count=(
            max(result.batches_planned, batches_run)
            if result and batches_run
            else stage.batches_planned(config, 1, pending[stage.number])
        ),
        processed_in_stage=processed,
        input_in_stage=max(result.input_count if result else pending[stage.number], processed),
        items_per_minute=round(processed / elapsed * 60, 2) if elapsed > 0 else 0.0,
        up_next=labels[in_hand:],
        pause_reason=run.pause_reason,
    )
