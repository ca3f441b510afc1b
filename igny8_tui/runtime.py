"""One process's view of the product: settings, database, workspace, service, provider, target."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from igny8_tui.ai.factory import build_provider
from igny8_tui.ai.provider import Provider
from igny8_tui.automation.executor import RunExecutor, StopMode
from igny8_tui.automation.logger import LogListener
from igny8_tui.automation.service import AutomationService
from igny8_tui.db.engine import Database
from igny8_tui.publish.folder import FolderTarget
from igny8_tui.publish.target import PublishTarget
from igny8_tui.settings import Settings, load_settings
from igny8_tui.workspace import Workspace


@dataclass
class Runtime:
    settings: Settings
    actor: str

    @classmethod
    def load(cls, home: Path | None, db: str | None, actor: str) -> Runtime:
        return cls(settings=load_settings(home, db), actor=actor)

    @cached_property
    def db(self) -> Database:
        return Database(self.settings.database_url, auto_upgrade=self.settings.auto_upgrade)

    @cached_property
    def workspace(self) -> Workspace:
        return Workspace(self.db)

    @cached_property
    def service(self) -> AutomationService:
        return AutomationService(self.db, self.settings, actor=self.actor)

    @cached_property
    def provider(self) -> Provider:
        return build_provider(self.settings)

    @cached_property
    def publisher(self) -> PublishTarget:
        return FolderTarget(self.settings.publish_dir)

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
            self.publisher,
            run_id,
            host=self.actor,
            stop=stop,
            stop_mode=stop_mode,
            listener=listener,
        )
