"""Messages the dashboard's worker threads post to the UI (post_message is thread-safe)."""

from __future__ import annotations

from textual.message import Message
from textual.notifications import SeverityLevel

from igny8_tui.schemas import ConfigPayload, DashboardSnapshot, PublishTargetInfo, RunOutcome


class DashboardRefreshed(Message):
    """A fresh read of everything the main screen shows."""

    def __init__(self, data: DashboardSnapshot) -> None:
        super().__init__()
        self.data = data


class Notice(Message):
    """Something for the operator: the outcome of an action, or an error, as one line."""

    def __init__(self, text: str, severity: SeverityLevel = "information") -> None:
        super().__init__()
        self.text = text
        self.severity = severity


class RunEnded(Message):
    """A run hosted by this dashboard stopped executing here."""

    def __init__(self, run_id: int, outcome: RunOutcome) -> None:
        super().__init__()
        self.run_id = run_id
        self.outcome = outcome


class HostFailed(Message):
    """The dashboard's host thread stopped on an error nobody foresaw."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error


class ConfigLoaded(Message):
    """A site's config, read off the UI thread, for the config form."""

    def __init__(self, site_id: int, config: ConfigPayload, target: PublishTargetInfo) -> None:
        super().__init__()
        self.site_id = site_id
        self.config = config
        self.target = target


class ReadyToQuit(Message):
    """The host has let its runs go (paused, or left for another host): the app may exit."""
