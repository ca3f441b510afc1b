"""The one door into the engine for the CLI and the dashboard, and its composition root.

A `Runtime` is one process's view of the product: its settings, database, service, workspace,
AI provider and publish target, and the hosts it can run. The CLI and the dashboard import
from here (and the boundary models of `schemas`), never the engine's modules themselves;
an import-linter contract in pyproject.toml keeps it so.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import SecretStr

from igny8_tui.ai.check import CheckResult, check_provider
from igny8_tui.ai.factory import build_provider
from igny8_tui.ai.prompts import Template, load_templates
from igny8_tui.ai.provider import Provider
from igny8_tui.atomic_files import write_atomic
from igny8_tui.automation.courier import Courier
from igny8_tui.automation.executor import RunExecutor, StopMode
from igny8_tui.automation.foreground import follow, host_until_done
from igny8_tui.automation.host import Host, OutcomeListener
from igny8_tui.automation.host_names import host_identity
from igny8_tui.automation.host_registry import HostPresence
from igny8_tui.automation.logger import LogListener
from igny8_tui.automation.publish_targets import PublishTargets, wordpress_settings_from
from igny8_tui.automation.service import AutomationService
from igny8_tui.automation.stages.base import Stage
from igny8_tui.automation.stages.registry import STAGES, parse_stage_result, stage_class
from igny8_tui.automation.webhooks import Webhooks
from igny8_tui.automation.workspace import Workspace
from igny8_tui.constants import DAEMON_MAX_RUNS
from igny8_tui.db.engine import Database
from igny8_tui.db.migrate import SchemaState, SchemaStatus, UpgradeReport
from igny8_tui.errors import InvalidInputError
from igny8_tui.export import ExportFormat, as_document
from igny8_tui.publish.folder import check_folder
from igny8_tui.publish.secrets import SecretStore
from igny8_tui.publish.target import PublishFatalError, PublishTarget
from igny8_tui.publish.webhook import WebhookPublishTarget
from igny8_tui.publish.wordpress import WordPressTarget
from igny8_tui.schemas import (
    ContentListing,
    KeywordListing,
    PublishCheck,
    PublishTargetInfo,
    RunOutcome,
    RunSummary,
    WordPressTargetSettings,
)
from igny8_tui.settings import Settings, load_settings

__all__ = [
    "STAGES",
    "CheckResult",
    "Host",
    "RunOutcome",
    "Runtime",
    "SchemaState",
    "Stage",
    "Template",
    "parse_stage_result",
    "stage_class",
]

Notice = Callable[[str], None]
ExportWhat = Literal["content", "keywords", "runs"]
EXPORT_WHATS: tuple[ExportWhat, ...] = ("content", "keywords", "runs")
# The CSV columns: every field of the listing models (nested ones as JSON text).
EXPORT_COLUMNS: dict[ExportWhat, tuple[str, ...]] = {
    "content": tuple(ContentListing.model_fields),
    "keywords": tuple(KeywordListing.model_fields),
    "runs": tuple(RunSummary.model_fields),
}


@dataclass
class Runtime:
    settings: Settings
    actor: str
    # Only reads: a database this user may not write is opened read-only (see `Database`).
    read_only: bool = False

    @classmethod
    def load(
        cls,
        home: Path | None,
        db: str | None,
        actor: str,
        upgrade: bool = True,
        read_only: bool = False,
    ) -> Runtime:
        """`upgrade=False` refuses a database older than the code instead of upgrading it."""
        settings = load_settings(home, db)
        if not upgrade:
            settings = settings.model_copy(update={"auto_upgrade": False})
        return cls(settings=settings, actor=actor, read_only=read_only)

    @classmethod
    def for_role(
        cls,
        home: Path | None,
        db: str | None,
        role: str,
        upgrade: bool = True,
        read_only: bool = False,
    ) -> Runtime:
        """A runtime whose actor names this process, e.g. `run:alice@web1:4242`."""
        return cls.load(home, db, host_identity(role), upgrade, read_only)

    @cached_property
    def db(self) -> Database:
        return Database(
            self.settings.database_url,
            auto_upgrade=self.settings.auto_upgrade,
            read_only=self.read_only,
        )

    @cached_property
    def workspace(self) -> Workspace:
        return Workspace(self.db, self.settings.image_prompts_per_content)

    @cached_property
    def service(self) -> AutomationService:
        return AutomationService(self.db, self.settings, actor=self.actor)

    @cached_property
    def provider(self) -> Provider:
        return build_provider(self.settings)

    def courier(self, logger: logging.Logger | None = None) -> Courier:
        """Delivers the outbox's due events as this process (see automation/courier.py)."""
        return Courier(self.db, self.settings, self.actor, logger=logger)

    @cached_property
    def webhooks(self) -> Webhooks:
        return Webhooks(self.db, SecretStore(self.settings.home), self.courier())

    def deliver_run_events(self, run_id: int) -> int:
        """Deliver the run's events that are due now (`igny8 run`, before it exits); retries
        that come later are left to a daemon or a dashboard. The number of attempts made."""
        courier = self.courier()
        try:
            made = total = courier.deliver_due(run_id)
            while made:
                made = courier.deliver_due(run_id)
                total += made
            return total
        finally:
            courier.close()

    @cached_property
    def publish_targets(self) -> PublishTargets:
        return PublishTargets(self.db, self.settings)

    def publisher_for(self, site_id: int) -> tuple[PublishTarget, PublishTargetInfo]:
        """The target stage 7 publishes the site's articles to, and its settings."""
        return self.publish_targets.target(site_id, _wordpress_target)

    wordpress_settings_from = staticmethod(wordpress_settings_from)

    def set_wordpress_target(
        self, site_id: int, target: WordPressTargetSettings, password: SecretStr
    ) -> PublishTargetInfo:
        """Check the WordPress site with this password, then (only then) store the target."""
        _check_wordpress(target, password)
        return self.publish_targets.set_wordpress(site_id, target, password)

    def check_publish_target(self, site_id: int) -> PublishCheck:
        """`igny8 publish test`: the folder can be written, or the WordPress user may publish."""
        info = self.publish_targets.info(site_id)
        if info.kind == "wordpress":
            target, password = self.publish_targets.wordpress_settings(site_id, info)
            return PublishCheck(
                site_id=site_id,
                kind="wordpress",
                where=target.url,
                detail=_check_wordpress(target, password),
            )
        if info.kind == "webhook" and info.url:
            return PublishCheck(
                site_id=site_id, kind="webhook", where=info.url, detail=self._check_webhook(info)
            )
        folder = Path(info.folder or self.settings.publish_dir)
        return PublishCheck(
            site_id=site_id, kind="folder", where=str(folder), detail=check_folder(folder)
        )

    def _check_webhook(self, info: PublishTargetInfo) -> str:
        """A signed `webhook.test` event to the site's publish webhook; one line, or the
        reason it was not accepted (an InvalidInputError)."""
        target, _ = self.publish_targets.target(info.site_id, _wordpress_target)
        assert isinstance(target, WebhookPublishTarget)
        try:
            return target.check()
        finally:
            target.close()

    # ----- export -----

    def export(self, site_ref: str, what: ExportWhat, fmt: ExportFormat) -> str:
        """`igny8 export`: the site's content, keywords or runs as CSV (formulas neutralised)
        or as a JSON list of their listing models."""
        workspace = self.workspace
        if what == "content":
            return as_document(workspace.content(site_ref), EXPORT_COLUMNS[what], fmt)
        if what == "keywords":
            return as_document(workspace.keywords(site_ref), EXPORT_COLUMNS[what], fmt)
        runs = self.service.history(workspace.site(site_ref).id, limit=None)
        return as_document(runs, EXPORT_COLUMNS[what], fmt)

    @staticmethod
    def write_export(path: Path, document: str) -> None:
        """Write the export whole or not at all (fault site `export`)."""
        try:
            write_atomic(path, document.encode(), site="export")
        except OSError as exc:
            raise InvalidInputError(f"cannot write {path}: {exc.strerror or exc}") from None

    def open(self) -> None:
        """Open (and create or upgrade) the database now rather than on first use."""
        self.db  # noqa: B018

    def close(self) -> None:
        if "db" in self.__dict__:
            self.db.dispose()

    # ----- the database's schema -----

    def _database_as_it_is(self, read_only: bool = False) -> Database:
        """The database opened without checking or upgrading its schema."""
        return Database(self.settings.database_url, check_schema=False, read_only=read_only)

    def schema_status(self) -> tuple[str, SchemaStatus]:
        """Where the database is, and its schema revision against this igny8's head."""
        database = self._database_as_it_is(read_only=True)
        try:
            return database.location, database.schema_status()
        finally:
            database.dispose()

    def upgrade_schema(self) -> tuple[str, UpgradeReport]:
        """Upgrade the database to this igny8's schema, backing up an SQLite file first."""
        database = self._database_as_it_is()
        try:
            return database.location, database.upgrade_schema()
        finally:
            database.dispose()

    # ----- the AI -----

    def check_ai(self) -> CheckResult:
        """One tiny request to the AI in use: does it answer, which model, how fast."""
        return check_provider(self.settings)

    def prompt_templates(self) -> list[Template]:
        """The prompt templates in use, each with where it comes from."""
        return list(load_templates(self.settings.prompts_dir).values())

    # ----- hosting runs -----

    def executor(
        self,
        run_id: int,
        stop: threading.Event,
        stop_mode: StopMode = "pause",
        listener: LogListener | None = None,
    ) -> RunExecutor:
        return RunExecutor(
            self.db,
            self.settings,
            self.provider,
            self.publisher_for,
            run_id,
            host=self.actor,
            stop=stop,
            stop_mode=stop_mode,
            listener=listener,
        )

    def host(
        self,
        logger: logging.Logger,
        max_runs: int = DAEMON_MAX_RUNS,
        listener: LogListener | None = None,
        on_outcome: OutcomeListener | None = None,
    ) -> Host:
        """A long-lived host (daemon, dashboard) over this runtime's database."""
        return Host(
            self.service,
            self.executor,
            logger,
            max_runs=max_runs,
            listener=listener,
            on_outcome=on_outcome,
            courier=lambda: self.courier(logger),
        )

    def host_until_done(
        self, run_id: int, stop: threading.Event, notice: Notice, wait_through_pauses: bool = True
    ) -> RunOutcome:
        """Execute the run here, through an operator's pauses, until it ends (`igny8 run`);
        then deliver the run's events that are due, before the command exits."""
        outcome = host_until_done(
            self.db,
            run_id,
            lambda: self.executor(run_id, stop),
            stop,
            notice,
            HostPresence(self.db, self.actor, self.settings.lease_ttl_s),
            wait_through_pauses,
        )
        self.deliver_run_events(run_id)
        return outcome

    def follow(self, run_id: int, stop: threading.Event) -> RunOutcome:
        """Wait for a run hosted elsewhere to end."""
        return follow(self.db, run_id, stop)


def _wordpress_target(target: WordPressTargetSettings, password: SecretStr) -> WordPressTarget:
    return WordPressTarget(
        target.url,
        target.user,
        password,
        category_from_cluster=target.category_from_cluster,
        tags_from_keywords=target.tags_from_keywords,
    )


def _check_wordpress(target: WordPressTargetSettings, password: SecretStr) -> str:
    """One line on the account, or PublishFatalError (an Igny8Error's one line) saying why not."""
    wordpress = _wordpress_target(target, password)
    try:
        account = wordpress.check()
    except PublishFatalError as exc:
        raise InvalidInputError(str(exc)) from None
    finally:
        wordpress.close()
    roles = ", ".join(account.roles) or "no role"
    return f"{account.user} ({roles}) may publish posts and upload files"
