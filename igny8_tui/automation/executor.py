"""The run executor: takes a claimed run through stages 1-7, one committed unit at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from igny8_tui.ai.provider import Provider, ProviderError, ProviderFatalError
from igny8_tui.atomic_files import remove_temp_files
from igny8_tui.automation import credits, outbox, run_state
from igny8_tui.automation.environment import environment_fault
from igny8_tui.automation.forecast import next_run_shortfall, ratios_for_site, reforecast_rest
from igny8_tui.automation.lease import Lease, LeaseKeeper, fenced_run, release, try_claim
from igny8_tui.automation.logger import AutomationLogger, LogListener
from igny8_tui.automation.progress import compute_progress
from igny8_tui.automation.run_state import save_stage_result
from igny8_tui.automation.stages.base import Applied, PipelineRatios, Stage, StageContext, Unit
from igny8_tui.automation.stages.clustering import ClusteringStage, Stage1Result
from igny8_tui.automation.stages.images import site_media_dir
from igny8_tui.automation.stages.registry import (
    LAST_STAGE,
    STAGES,
    build_stage,
    parse_stage_result,
    pending_counts,
    skips,
    stage_class,
)
from igny8_tui.constants import MAX_ERRORS_PER_STAGE_RESULT
from igny8_tui.db.engine import Database
from igny8_tui.db.models import AutomationConfig, AutomationRun, Site, utcnow
from igny8_tui.errors import Igny8Error, InvalidStateError, LeaseLostError, NotFoundError
from igny8_tui.publish.target import PublishError, PublishFatalError, PublishTarget
from igny8_tui.schemas import LogLevel, PauseCause, PublishTargetInfo, RunOutcome, StageResult
from igny8_tui.settings import Settings

StopMode = Literal["pause", "release"]


@dataclass(frozen=True)
class _StageStop:
    outcome: RunOutcome


@dataclass(frozen=True)
class OperatorFault:
    """Something only the operator can fix; the run pauses with this reason and cause."""

    reason: str
    cause: PauseCause


def operator_fault(exc: BaseException) -> OperatorFault | None:
    """The fault to pause for, if ``exc`` is one no later item would escape; else None."""
    if isinstance(exc, (ProviderFatalError, PublishFatalError)):
        return OperatorFault(str(exc), exc.cause)
    reason = environment_fault(exc)
    return None if reason is None else OperatorFault(reason, "environment")


class _StageClock:
    """A stage's active time: what earlier segments took plus this segment so far."""

    def __init__(self, before_s: float) -> None:
        self.before_s = before_s
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return round(self.before_s + time.monotonic() - self.started, 3)


SWITCHED_OFF = "switched off in this site's config"


class RunNotClaimable(InvalidStateError):
    """Another host holds the run, or it is not running."""

    def __init__(self, run_id: int, status: str, holder: str | None) -> None:
        self.holder = holder
        where = f" and hosted by {holder}" if holder and status == "running" else ""
        super().__init__(f"run {run_id} cannot be hosted here: it is {status}{where}")


class RunExecutor:
    """Executes one run on this host; every write is fenced by the run's lease."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        provider: Provider,
        publisher_for: Callable[[int], tuple[PublishTarget, PublishTargetInfo]],
        run_id: int,
        host: str,
        stop: threading.Event | None = None,
        stop_mode: StopMode = "pause",
        listener: LogListener | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.provider = provider
        # The site's publish target, built once the run's site is known (see `_claim`).
        self.publisher_for = publisher_for
        self.run_id = run_id
        self.host = host
        self.stop = stop or threading.Event()
        self.stop_mode = stop_mode
        self.listener = listener
        self.costs = credits.Costs(settings.credits, settings.credit_mode)
        self.lease: Lease | None = None
        # Why this host left the run running without a lease, when it could not even record a
        # pause (the database itself cannot be written).
        self.stalled_reason: str | None = None

    # ----- entry point -----

    def execute(self) -> RunOutcome:
        """Claim the run and take it through its stages; RunNotClaimable if another host has it.

        A fault only the operator can fix (a full disk, a refused API key) pauses the run with
        its reason; one that stops even that write leaves the run STALLED for recovery."""
        try:
            self._claim()
        except Exception as exc:
            return self._stall(exc)
        try:
            with LeaseKeeper(self.db, self.lease_):
                self.publisher = self._publisher()
                try:
                    if self.recovered_from is not None:
                        self._remove_temp_files(self.recovered_from)
                    return self._run_stages()
                finally:
                    self.publisher.close()
        except LeaseLostError:
            return RunOutcome.LOST
        except Exception as exc:
            fault = operator_fault(exc)
            if fault is None:
                self._fail(f"{type(exc).__name__}: {exc}")
                raise
            return self._pause_for_fault(fault)

    def _claim(self) -> None:
        with self.db.write() as session:
            claim = try_claim(session, self.run_id, self.host, self.settings.lease_ttl_s)
            run = session.get(AutomationRun, self.run_id)
            if run is None:
                raise NotFoundError(f"no run {self.run_id}")
            if claim is None:
                raise RunNotClaimable(self.run_id, run.status, run.lease_owner)
            self.lease = claim.lease
            self.site_id = run.site_id
            self.log = AutomationLogger(run.site_id, run.id, self.listener)
            if claim.previous_owner is not None:
                silent_s = (utcnow() - (claim.previous_heartbeat or utcnow())).total_seconds()
                self.log.warn(
                    session,
                    f"run {run.id} recovered by {self.host} from {claim.previous_owner} "
                    f"(no heartbeat for {silent_s:.0f}s); continuing at stage {run.current_stage}",
                )
            else:
                self.log.info(session, f"run {run.id} hosted by {self.host}")
        self.recovered_from = claim.previous_owner

    def _publisher(self) -> PublishTarget:
        """The site's publish target; one that cannot be built (no password stored) is the
        operator's to fix, so the run pauses."""
        try:
            target, self.publish_info = self.publisher_for(self.site_id)
        except Igny8Error as exc:
            raise PublishFatalError(str(exc), "configuration") from exc
        return target

    def _remove_temp_files(self, dead_host: str) -> None:
        """Remove the temp files of writes the dead host never finished, from this site's folders
        only: no one else writes there while this host holds the site's one active run."""
        with self.db.read() as session:
            site = session.get(Site, self.site_id)
            assert site is not None
            folders = [
                site_media_dir(self.settings, site.slug),
                self.publisher.site_folder(site.slug),
            ]
        removed = sum(len(remove_temp_files(folder)) for folder in folders if folder is not None)
        if removed:
            with self.db.write() as session:
                fenced_run(session, self.lease_)
                self.log.info(
                    session,
                    f"removed {removed} temp file{'' if removed == 1 else 's'} left by"
                    f" {dead_host}'s unfinished writes",
                )

    # ----- stages -----

    def _run_stages(self) -> RunOutcome:
        with self.db.read() as session:
            site = session.get(Site, self.site_id)
            assert site is not None
            config = session.scalars(
                select(AutomationConfig).where(AutomationConfig.site_id == site.id)
            ).one()
            self.ratios: PipelineRatios = ratios_for_site(session, site.id, self.settings, config)
            run = session.get(AutomationRun, self.run_id)
            assert run is not None
            first_stage = run.current_stage
            self.site_name, self.site_slug, self.account_id = site.name, site.slug, site.account_id
        for stage in STAGES:
            number = stage.number
            if number < first_stage:
                continue
            stop = self._run_stage(number)
            if stop is not None:
                return stop.outcome
            if number == ClusteringStage.number:
                self._reforecast_after_stage_1()
            if number < LAST_STAGE and not self._between_stages():
                return self._acknowledge_stop() or RunOutcome.RELEASED
        self._complete()
        return RunOutcome.COMPLETED

    def _reforecast_after_stage_1(self) -> None:
        """Forecast the rest of the run from the clusters stage 1 really made; when the balance
        will not cover it, say so now (the run goes on until the credits really run out)."""
        with self.db.write() as session:
            run = fenced_run(session, self.lease_)
            result = parse_stage_result(ClusteringStage.number, run.stage_result(1))
            if not isinstance(result, Stage1Result) or result.status != "completed":
                return
            config = session.scalars(
                select(AutomationConfig).where(AutomationConfig.site_id == self.site_id)
            ).one()
            result.reforecast = reforecast_rest(
                session, self.site_id, self.account_id, config, self.settings, self.costs
            )
            self.ratios = ratios_for_site(session, self.site_id, self.settings, config)
            save_stage_result(run, ClusteringStage.number, result)
            if result.reforecast.warning is not None:
                self.log.warn(session, result.reforecast.warning, ClusteringStage.number)
            else:
                self.log.info(
                    session,
                    f"after stage 1: the rest needs ~{result.reforecast.rest_credits:g} credits"
                    f" and the balance is {result.reforecast.balance:g}",
                    ClusteringStage.number,
                )

    def _config(self) -> AutomationConfig:
        with self.db.read() as session:
            config = session.scalars(
                select(AutomationConfig).where(AutomationConfig.site_id == self.site_id)
            ).one()
            session.expunge(config)
            return config

    def _context(self, config: AutomationConfig) -> StageContext:
        return StageContext(
            run_id=self.run_id,
            site_id=self.site_id,
            site_name=self.site_name,
            site_slug=self.site_slug,
            account_id=self.account_id,
            settings=self.settings,
            costs=self.costs,
            provider=self.provider,
            publisher=self.publisher,
            publish_info=self.publish_info,
            config=config,
        )

    def _run_stage(self, number: int) -> _StageStop | None:
        config = self._config()
        with self.db.read() as session:
            run = session.get(AutomationRun, self.run_id)
            assert run is not None
            existing = parse_stage_result(number, run.stage_result(number))
            pending = pending_counts(session, self.site_id, config)[number]
        if existing is not None and existing.status in ("completed", "skipped", "failed"):
            return None
        stage = build_stage(number, self._context(config))
        if existing is None:
            reason = SWITCHED_OFF if stage.switched_off(config) else stage.skip_reason(pending)
            if reason is not None:
                self._record_skip(number, reason, pending)
                return None
        result = self._start_stage(number, existing, pending)
        return self._process_units(number, stage, result, config)

    def _record_skip(self, number: int, reason: str, pending: int) -> None:
        result = stage_class(number).result_model(
            status="skipped", skipped=True, skip_reason=reason, input_count=pending
        )
        with self.db.write() as session:
            run = fenced_run(session, self.lease_)
            run.current_stage = number
            save_stage_result(run, number, result)
            self.log.info(session, f"stage {number} skipped: {reason}", number)

    def _start_stage(self, number: int, existing: StageResult | None, pending: int) -> StageResult:
        if existing is None:
            stage = stage_class(number)
            result = stage.result_model(status="active", input_count=pending)
            message = f"stage {number} started · {stage.name} · {pending:,} pending"
        else:
            result = existing.model_copy(update={"status": "active"})
            result.input_count = max(result.input_count, result.processed_count + pending)
            message = (
                f"stage {number} continues from item {result.processed_count + 1}"
                f" of {result.input_count:,}"
            )
        with self.db.write() as session:
            run = fenced_run(session, self.lease_)
            run.current_stage = number
            save_stage_result(run, number, result)
            self.log.info(session, message, number)
        return result

    def _process_units(
        self, number: int, stage: Stage, result: StageResult, config: AutomationConfig
    ) -> _StageStop | None:
        """Units in canonical order, up to `ai_concurrency` in the AI's hands at once for a
        parallel stage (never across a batch boundary); each commits on its own. A pause or
        cancel stops new units from starting; those in hand finish and commit first."""
        batch_size = stage.batch_size(config)
        units_per_batch = 1 if stage.whole_batch_per_unit else batch_size
        room = batch_size if stage.whole_batch_per_unit else 1
        width = self.settings.ai_concurrency if stage.parallel else 1
        clock = _StageClock(result.time_elapsed)
        in_hand: dict[Future[tuple[object, str | None]], Unit] = {}
        stopping = False
        fault: OperatorFault | None = None
        with ThreadPoolExecutor(width, thread_name_prefix=f"run-{self.run_id}-s{number}") as pool:
            while True:
                stopping = stopping or self._stop_requested()
                while not stopping and len(in_hand) < width:
                    used = result.batch_items_done + len(in_hand)
                    new_batch = result.batches_run == 0 or used >= units_per_batch
                    if new_batch and in_hand:
                        break  # this batch finishes before the next one starts
                    exclude = frozenset(u.item_id for u in in_hand.values())
                    with self.db.read() as session:
                        unit = stage.next_unit(session, room, exclude)
                    if unit is None:
                        break
                    if (
                        new_batch
                        and result.batches_run
                        and not self._wait(config.within_stage_delay)
                    ):
                        stopping = True
                        break
                    reserved = sum(u.cost_milli for u in in_hand.values())
                    if not self._has_credits_for(unit, reserved):
                        if not in_hand:
                            return _StageStop(self._pause_for_credits(number, result, unit))
                        break  # the units in hand finish, then the check comes again
                    if new_batch:
                        self._start_batch(stage, result, config)
                    in_hand[pool.submit(self._call, stage, unit)] = unit
                if not in_hand:
                    if not stopping:
                        break
                    outcome = self._acknowledge_stop()
                    if outcome is not None:
                        return _StageStop(outcome)
                    stopping = False  # the request was withdrawn
                    continue
                done, _ = wait(in_hand, return_when=FIRST_COMPLETED)
                for future in done:
                    unit = in_hand.pop(future)
                    try:
                        called = future.result()
                    except Exception as exc:
                        # The units in hand finish and commit; none starts after a fault.
                        fault = fault or operator_fault(exc)
                        if fault is None:
                            raise
                        stopping = True
                        continue
                    self._commit(number, stage, unit, called, result, clock)
                if fault is not None and not in_hand:
                    self._save_result(number, result)
                    return _StageStop(self._pause_for_fault(fault))
        return self._finish_stage(number, result, clock)

    def _start_batch(self, stage: Stage, result: StageResult, config: AutomationConfig) -> None:
        number, batch_size = stage.number, stage.batch_size(config)
        with self.db.read() as session:
            pending = pending_counts(session, self.site_id, config)[number]
        result.batches_run += 1
        result.batch_items_done = 0
        result.batches_planned = stage.batches_planned(config, result.batches_run, pending)
        with self.db.write() as session:
            run = fenced_run(session, self.lease_)
            save_stage_result(run, number, result)
            self.log.info(
                session,
                f"batch {result.batches_run}/{result.batches_planned} started"
                f" · {min(pending, batch_size)} {stage.noun}",
                number,
            )

    @staticmethod
    def _call(stage: Stage, unit: Unit) -> tuple[object, str | None]:
        """The AI call, in a pool thread: its output, or why this item failed. A fault of the
        machine (see `operator_fault`) is raised: it is not this item's."""
        try:
            return stage.call(unit), None
        except (ProviderError, PublishError) as exc:
            return None, str(exc)
        except OSError as exc:
            if environment_fault(exc) is not None:
                raise
            where = f": {exc.filename}" if exc.filename else ""
            return None, f"{exc.strerror or exc}{where}"

    def _commit(
        self,
        number: int,
        stage: Stage,
        unit: Unit,
        called: tuple[object, str | None],
        result: StageResult,
        clock: _StageClock,
    ) -> None:
        """The item's output, status, counters, charge and log line, in one transaction."""
        output, error = called
        with self.db.write() as session:
            run = fenced_run(session, self.lease_)
            if error is None:
                applied = stage.apply(session, unit, output)
            else:
                applied = stage.fail(session, unit, error)
            if applied is None:
                self.log.warn(session, f"{unit.label!r} was already done elsewhere", number)
                return
            if applied.charge_milli:
                credits.charge(
                    session,
                    account_id=self.account_id,
                    run_id=self.run_id,
                    stage=number,
                    item_key=unit.key,
                    amount_milli=applied.charge_milli,
                    note=applied.message[:300],
                )
            self._count(result, applied, unit)
            result.time_elapsed = clock.elapsed()
            save_stage_result(run, number, result)
            self._update_progress(session, run)
            level: LogLevel = "ERROR" if applied.failed else "INFO"
            self.log.log(session, level, applied.message, number)

    def _count(self, result: StageResult, applied: Applied, unit: Unit) -> None:
        for field, increment in applied.counters.items():
            setattr(result, field, getattr(result, field) + increment)
        result.credits_used = credits.from_milli(
            credits.to_milli(result.credits_used) + applied.charge_milli
        )
        result.batch_items_done += 1
        if applied.failed:
            result.items_failed += unit.item_count
            if len(result.errors) < MAX_ERRORS_PER_STAGE_RESULT:
                result.errors.append(applied.message)

    def _finish_stage(
        self, number: int, result: StageResult, clock: _StageClock
    ) -> _StageStop | None:
        result.time_elapsed = clock.elapsed()
        processed = result.processed_count
        all_failed = result.items_failed > 0 and result.items_failed >= processed
        result.status = "failed" if all_failed else "completed"
        result.partial = result.items_failed > 0 or processed < result.input_count
        with self.db.write() as session:
            run = fenced_run(session, self.lease_)
            save_stage_result(run, number, result)
            summary = ", ".join(
                f"{k.replace('_', ' ')} {v:,}"
                for k, v in result.model_dump().items()
                if k in type(result).model_fields
                and k not in StageResult.model_fields
                and isinstance(v, int)
            )
            self.log.info(
                session,
                f"stage {number} {result.status} · {summary} · {result.credits_used:g} credits"
                f" · {result.time_elapsed:.1f}s",
                number,
            )
        if all_failed:
            first = result.errors[0] if result.errors else "unknown error"
            self._fail(
                f"stage {number}: all {processed} {stage_class(number).name} items failed; {first}"
            )
            return _StageStop(RunOutcome.FAILED)
        return None

    # ----- control: pause, cancel, credits, stop of this host -----

    def _stop_requested(self) -> bool:
        """Has this host been stopped, or has anyone asked the run to pause or cancel?"""
        if self.stop.is_set():
            return True
        with self.db.read() as session:
            row = session.execute(
                select(AutomationRun.status, AutomationRun.control_request).where(
                    AutomationRun.id == self.run_id
                )
            ).one()
        return row.status != "running" or row.control_request is not None

    def _acknowledge_stop(self) -> RunOutcome | None:
        """The spec's _check_should_stop: act on a pause/cancel request or on this host stopping.
        An operator's request comes first: a host that stops (a dashboard's "pause and quit", a
        daemon's SIGTERM) with a pause asked for leaves the run paused, not merely released."""
        with self.db.read() as session:
            row = session.execute(
                select(AutomationRun.status, AutomationRun.control_request).where(
                    AutomationRun.id == self.run_id
                )
            ).one()
        if row.status == "running" and row.control_request is None:
            return self._stop_host() if self.stop.is_set() else None
        with self.db.write() as session:
            run = fenced_run(session, self.lease_)
            who = run.control_requested_by or "an operator"
            if run.control_request == "cancel" or run.status == "cancelled":
                run_state.cancel(session, run, self.log, who)
                release(session, self.lease_)
                return RunOutcome.CANCELLED
            if run.control_request == "pause" or run.status == "paused":
                self._pause(session, run, reason=f"paused by {who}")
                return RunOutcome.PAUSED
        return None

    def _pause(
        self, session: Session, run: AutomationRun, reason: str, cause: PauseCause = "requested"
    ) -> None:
        run_state.pause(session, run, self.log, reason, cause)
        release(session, self.lease_)

    def _save_result(self, number: int, result: StageResult) -> None:
        with self.db.write() as session:
            save_stage_result(fenced_run(session, self.lease_), number, result)

    def _pause_for_fault(self, fault: OperatorFault) -> RunOutcome:
        """Pause with the fault's reason; if even that cannot be written, stall."""
        try:
            with self.db.write() as session:
                self._pause(session, fenced_run(session, self.lease_), fault.reason, fault.cause)
        except LeaseLostError:
            return RunOutcome.LOST
        except Exception as exc:
            return self._stall(exc, fault.reason)
        return RunOutcome.PAUSED

    def _stall(self, exc: Exception, reason: str | None = None) -> RunOutcome:
        """The database cannot be written: leave the run as it is (its lease runs out, then
        any host recovers it) and say why; anything else is not a fault of the machine."""
        written = environment_fault(exc)
        if written is None:
            raise exc
        self.stalled_reason = reason or written
        if reason is not None and reason != written:
            self.stalled_reason = f"{reason}; and {written}"
        return RunOutcome.STALLED

    def _stop_host(self) -> RunOutcome:
        with self.db.write() as session:
            run = fenced_run(session, self.lease_)
            if self.stop_mode == "pause":
                self._pause(session, run, reason=f"host {self.host} was stopped")
                return RunOutcome.PAUSED
            self.log.warn(session, f"host {self.host} stopped; the run waits for another host")
            release(session, self.lease_)
            return RunOutcome.RELEASED

    def _has_credits_for(self, unit: Unit, reserved_milli: int = 0) -> bool:
        """Enough balance for this unit beyond what the units already in hand may cost."""
        if unit.cost_milli == 0:
            return True
        with self.db.read() as session:
            balance = credits.balance_milli(session, self.account_id)
        return balance >= reserved_milli + unit.cost_milli

    def _pause_for_credits(self, number: int, result: StageResult, unit: Unit) -> RunOutcome:
        with self.db.read() as session:
            balance = credits.balance_milli(session, self.account_id)
        reason = (
            f"insufficient credits: {unit.label!r} needs {credits.from_milli(unit.cost_milli):g}"
            f" and the balance is {credits.from_milli(balance):g}; add credits, then resume"
        )
        with self.db.write() as session:
            run = fenced_run(session, self.lease_)
            save_stage_result(run, number, result)
            self._pause(session, run, reason=reason, cause="credits")
            outbox.credits_low(
                session,
                self.site_id,
                self.run_id,
                credits.from_milli(balance),
                credits.from_milli(unit.cost_milli),
            )
        return RunOutcome.PAUSED

    # ----- waiting -----

    def _wait(self, seconds: float) -> bool:
        """Wait on the stop event, renewing the lease; False if a stop came first."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self.stop.wait(min(left, self.settings.lease_ttl_s / 4)):
                return False
            with self.db.write() as session:
                run = fenced_run(session, self.lease_)
                if run.control_request is not None:
                    return False
        return True

    def _between_stages(self) -> bool:
        config = self._config()
        return self._wait(config.between_stage_delay) if config.between_stage_delay else True

    # ----- the end of a run -----

    def _complete(self) -> None:
        config = self._config()
        with self.db.write() as session:
            run = fenced_run(session, self.lease_)
            self._update_progress(session, run, completed=True)
            run_state.complete(session, run, self.log)
            release(session, self.lease_)
            # Work is left that the balance would not start: say so now, not at the next run.
            short = next_run_shortfall(
                session, self.site_id, self.account_id, config, self.settings, self.costs
            )
            if short is not None:
                outbox.credits_low(session, self.site_id, self.run_id, *short)

    def _fail(self, message: str) -> None:
        try:
            with self.db.write() as session:
                run = fenced_run(session, self.lease_)
                run_state.fail(session, run, self.log, message)
                release(session, self.lease_)
        except LeaseLostError:
            pass

    # ----- bookkeeping -----

    @property
    def lease_(self) -> Lease:
        assert self.lease is not None
        return self.lease

    def _update_progress(
        self, session: Session, run: AutomationRun, completed: bool = False
    ) -> None:
        config = session.scalars(
            select(AutomationConfig).where(AutomationConfig.site_id == run.site_id)
        ).one()
        pending = pending_counts(session, run.site_id, config)
        results = {
            s.number: parse_stage_result(s.number, run.stage_result(s.number)) for s in STAGES
        }
        progress = compute_progress(
            results,
            pending,
            self.ratios,
            skips(config),
            int((run.progress or {}).get("percentage", 0)),
            run_completed=completed,
        )
        run.progress = progress.model_dump()
