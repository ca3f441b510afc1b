"""Errors an operator can cause; each message is written for that operator, on one line."""

from __future__ import annotations

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
    def __init__(self, site_name: str, run_id: int, status: str) -> None:
        self.run_id = run_id
        super().__init__(
            f"already running: site {site_name!r} has active run {run_id} ({status}); "
            "wait for it, or pause/cancel it first"
        )


class InsufficientCreditsError(Igny8Error):
    def __init__(self, needed: float, available: float) -> None:
        self.needed = needed
        self.available = available
        super().__init__(
            f"insufficient credits: this run needs {needed:,.1f} (estimate x1.2) "
            f"and the balance is {available:,.1f}; add credits with `igny8 credits --add N`"
        )


class LeaseLostError(Exception):
    """This host no longer holds the run's lease: another host took it over."""


def first_validation_error(exc: ValidationError, whole: str = "value") -> tuple[str, str]:
    """The first problem pydantic found: (the field's dotted path, or `whole`; the message)."""
    err = exc.errors()[0]
    field = ".".join(str(part) for part in err["loc"]) or whole
    return field, err["msg"]
