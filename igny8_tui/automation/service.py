"""AutomationService: exactly the spec's 13 operations, each scoped to a site."""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from igny8_tui.automation import credits, pipeline
from igny8_tui.automation.forecast import forecast_inputs, ratios_for_site
from igny8_tui.automation.lease import lease_is_live, try_claim
from igny8_tui.automation.logger import AutomationLogger
from igny8_tui.automation.pipeline import pending_counts, publishes_without_images, queue_labels
from igny8_tui.automation.scheduler import NOT_STARTED, reschedule
from igny8_tui.automation.stages import STAGE_CLASSES
from igny8_tui.constants import (
    DEFAULT_LOG_LINES,
    ESTIMATE_BUFFER_MULTIPLIER,
    HISTORY_LIMIT,
    UP_NEXT_ITEMS,
)
from igny8_tui.db.engine import Database
from igny8_tui.db.models import (
    ACTIVE_RUN_STATUSES,
    Account,
    ActivityLog,
    AutomationConfig,
    AutomationRun,
    Site,
    utcnow,
)
from igny8_tui.errors import (
    AlreadyRunningError,
    InsufficientCreditsError,
    InvalidStateError,
    NotFoundError,
)
from igny8_tui.schemas import (
    LOG_LEVELS,
    STAGE_NAMES,
    STAGES,
    ConfigPayload,
    ConfigUpdate,
    CurrentProcessing,
    Estimate,
    GlobalProgress,
    LogEntry,
    LogLevel,
    PipelineOverview,
    RunInfo,
    RunMetrics,
    RunNowResult,
    RunProgress,
    RunSummary,
    StageEstimate,
    StageOverview,
    StageProgress,
    parse_stage_result,
)
from igny8_tui.settings import Settings

SCHEDULE_FIELDS = {"enabled", "frequency", "scheduled_time", "timezone"}


def _skips(config: AutomationConfig) -> dict[int, bool]:
    return {n: bool(getattr(config, f"skip_stage_{n}")) for n in STAGES}


def _config_payload(config: AutomationConfig) -> ConfigPayload:
    fields = {name: getattr(config, name) for name in ConfigPayload.model_fields}
    fields["scheduled_time"] = config.scheduled_time.strftime("%H:%M")
    return ConfigPayload(**fields)


def run_summary(run: AutomationRun, now: datetime | None = None) -> RunSummary:
    now = now or utcnow()
    end = run.finished_at or now
    items = sum(
        result.processed_count
        for n in STAGES
        if (result := parse_stage_result(n, run.stage_result(n))) is not None
    )
    return RunSummary(
        run_id=run.id,
        site_id=run.site_id,
        trigger_type=run.trigger_type,  # type: ignore[arg-type]
        status=run.status,  # type: ignore[arg-type]
        current_stage=run.current_stage,
        started_at=run.started_at,
        paused_at=run.paused_at,
        resumed_at=run.resumed_at,
        cancelled_at=run.cancelled_at,
        completed_at=run.completed_at,
        duration_seconds=round((end - run.started_at).total_seconds(), 3),
        total_credits_used=credits.from_milli(run.total_credits_used_milli),
        items_processed=items,
        error_message=run.error_message,
        pause_reason=run.pause_reason,
        control_request=run.control_request,  # type: ignore[arg-type]
        host=run.lease_owner if lease_is_live(run, now) else None,
        heartbeat_at=run.heartbeat_at,
        host_state=_host_state(run, now),
        seconds_since_heartbeat=(
            round((now - run.heartbeat_at).total_seconds(), 1) if run.heartbeat_at else None
        ),
    )


def _host_state(run: AutomationRun, now: datetime) -> str | None:
    """For a running run: hosted, stuck (its host stopped heart-beating) or waiting for a host."""
    if run.status != "running":
        return None
    if lease_is_live(run, now):
        return "hosted"
    return "stuck" if run.lease_owner is not None else "waiting"


class AutomationService:
    """The spec's operations over the database; any process may call any of them."""

    def __init__(self, db: Database, settings: Settings, actor: str = "operator") -> None:
        self.db = db
        self.settings = settings
        self.actor = actor
        self.costs = credits.Costs(settings.credits, settings.credit_mode)

    # ----- lookups -----

    def _site(self, session: Session, site_id: int) -> Site:
        site = session.get(Site, site_id)
        if site is None:
            raise NotFoundError(f"no site with id {site_id}")
        return site

    def _config_row(self, session: Session, site_id: int) -> AutomationConfig:
        site = self._site(session, site_id)
        config = session.scalars(
            select(AutomationConfig).where(AutomationConfig.site_id == site_id)
        ).first()
        if config is None:
            config = AutomationConfig(account_id=site.account_id, site_id=site_id)
            session.add(config)
            session.flush()
        return config

    def _active_run(self, session: Session, site_id: int) -> AutomationRun | None:
        return session.scalars(
            select(AutomationRun).where(
                AutomationRun.site_id == site_id,
                AutomationRun.status.in_(ACTIVE_RUN_STATUSES),
            )
        ).first()

    def _run(self, session: Session, site_id: int, run_id: int | None) -> AutomationRun:
        """The given run of the site, or its active run."""
        if run_id is None:
            run = self._active_run(session, site_id)
            if run is None:
                site = self._site(session, site_id)
                raise InvalidStateError(f"site {site.name!r} has no active run")
            return run
        run = session.get(AutomationRun, run_id)
        if run is None or run.site_id != site_id:
            raise NotFoundError(f"no run {run_id} for site {site_id}")
        return run

    def _latest_run(self, session: Session, site_id: int) -> AutomationRun | None:
        return session.scalars(
            select(AutomationRun)
            .where(AutomationRun.site_id == site_id)
            .order_by(AutomationRun.id.desc())
            .limit(1)
        ).first()

    # ----- 1, 2: config -----

    def config(self, site_id: int) -> ConfigPayload:
        with self.db.write() as session:
            return _config_payload(self._config_row(session, site_id))

    def update_config(self, site_id: int, update: ConfigUpdate) -> ConfigPayload:
        changes = update.model_dump(exclude_unset=True)
        with self.db.write() as session:
            config = self._config_row(session, site_id)
            changes = {k: v for k, v in changes.items() if getattr(config, k) != v}
            for name, value in changes.items():
                setattr(config, name, value)
            if SCHEDULE_FIELDS & changes.keys():
                # A new weekday/day of month only when the schedule is switched on or its
                # frequency changes; re-sending the same values keeps it.
                reanchor = bool({"enabled", "frequency"} & changes.keys())
                reschedule(config, utcnow(), reanchor=reanchor)
            if changes:
                described = ", ".join(f"{k}={v}" for k, v in changes.items())
                AutomationLogger(site_id).info(
                    session, f"config updated by {self.actor}: {described}"
                )
            return _config_payload(config)

    # ----- 3: run_now -----

    def run_now(
        self, site_id: int, trigger: str = "manual", host: str | None = None
    ) -> RunNowResult:
        """The spec's manual-run flow: lock, snapshot, estimate x1.2, balance, create. With
        `host`, that host holds the new run's lease at once (it will execute the run itself);
        without, any host may pick the run up."""
        try:
            with self.db.write() as session:
                result = self.create_run(session, site_id, trigger)
                if host is not None:
                    try_claim(session, result.run_id, host, self.settings.lease_ttl_s)
                return result
        except IntegrityError:
            # Another process created the site's active run between our check and insert.
            with self.db.read() as session:
                self._raise_if_active(session, site_id)
            raise

    def _raise_if_active(self, session: Session, site_id: int) -> None:
        active = self._active_run(session, site_id)
        if active is not None:
            site = self._site(session, site_id)
            raise AlreadyRunningError(site.name, active.id, active.status)

    def create_run(self, session: Session, site_id: int, trigger: str) -> RunNowResult:
        """Create the site's run in the caller's write transaction, or raise why not."""
        self._raise_if_active(session, site_id)
        config = self._config_row(session, site_id)
        site = self._site(session, site_id)
        estimate = self._estimate(session, site, config)
        if estimate.balance < estimate.required_credits:
            raise InsufficientCreditsError(estimate.required_credits, estimate.balance)
        pending = pending_counts(session, site_id, publishes_without_images(config))
        snapshot = {f"stage_{n}_initial": pending[n] for n in STAGES}
        snapshot["total_initial_items"] = sum(pending.values())
        run = AutomationRun(
            config_id=config.id,
            site_id=site_id,
            trigger_type=trigger,
            status="running",
            current_stage=1,
            initial_snapshot=snapshot,
            progress=GlobalProgress(total_items=0, completed_items=0, percentage=0).model_dump(),
        )
        session.add(run)
        session.flush()
        config.last_run_at = run.started_at
        AutomationLogger(site_id, run.id).info(
            session,
            f"run {run.id} started ({trigger}) by {self.actor} · estimate "
            f"{estimate.total_credits:g} credits (x{ESTIMATE_BUFFER_MULTIPLIER} = "
            f"{estimate.required_credits:g}) · balance {estimate.balance:g}",
        )
        return RunNowResult(
            run_id=run.id,
            status="running",
            estimated_credits=estimate.required_credits,
            balance=estimate.balance,
        )

    # ----- 4-7: reading the run -----

    def current_run(self, site_id: int) -> RunSummary | None:
        with self.db.read() as session:
            self._site(session, site_id)
            run = self._active_run(session, site_id)
            return None if run is None else run_summary(run)

    def pipeline_overview(self, site_id: int) -> PipelineOverview:
        with self.db.read() as session:
            config = self._config_row(session, site_id)
            pending = pending_counts(session, site_id, publishes_without_images(config))
            skips = _skips(config)
            return PipelineOverview(
                site_id=site_id,
                stages=[
                    StageOverview(number=n, name=STAGE_NAMES[n], pending=pending[n], skip=skips[n])
                    for n in STAGES
                ],
            )

    def current_processing(self, site_id: int) -> CurrentProcessing | None:
        with self.db.read() as session:
            run = self._active_run(session, site_id)
            if run is None:
                return None
            config = self._config_row(session, site_id)
            stage = run.current_stage
            result = parse_stage_result(stage, run.stage_result(stage))
            batch_size = pipeline.batch_size(config, stage)
            pending = pending_counts(session, site_id, publishes_without_images(config))[stage]
            processed = result.processed_count if result else 0
            batches_run = result.batches_run if result else 0
            done_in_batch = result.batch_items_done if result else 0
            # A finished batch means the next one starts whole.
            left_in_batch = 0 if stage == 1 else (batch_size - done_in_batch) or batch_size
            if done_in_batch >= batch_size:
                left_in_batch = batch_size
            # In hand: stage 1's whole batch, or up to the concurrency limit of a parallel stage.
            if stage == 1:
                per_unit = batch_size
            elif STAGE_CLASSES[stage].parallel:
                per_unit = max(min(self.settings.ai_concurrency, left_in_batch), 1)
            else:
                per_unit = 1
            labels = queue_labels(session, site_id, stage, per_unit + UP_NEXT_ITEMS)
            later_batches = math.ceil(max(pending - left_in_batch, 0) / batch_size)
            elapsed = result.time_elapsed if result else 0
            return CurrentProcessing(
                run_id=run.id,
                status=run.status,  # type: ignore[arg-type]
                stage=stage,
                stage_name=STAGE_NAMES[stage],
                current_items=labels[:per_unit] if run.status == "running" else [],
                batch_number=max(batches_run, 1),
                batch_count=max(batches_run + later_batches, 1),
                processed_in_stage=processed,
                input_in_stage=max(result.input_count if result else pending, processed),
                items_per_minute=round(processed / elapsed * 60, 2) if elapsed > 0 else 0.0,
                up_next=labels[per_unit:],
                pause_reason=run.pause_reason,
            )

    def run_progress(self, site_id: int, run_id: int | None = None) -> RunProgress | None:
        with self.db.read() as session:
            if run_id is None:
                run = self._active_run(session, site_id) or self._latest_run(session, site_id)
                if run is None:
                    return None
            else:
                run = self._run(session, site_id, run_id)
            config = self._config_row(session, site_id)
            pending = pending_counts(session, site_id, publishes_without_images(config))
            return self._progress(run, pending, _skips(config))

    def _progress(
        self, run: AutomationRun, pending: dict[int, int], skips: dict[int, bool]
    ) -> RunProgress:
        stages = []
        for n in STAGES:
            result = parse_stage_result(n, run.stage_result(n))
            if result is None:
                waiting = "skipped" if skips[n] else "waiting"
                stages.append(
                    StageProgress(
                        number=n,
                        name=STAGE_NAMES[n],
                        status=waiting,  # type: ignore[arg-type]
                        input_count=pending[n] if run.status in ACTIVE_RUN_STATUSES else 0,
                        processed_count=0,
                        credits_used=0,
                        time_elapsed=0,
                        skip_reason="switched off in this site's config" if skips[n] else None,
                        result=None,
                    )
                )
                continue
            stages.append(
                StageProgress(
                    number=n,
                    name=STAGE_NAMES[n],
                    status=result.status,
                    input_count=max(result.input_count, result.processed_count),
                    processed_count=result.processed_count,
                    credits_used=result.credits_used,
                    time_elapsed=result.time_elapsed,
                    skip_reason=result.skip_reason,
                    result=result.model_dump(mode="json"),
                )
            )
        summary = run_summary(run)
        return RunProgress(
            run=RunInfo(run_id=run.id, status=summary.status, current_stage=run.current_stage),
            global_progress=GlobalProgress.model_validate(
                run.progress or {"total_items": 0, "completed_items": 0, "percentage": 0}
            ),
            stages=stages,
            metrics=RunMetrics(
                credits_used=summary.total_credits_used, duration_seconds=summary.duration_seconds
            ),
            initial_snapshot=dict(run.initial_snapshot or {}),
        )

    # ----- 8-10: control -----

    def pause(self, site_id: int, run_id: int | None = None) -> RunSummary:
        with self.db.write() as session:
            run = self._run(session, site_id, run_id)
            log = AutomationLogger(site_id, run.id)
            if run.status == "paused":
                raise InvalidStateError(f"run {run.id} is already paused")
            if run.status != "running":
                raise InvalidStateError(f"run {run.id} is {run.status}; only a running run pauses")
            if lease_is_live(run):
                run.control_request, run.control_requested_by = "pause", self.actor
                log.info(
                    session, f"pause requested by {self.actor}; takes effect after the current item"
                )
            else:
                run.status, run.paused_at = "paused", utcnow()
                run.pause_reason = f"paused by {self.actor}"
                run.control_request = None
                log.warn(session, f"run paused by {self.actor} (no host was executing it)")
            session.flush()
            return run_summary(run)

    def resume(self, site_id: int, run_id: int | None = None) -> RunSummary:
        with self.db.write() as session:
            run = self._run(session, site_id, run_id)
            log = AutomationLogger(site_id, run.id)
            if run.status == "running" and run.control_request == "pause":
                run.control_request = None
                log.info(session, f"pause request withdrawn by {self.actor}")
            elif run.status == "paused":
                run.status, run.resumed_at = "running", utcnow()
                run.pause_reason, run.control_request = None, None
                log.info(session, f"run resumed by {self.actor} from stage {run.current_stage}")
            else:
                raise InvalidStateError(f"run {run.id} is {run.status}, not paused")
            session.flush()
            return run_summary(run)

    def cancel(self, site_id: int, run_id: int | None = None) -> RunSummary:
        with self.db.write() as session:
            run = self._run(session, site_id, run_id)
            log = AutomationLogger(site_id, run.id)
            if run.status not in ACTIVE_RUN_STATUSES:
                raise InvalidStateError(f"run {run.id} is {run.status}; nothing to cancel")
            if run.status == "running" and lease_is_live(run):
                run.control_request, run.control_requested_by = "cancel", self.actor
                log.info(
                    session,
                    f"cancel requested by {self.actor}; takes effect after the current item",
                )
            else:
                self._cancel_now(session, run)
            session.flush()
            return run_summary(run)

    def _cancel_now(self, session: Session, run: AutomationRun) -> None:
        result = parse_stage_result(run.current_stage, run.stage_result(run.current_stage))
        if result is not None and result.status in ("active", "paused"):
            result.status, result.partial = "cancelled", True
            setattr(run, f"stage_{run.current_stage}_result", result.model_dump(mode="json"))
        run.status, run.control_request = "cancelled", None
        run.cancelled_at = run.finished_at = utcnow()
        AutomationLogger(run.site_id, run.id).warn(session, f"run cancelled by {self.actor}")

    # ----- 11-13: history, logs, estimate -----

    def history(self, site_id: int, limit: int = HISTORY_LIMIT) -> list[RunSummary]:
        with self.db.read() as session:
            self._site(session, site_id)
            runs = session.scalars(
                select(AutomationRun)
                .where(AutomationRun.site_id == site_id)
                .order_by(AutomationRun.id.desc())
                .limit(limit)
            )
            return [run_summary(run) for run in runs]

    def logs(
        self,
        site_id: int,
        run_id: int | None = None,
        lines: int = DEFAULT_LOG_LINES,
        after_id: int = 0,
        min_level: LogLevel | None = None,
        stage: int | None = None,
        contains: str | None = None,
    ) -> list[LogEntry]:
        """The newest `lines` entries of a run (default: the latest run), oldest first;
        optionally only from `min_level` up, of one stage, or containing a text."""
        with self.db.read() as session:
            self._site(session, site_id)
            if run_id is None:
                latest = self._latest_run(session, site_id)
                run_id = latest.id if latest else None
            query = select(ActivityLog).where(ActivityLog.site_id == site_id)
            if run_id is not None:
                query = query.where(ActivityLog.run_id == run_id)
            if min_level is not None:
                query = query.where(
                    ActivityLog.level.in_(LOG_LEVELS[LOG_LEVELS.index(min_level) :])
                )
            if stage is not None:
                query = query.where(ActivityLog.stage == stage)
            if contains:
                query = query.where(ActivityLog.message.icontains(contains, autoescape=True))
            query = query.where(ActivityLog.id > after_id).order_by(ActivityLog.id.desc())
            rows = session.scalars(query.limit(lines)).all()
            return [LogEntry.model_validate(row, from_attributes=True) for row in reversed(rows)]

    def schedule_notes(self, site_id: int, limit: int = HISTORY_LIMIT) -> list[LogEntry]:
        """Scheduled runs that were due but not started, and why (they are not runs)."""
        with self.db.read() as session:
            rows = session.scalars(
                select(ActivityLog)
                .where(
                    ActivityLog.site_id == site_id,
                    ActivityLog.run_id.is_(None),
                    ActivityLog.message.startswith(NOT_STARTED),
                )
                .order_by(ActivityLog.id.desc())
                .limit(limit)
            ).all()
            return [LogEntry.model_validate(row, from_attributes=True) for row in rows]

    def estimate(self, site_id: int) -> Estimate:
        with self.db.read() as session:
            config = self._config_row(session, site_id)
            return self._estimate(session, self._site(session, site_id), config)

    def _estimate(self, session: Session, site: Site, config: AutomationConfig) -> Estimate:
        ratios = ratios_for_site(session, site.id, self.settings)
        skips = _skips(config)
        inputs = forecast_inputs(
            pending_counts(session, site.id, publishes_without_images(config)), ratios, skips
        )
        costs = self.costs
        per_stage_milli = {
            1: 0
            if inputs[1] < ratios.min_keywords
            else math.ceil(inputs[1] / config.stage_1_batch_size) * costs.clustering_batch,
            2: costs.ideas(round(inputs[2] * ratios.ideas_per_cluster)),
            3: 0,
            4: inputs[4] * costs.content(round(ratios.words_per_article)),
            5: costs.image_prompts(round(inputs[5] * ratios.prompts_per_content)),
            6: inputs[6] * costs.image,
            7: 0,
        }
        stages = [
            StageEstimate(
                number=n,
                name=STAGE_NAMES[n],
                items=0 if skips[n] else inputs[n],
                credits=0 if skips[n] else credits.from_milli(per_stage_milli[n]),
            )
            for n in STAGES
        ]
        total = sum(s.credits for s in stages)
        required = round(total * ESTIMATE_BUFFER_MULTIPLIER, 3)
        balance_milli = session.scalar(
            select(Account.balance_milli).where(Account.id == site.account_id)
        )
        balance = credits.from_milli(balance_milli or 0)
        return Estimate(
            site_id=site.id,
            stages=stages,
            total_credits=round(total, 3),
            buffer_multiplier=ESTIMATE_BUFFER_MULTIPLIER,
            required_credits=required,
            balance=balance,
            sufficient=balance >= required,
            basis=ratios.basis,
        )
