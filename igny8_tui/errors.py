"""Errors an operator can cause; each message is written for that operator, on one line."""

from __future__ import annotations

import math
from datetime import datetime

from pydantic import ValidationError


class Igny8Error(Exception):
    """Base for every error the CLI and dashboard show as a one-line message."""


class NotFoundError(Igny8Error):
    pass


class InvalidInputError(Igny8Error):
    pass


class InvalidStateError(Igny8Error):
    """The operation does not apply to the run or site as it stands now."""


class AlreadyRunningError(Igny8Error):
    def __init__(self, site_name: str, run_id: int, status: str, detail: str | None = None) -> None:
        self.site_name, self.run_id, self.status = site_name, run_id, status
        super().__init__(
            f"already running: site {site_name!r} has active run {run_id} ({status}); "
            + (detail or "wait for it, or pause/cancel it first")
        )

    def held_by(
        self, holder: str, lease_expires_at: datetime | None, now: datetime
    ) -> AlreadyRunningError:
        """The same refusal, naming the host and when the run is recovered if it has died."""
        left_s = max((lease_expires_at - now).total_seconds(), 0.0) if lease_expires_at else 0.0
        return AlreadyRunningError(
            self.site_name,
            self.run_id,
            self.status,
            f"hosted by {holder}; if that host has stopped, the run is stuck and any host "
            f"recovers it in {math.ceil(left_s)}s, when its lease runs out (pause or cancel it "
            "to stop it sooner)",
        )


class InsufficientCreditsError(Igny8Error):
    def __init__(self, needed: float, available: float) -> None:
        self.needed = needed
        self.available = available
        super().__init__(
            f"insufficient credits: this run needs {needed:,.1f} (estimate x1.2) "
            f"and the balance is {available:,.1f}; add credits with `igny8 credits --add N`"
        )


class NothingToDoError(Igny8Error):
    """A run would find nothing pending at any stage: none is created (issue 11)."""

    def __init__(self, site_name: str, failed: int = 0) -> None:
        self.site_name, self.failed = site_name, failed
        if failed:
            advice = (
                f"{failed:,} failed items wait; retry them with `igny8 retry --site {site_name}`"
            )
        else:
            advice = f"import keywords with `igny8 keywords import --site {site_name} FILE`"
        super().__init__(f"nothing to do for site {site_name}: {advice}")


class LeaseLostError(Exception):
    """This host no longer holds the run's lease: another host took it over."""


def first_validation_error(exc: ValidationError, whole: str = "value") -> tuple[str, str]:
    """The first problem pydantic found: (the field's dotted path, or `whole`; the message)."""
    err = exc.errors()[0]
    field = ".".join(str(part) for part in err["loc"]) or whole
    return field, err["msg"]
