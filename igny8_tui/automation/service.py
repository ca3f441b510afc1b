"""AutomationService: exactly the spec's 13 operations, each scoped to a site."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from igny8_tui.automation import credits, outbox, run_state
from igny8_tui.automation.forecast import balance_of, ratios_for_site, stage_estimates
from igny8_tui.automation.host_names import holder_is_dead_here
from igny8_tui.automation.host_views import host_views
from igny8_tui.automation.lease import try_claim
from igny8_tui.automation.logger import AutomationLogger
from igny8_tui.automation.publish_targets import published_where, target_label
from igny8_tui.automation.retry import failed_count, retry
from igny8_tui.automation.run_views import (
    active_run,
    config_row,
    current_processing,
    latest_run,
    pipeline_overview,
    run_of_site,
    run_progress,
    run_summary,
    shown_run,
    site_row,
)
from igny8_tui.automation.scheduler import NOT_STARTED, reschedule
from igny8_tui.automation.stages.registry import STAGES, pending_counts, stage_class
from igny8_tui.automation.webhooks import disabled_endpoints
from igny8_tui.constants import (
    DEFAULT_LOG_LINES,
    ESTIMATE_BUFFER_MULTIPLIER,
    HISTORY_LIMIT,
    LOG_BATCH_LINES,
)
from igny8_tui.db.engine import Database
from igny8_tui.db.models import (
    ActivityLog,
    AutomationConfig,
    AutomationRun,
    Keyword,
    PublishTargetConfig,
    Site,
    utcnow,
)
from igny8_tui.errors import AlreadyRunningError, InsufficientCreditsError, NothingToDoError
from igny8_tui.schemas import (
    ACTIVE_RUN_STATUSES,
    LOG_LEVELS,
    ConfigPayload,
    ConfigUpdate,
    CurrentProcessing,
    DashboardSnapshot,
    Estimate,
    GlobalProgress,
    HostedHere,
    HostView,
    LogEntry,
    LogLevel,
    PipelineOverview,
    RetryReport,
    RunNowResult,
    RunProgress,
    RunSummary,
    SiteInfo,
    SiteState,
)
from igny8_tui.settings import Settings

SCHEDULE_FIELDS = {"enabled", "frequency", "scheduled_time", "timezone"}


def _config_payload(config: AutomationConfig) -> ConfigPayload:
    fields = {name: getattr(config, name) for name in ConfigPayload.model_fields}
    fields["scheduled_time"] = config.scheduled_time.strftime("%H:%M")
    return ConfigPayload(**fields)


def _logs(
    session: Session,
    site_id: int,
    run_id: int | None,
    lines: int,
    after_id: int = 0,
    min_level: LogLevel | None = None,
    stage: int | None = None,
    contains: str | None = None,
) -> list[LogEntry]:
    """The newest `lines` entries after `after_id` (of a run, or the site's), oldest first."""
    query = select(ActivityLog).where(ActivityLog.site_id == site_id)
    if run_id is not None:
        query = query.where(ActivityLog.run_id == run_id)
    if min_level is not None:
        query = query.where(ActivityLog.level.in_(LOG_LEVELS[LOG_LEVELS.index(min_level) :]))
    if stage is not None:
        query = query.where(ActivityLog.stage == stage)
    if contains:
        query = query.where(ActivityLog.message.icontains(contains, autoescape=True))
    query = query.where(ActivityLog.id > after_id).order_by(ActivityLog.id.desc())
    rows = session.scalars(query.limit(lines)).all()
    return [LogEntry.model_validate(row, from_attributes=True) for row in reversed(rows)]


class AutomationService:
    """The spec's operations over the database; any process may call any of them."""

    def __init__(self, db: Database, settings: Settings, actor: str = "operator") -> None:
        self.db = db
        self.settings = settings
        self.actor = actor
        self.costs = credits.Costs(settings.credits, settings.credit_mode)

    # ----- 1, 2: config -----

    def config(self, site_id: int) -> ConfigPayload:
        with self.db.read() as session:
            return _config_payload(config_row(session, site_id))

    def update_config(self, site_id: int, update: ConfigUpdate) -> ConfigPayload:
        changes = update.model_dump(exclude_unset=True)
        with self.db.write() as session:
            config = config_row(session, site_id)
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
                _raise_if_active(session, site_id)
            raise

    def start_or_adopt(self, site_id: int, host: str) -> HostedHere:
        """A new run held by `host`, or the site's active run when no live host executes it
        (resumed if it was paused). Another live host has it: AlreadyRunningError."""
        try:
            started = self.run_now(site_id, host=host)
            return HostedHere(
                run_id=started.run_id, adopted=False, estimated_credits=started.estimated_credits
            )
        except AlreadyRunningError as busy:
            with self.db.write() as session:
                run = active_run(session, site_id)
                if run is None:
                    raise
                holder = run_summary(run).host
                if holder is not None and not holder_is_dead_here(holder):
                    raise busy.held_by(holder, run.lease_expires_at, utcnow()) from None
                if run.status == "paused":
                    run_state.resume(session, run, self.actor)
                return HostedHere(run_id=run.id, adopted=True, estimated_credits=None)

    def create_run(self, session: Session, site_id: int, trigger: str) -> RunNowResult:
        """Create the site's run in the caller's write transaction, or raise why not."""
        _raise_if_active(session, site_id)
        config = config_row(session, site_id)
        site = site_row(session, site_id)
        pending = pending_counts(session, site_id, config)
        if not any(
            n for number, n in pending.items() if not stage_class(number).switched_off(config)
        ):
            # A run would skip every stage and hide the last run's summary: none is made.
            raise NothingToDoError(site.name, failed_count(session, site_id))
        estimate = self._estimate(session, site, config)
        if estimate.balance < estimate.required_credits:
            raise InsufficientCreditsError(estimate.required_credits, estimate.balance)
        snapshot = {f"stage_{n}_initial": count for n, count in pending.items()}
        snapshot["total_initial_items"] = sum(pending.values())
        run = AutomationRun(
            config_id=config.id,
            site_id=site_id,
            trigger_type=trigger,
            status="running",
            current_stage=STAGES[0].number,
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
        outbox.run_event(session, "run.started", run)
        return RunNowResult(
            run_id=run.id,
            status="running",
            estimated_credits=estimate.required_credits,
            balance=estimate.balance,
        )

    # ----- beyond the spec: retrying failed items -----

    def retry(
        self, site_id: int, stage: int | None = None, item_id: int | None = None
    ) -> RetryReport:
        """Put the site's failed items back in their queues (see `automation/retry.py`): all of
        them, one stage's, or one item's (a cluster at stage 2, a task at stage 4, else an
        article). The active run takes them when their stage comes; else the next run."""
        with self.db.write() as session:
            site_row(session, site_id)
            retried = retry(session, site_id, self.actor, stage, item_id)
            return RetryReport(site_id=site_id, stage=stage, item_id=item_id, retried=retried)

    # ----- 4-7: reading the run -----

    def current_run(self, site_id: int) -> RunSummary | None:
        with self.db.read() as session:
            site_row(session, site_id)
            run = active_run(session, site_id)
            return None if run is None else run_summary(run)

    def shown_run(self, site_id: int) -> RunSummary | None:
        """The site's active run, else its latest one (None before the first run)."""
        with self.db.read() as session:
            site_row(session, site_id)
            run = shown_run(session, site_id)
            return None if run is None else run_summary(run)

    def run(self, site_id: int, run_id: int) -> RunSummary:
        """One run of the site, by id."""
        with self.db.read() as session:
            return run_summary(run_of_site(session, site_id, run_id))

    def pipeline_overview(self, site_id: int) -> PipelineOverview:
        with self.db.read() as session:
            config = config_row(session, site_id)
            return pipeline_overview(site_id, pending_counts(session, site_id, config), config)

    def current_processing(self, site_id: int) -> CurrentProcessing | None:
        with self.db.read() as session:
            config = config_row(session, site_id)
            run = active_run(session, site_id)
            if run is None:
                return None
            pending = pending_counts(session, site_id, config)
            return current_processing(session, run, config, pending, self.settings)

    def run_progress(self, site_id: int, run_id: int | None = None) -> RunProgress | None:
        """The given run's progress, else the active or latest run's (None before any run)."""
        with self.db.read() as session:
            config = config_row(session, site_id)
            if run_id is None:
                run = shown_run(session, site_id)
                if run is None:
                    return None
            else:
                run = run_of_site(session, site_id, run_id)
            return run_progress(run, pending_counts(session, site_id, config), config)

    def dashboard(
        self, site_id: int, log_run_id: int | None, after_log_id: int
    ) -> DashboardSnapshot:
        """Everything the main screen shows, in one read transaction."""
        with self.db.read() as session:
            site = site_row(session, site_id)
            config = config_row(session, site_id)
            pending = pending_counts(session, site_id, config)
            run = shown_run(session, site_id)
            run_id = run.id if run else None
            after = after_log_id if run_id == log_run_id else 0
            site_ids = list(session.scalars(select(Site.id).order_by(Site.id)))
            keywords = session.scalar(
                select(func.count()).select_from(Keyword).where(Keyword.site_id == site_id)
            )
            active = run is not None and run.status in ACTIVE_RUN_STATUSES
            return DashboardSnapshot(
                site=SiteInfo.model_validate(site, from_attributes=True).model_copy(
                    update={"keywords": keywords or 0}
                ),
                site_number=site_ids.index(site_id) + 1,
                site_count=len(site_ids),
                balance=balance_of(session, site.account_id),
                run=run_summary(run) if run else None,
                progress=run_progress(run, pending, config) if run else None,
                processing=(
                    current_processing(session, run, config, pending, self.settings)
                    if run and active
                    else None
                ),
                overview=pipeline_overview(site_id, pending, config),
                published_to=self._published_to(session, site),
                disabled_webhooks=disabled_endpoints(session, site_id),
                log_run_id=run_id,
                new_logs=_logs(session, site_id, run_id, LOG_BATCH_LINES, after) if run else [],
            )

    def _published_to(self, session: Session, site: Site) -> str:
        row = session.get(PublishTargetConfig, site.id)
        return published_where(row, self.settings.publish_dir, site.slug)

    def site_states(self) -> list[SiteState]:
        """Every site with its active run (else how its last run ended) and its queues, in one
        read."""
        with self.db.read() as session:
            states = []
            for site in session.scalars(select(Site).order_by(Site.id)):
                config = config_row(session, site.id)
                run = active_run(session, site.id)
                last = None if run else latest_run(session, site.id)
                pending = pending_counts(session, site.id, config)
                states.append(
                    SiteState(
                        site=SiteInfo(
                            id=site.id, name=site.name, slug=site.slug, domain=site.domain
                        ),
                        run=run_summary(run) if run else None,
                        last_run=run_summary(last) if last else None,
                        overview=pipeline_overview(site.id, pending, config),
                        target=target_label(session.get(PublishTargetConfig, site.id)),
                    )
                )
            return states

    # ----- beyond the spec: the hosts -----

    def hosts(self, now: datetime | None = None) -> list[HostView]:
        """Every host holding a run now or seen in the last day, in one read (`now`: the
        moment ages are counted to, for a screen on a fixed clock)."""
        with self.db.read() as session:
            return host_views(session, now or utcnow(), self.settings.lease_ttl_s)

    # ----- 8-10: control -----

    def pause(self, site_id: int, run_id: int | None = None) -> RunSummary:
        with self.db.write() as session:
            run = run_of_site(session, site_id, run_id)
            run_state.request_pause(session, run, self.actor)
            session.flush()
            return run_summary(run)

    def pause_hosted(self, run_ids: list[int]) -> list[RunSummary]:
        """Ask each of a host's runs to pause, whatever their sites (a host quitting): those
        already stopped stay as they are."""
        paused = []
        with self.db.write() as session:
            for run_id in run_ids:
                run = session.get(AutomationRun, run_id)
                if run is not None and run.status == "running":
                    run_state.request_pause(session, run, self.actor)
                    session.flush()
                    paused.append(run_summary(run))
        return paused

    def resume(self, site_id: int, run_id: int | None = None) -> RunSummary:
        with self.db.write() as session:
            run = run_of_site(session, site_id, run_id)
            run_state.resume(session, run, self.actor)
            session.flush()
            return run_summary(run)

    def cancel(self, site_id: int, run_id: int | None = None) -> RunSummary:
        with self.db.write() as session:
            run = run_of_site(session, site_id, run_id)
            run_state.request_cancel(session, run, self.actor)
            session.flush()
            return run_summary(run)

    # ----- 11-13: history, logs, estimate -----

    def history(self, site_id: int, limit: int | None = HISTORY_LIMIT) -> list[RunSummary]:
        """The site's runs, newest first (the latest `limit`, or all with None)."""
        with self.db.read() as session:
            site_row(session, site_id)
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
        optionally only from `min_level` up, of one stage, or containing a text. A run the site
        does not have is NotFoundError."""
        with self.db.read() as session:
            site_row(session, site_id)
            if run_id is None:
                latest = latest_run(session, site_id)
                run_id = latest.id if latest else None
            else:
                run_of_site(session, site_id, run_id)
            return _logs(session, site_id, run_id, lines, after_id, min_level, stage, contains)

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
            config = config_row(session, site_id)
            return self._estimate(session, site_row(session, site_id), config)

    def _estimate(self, session: Session, site: Site, config: AutomationConfig) -> Estimate:
        ratios = ratios_for_site(session, site.id, self.settings, config)
        stages = stage_estimates(session, site.id, config, ratios, self.costs)
        total = sum(s.credits for s in stages)
        required = round(total * ESTIMATE_BUFFER_MULTIPLIER, 3)
        balance = balance_of(session, site.account_id)
        return Estimate(
            site_id=site.id,
            stages=stages,
            total_credits=round(total, 3),
            buffer_multiplier=ESTIMATE_BUFFER_MULTIPLIER,
            required_credits=required,
            balance=balance,
            sufficient=balance >= required,
            basis=ratios.basis,
            clusters_basis=ratios.clusters_basis,
        )


def _raise_if_active(session: Session, site_id: int) -> None:
    active = active_run(session, site_id)
    if active is not None:
        raise AlreadyRunningError(site_row(session, site_id).name, active.id, active.status)
