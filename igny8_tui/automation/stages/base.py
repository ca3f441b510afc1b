"""The interface every stage implements: find the next unit, call the AI, apply the output."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from igny8_tui.ai.provider import Provider
from igny8_tui.automation.credits import Costs
from igny8_tui.publish.target import PublishTarget
from igny8_tui.settings import Settings


@dataclass(frozen=True)
class StageContext:
    """What a stage needs to know about the run it works for."""

    run_id: int
    site_id: int
    site_name: str
    site_slug: str
    account_id: int
    settings: Settings
    costs: Costs
    provider: Provider
    publisher: PublishTarget
    publish_without_images: bool


@dataclass
class Unit:
    """One piece of work: an item (or, in stage 1, a batch of keywords)."""

    key: str
    item_id: int
    label: str
    item_count: int
    cost_milli: int
    payload: Any


@dataclass
class Applied:
    """What committing a unit changed: counter increments, the charge, the log line."""

    counters: dict[str, int]
    charge_milli: int = 0
    message: str = ""
    failed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class Stage(ABC):
    number: ClassVar[int]
    noun: ClassVar[str]
    processed_field: ClassVar[str]
    units_per_batch_is_one: ClassVar[bool] = False
    # Whether several units may be in the AI's hands at once (each still commits on its own).
    parallel: ClassVar[bool] = False

    def __init__(self, context: StageContext) -> None:
        self.ctx = context

    def skip_reason(self, pending: int) -> str | None:
        """Why the stage has nothing to do, or None."""
        if pending == 0:
            return f"no {self.noun} to process"
        return None

    @abstractmethod
    def next_unit(
        self, session: Session, batch_room: int, exclude: frozenset[int] = frozenset()
    ) -> Unit | None:
        """The next pending unit in canonical order, not one of `exclude` (already in hand);
        `batch_room` items fit in this batch."""

    @abstractmethod
    def call(self, unit: Unit) -> Any:
        """The AI call (or other effect outside the database), outside any transaction."""

    @abstractmethod
    def apply(self, session: Session, unit: Unit, output: Any) -> Applied | None:
        """Store the output; None when the unit is no longer pending (someone else did it)."""

    @abstractmethod
    def fail(self, session: Session, unit: Unit, reason: str) -> Applied:
        """Mark the unit failed with the reason, so the stage goes on."""
