"""A long-lived host (the daemon, the dashboard): picks up runnable runs, recovers stuck ones,
and starts due scheduled runs, executing each run in its own worker thread."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import select

from igny8_tui.automation.courier import Courier
from igny8_tui.automation.executor import RunExecutor, RunNotClaimable, StopMode
from igny8_tui.automation.host_registry import HostPresence
from igny8_tui.automation.lease import claimable
from igny8_tui.automation.logger import LogListener
from igny8_tui.automation.scheduler import DueRunStarter, ScheduleOutcome, start_scheduler
from igny8_tui.automation.service import AutomationService
from igny8_tui.constants import DAEMON_MAX_RUNS, DAEMON_POLL_INTERVAL_S
from igny8_tui.db.models import AutomationRun, utcnow
from igny8_tui.schemas import RunOutcome

OutcomeListener = Callable[[int, RunOutcome], None]
# Builds the executor of a run for this host: (run id, stop event, stop mode, log listener).
ExecutorFactory = Callable[[int, threading.Event, StopMode, LogListener | None], RunExecutor]


class Host:
    """Executes every run that needs a host, up to `max_runs` at once."""

    def __init__(
        self,
        service: AutomationService,
        make_executor: ExecutorFactory,
        logger: logging.Logger,
        max_runs: int = DAEMON_MAX_RUNS,
        listener: LogListener | None = None,
        on_outcome: OutcomeListener | None = None,
        courier: Callable[[], Courier] | None = None,
    ) -> None:
        self.service = service
        self.db = service.db
        self.make_executor = make_executor
        self.logger = logger
        self.max_runs = max_runs
        self.listener = listener
        self.on_outcome = on_outcome
        self.courier = courier
        self.stopping = threading.Event()
        self._workers: dict[int, threading.Thread] = {}

    def serve(self, stop: threading.Event, poll_s: float = DAEMON_POLL_INTERVAL_S) -> None:
        """Run until `stop` is set; then let each run finish its item in hand and release it."""
        presence = HostPresence(self.db, self.service.actor, self.lease_ttl_s)
        presence.register()
        starter = DueRunStarter(self.db, self.service.create_run)
        scheduler = start_scheduler(starter, self._log_schedule)
        self.logger.info("host %s started; lease ttl %gs", self.service.actor, self.lease_ttl_s)
        courier_stop = threading.Event()
        if self.courier is not None:
            # Its own thread: a receiver may take its whole timeout to answer.
            threading.Thread(
                target=self.courier().serve, args=(courier_stop,), name="courier", daemon=True
            ).start()
        try:
            while not stop.is_set():
                self.pick_up_runs()
                presence.beat()
                stop.wait(poll_s)
        finally:
            courier_stop.set()
            scheduler.shutdown(wait=False)
            self.stopping.set()
            for worker in list(self._workers.values()):
                worker.join()
        presence.stopped()
        self.logger.info("host %s stopped; its runs are released", self.service.actor)

    def hosting(self) -> list[int]:
        """Runs executing on this host right now."""
        return [run_id for run_id, worker in list(self._workers.items()) if worker.is_alive()]

    def wait_released(self, timeout_s: float) -> bool:
        """After a stop: wait up to `timeout_s` for every run to release; True if all did."""
        self.stopping.set()
        deadline = time.monotonic() + timeout_s
        for worker in list(self._workers.values()):
            worker.join(max(deadline - time.monotonic(), 0))
        return not self.hosting()

    @property
    def lease_ttl_s(self) -> float:
        return self.service.settings.lease_ttl_s

    def pick_up_runs(self) -> list[int]:
        """Start a worker for each running run with no live lease, while slots are free."""
        self._workers = {rid: t for rid, t in self._workers.items() if t.is_alive()}
        free = self.max_runs - len(self._workers)
        if free <= 0:
            return []
        with self.db.read() as session:
            candidates = session.scalars(
                select(AutomationRun.id)
                .where(AutomationRun.status == "running", claimable(utcnow()))
                .order_by(AutomationRun.id)
            ).all()
        started = [rid for rid in candidates if rid not in self._workers][:free]
        for run_id in started:
            worker = threading.Thread(
                target=self._execute, args=(run_id,), name=f"run-{run_id}", daemon=True
            )
            self._workers[run_id] = worker
            worker.start()
        return started

    def _execute(self, run_id: int) -> None:
        executor = self.make_executor(run_id, self.stopping, "release", self.listener)
        try:
            outcome = executor.execute()
        except RunNotClaimable:
            return  # another host was quicker
        except Exception:
            self.logger.exception("run %s failed with an unexpected error", run_id)
            outcome = RunOutcome.FAILED
        self.logger.info("run %s: %s", run_id, outcome.value)
        if self.on_outcome is not None:
            self.on_outcome(run_id, outcome)

    def _log_schedule(self, outcome: ScheduleOutcome) -> None:
        if outcome.run_id is not None:
            self.logger.info("site %s: scheduled run %s started", outcome.site_id, outcome.run_id)
        else:
            self.logger.warning(
                "site %s: scheduled run not started: %s", outcome.site_id, outcome.reason
            )
