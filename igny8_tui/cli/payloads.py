"""The command's own results, as typed models: what --json prints and the text renders."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, RootModel

from igny8_tui.runtime import SchemaState
from igny8_tui.schemas import (
    ClusterListing,
    ConfigPayload,
    ContentListing,
    DeliveryView,
    HostView,
    KeywordListing,
    LogEntry,
    PublishTargetInfo,
    RunProgress,
    RunSummary,
    SiteInfo,
    WebhookInfo,
)
from igny8_tui.settings import AISummary


class StatusReport(BaseModel):
    run: RunSummary | None
    progress: RunProgress | None


class HistoryReport(BaseModel):
    runs: list[RunSummary]
    not_started: list[LogEntry]


class ConfigView(ConfigPayload):
    """A site's config as `config show` prints it: with the AI in use, never its key, and its
    notification URLs with their secrets hidden."""

    ai: AISummary
    notify_urls: list[str]


class NotifyDelivery(BaseModel):
    """One notification URL's answer to `igny8 notify test` (the URL without its secrets)."""

    url: str
    ok: bool
    error: str | None


class NotifyTestReport(BaseModel):
    site: str | None
    deliveries: list[NotifyDelivery]


class PromptInfo(BaseModel):
    name: str
    source: str
    fields: list[str]


class PromptsReport(BaseModel):
    directory: str
    templates: list[PromptInfo]


class SiteList(RootModel[list[SiteInfo]]):
    pass


class KeywordList(RootModel[list[KeywordListing]]):
    pass


class ClusterList(RootModel[list[ClusterListing]]):
    pass


class ContentList(RootModel[list[ContentListing]]):
    pass


class LogLines(RootModel[list[LogEntry]]):
    pass


class HostList(RootModel[list[HostView]]):
    """`igny8 hosts`: every host holding a run now, or seen in the last day."""


class SchemaReport(BaseModel):
    """`igny8 db current`: the database's schema revision against this igny8's head."""

    database: str
    current: str | None
    head: str
    state: SchemaState


class SchemaUpgrade(BaseModel):
    """`igny8 db upgrade`: where the schema started and ended, and the backup it made."""

    database: str
    from_state: SchemaState
    from_revision: str | None
    to_revision: str
    backup: Path | None


class WebhookList(RootModel[list[WebhookInfo]]):
    """`igny8 webhook list`: the endpoints, never their secrets."""


class DeliveryList(RootModel[list[DeliveryView]]):
    """`igny8 events`: the latest deliveries, newest first."""


class PublishWebhookSet(BaseModel):
    """`igny8 publish set webhook`: the target, and its signing secret (shown this once)."""

    target: PublishTargetInfo
    secret: str
