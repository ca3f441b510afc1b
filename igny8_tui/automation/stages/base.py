"""What every stage is: its queue, its forecast and cost, and how it takes a unit through the AI.

A stage class is the only place that knows its number and name, its result model, its entity,
its pending filter and order, the label of an item, and what it forecasts and costs. The
registry (`registry.py`) lists the stages; every other view is built from it.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from igny8_tui.ai.provider import Provider
from igny8_tui.automation.credits import Costs
from igny8_tui.db.models import AutomationConfig, Base
from igny8_tui.publish.target import PublishTarget
from igny8_tui.schemas import ClustersBasis, PublishTargetInfo, StageResult
from igny8_tui.settings import Settings

# A column, or an ordering of one (`Keyword.volume.desc()`).
Ordering = ColumnElement[Any] | InstrumentedAttribute[Any]


@dataclass(frozen=True)
class Ratio:
    """What one processed item of a stage turns into, learnt from the stage results of past
    runs (`numerator` / `denominator`), with a default before any run: from the settings and
    the number of items the stage has pending."""

    name: str
    numerator: str
    denominator: str
    default: Callable[[Settings, int], float]


@dataclass(frozen=True)
class PipelineRatios:
    """The observed (or default) ratio of each stage that has one, by stage number."""

    by_stage: Mapping[int, float]
    min_keywords: int
    basis: Literal["defaults", "history"]
    # Where stage 1's clusters-per-keyword comes from.
    clusters_basis: ClustersBasis = "model"

    def of(self, stage: int) -> float:
        return self.by_stage[stage]


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
    config: AutomationConfig
    # Where stage 7 publishes: the post status and drip of a remote target.
    publish_info: PublishTargetInfo | None = None


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
    name: ClassVar[str]
    # Short enough for a table column at 80 columns, and for a pipeline card.
    short_name: ClassVar[str]
    card_name: ClassVar[str]
    # What a card says the stage made: a format of its result's counters.
    card_made: ClassVar[str]
    # What waits in its queue, plural ("keywords").
    noun: ClassVar[str]
    result_model: ClassVar[type[StageResult]]
    # The mapped class whose rows are its queue, their id column, their order and item label.
    entity: ClassVar[type[Base]]
    id_column: ClassVar[InstrumentedAttribute[int]]
    queue_order: ClassVar[Sequence[Ordering]]
    label_column: ClassVar[InstrumentedAttribute[str]]
    ratio: ClassVar[Ratio | None] = None
    # Stage 1 sends a whole batch in one AI call; the others one item per unit.
    whole_batch_per_unit: ClassVar[bool] = False
    # Whether several units may be in the AI's hands at once (each still commits on its own).
    parallel: ClassVar[bool] = False
    # Where the stage's input goes on when the stage is switched off (stage 5: to publishing).
    skipped_passes_to: ClassVar[int | None] = None

    def __init__(self, context: StageContext) -> None:
        self.ctx = context

    # ----- the queue (no run needed) -----

    @classmethod
    @abstractmethod
    def pending_filter(cls, site_id: int, config: AutomationConfig) -> ColumnElement[bool]:
        """The WHERE clause of the stage's queue for a site with this config."""

    @classmethod
    def queue(cls, site_id: int, config: AutomationConfig, *columns: Any) -> Select[Any]:
        """`columns` of the queue's items, in the order the stage takes them."""
        return (
            select(*columns).where(cls.pending_filter(site_id, config)).order_by(*cls.queue_order)
        )

    @classmethod
    def queue_labels(
        cls, session: Session, site_id: int, config: AutomationConfig, limit: int
    ) -> list[str]:
        """Labels of the first `limit` items of the queue."""
        return list(session.scalars(cls.queue(site_id, config, cls.label_column).limit(limit)))

    @classmethod
    def made_text(cls, result: StageResult) -> str:
        """What the stage made, in a card's words: `150 → 12 clusters`."""
        counters = {
            name: f"{value:,}" if isinstance(value, int) else value
            for name, value in result.model_dump().items()
        }
        return cls.card_made.format(**counters)

    @classmethod
    def batch_size(cls, config: AutomationConfig) -> int:
        size: int = getattr(config, f"stage_{cls.number}_batch_size")
        return size

    @classmethod
    def batches_planned(cls, config: AutomationConfig, batches_run: int, pending: int) -> int:
        """The stage's batch count once batch `batches_run` starts with `pending` items left
        (those of that batch included): what its log line, the processing card and
        `igny8 processing` all say."""
        batch_size = cls.batch_size(config)
        return max(batches_run, 1) - 1 + max(math.ceil(pending / batch_size), 1)

    @classmethod
    def switched_off(cls, config: AutomationConfig) -> bool:
        return bool(getattr(config, f"skip_stage_{cls.number}"))

    # ----- forecasts (no run needed) -----

    @classmethod
    def downstream(cls, remaining: float, ratios: PipelineRatios) -> dict[int, float]:
        """Items that `remaining` unprocessed inputs will add to later stages."""
        return {}

    @classmethod
    def estimate_milli(
        cls, items: int, ratios: PipelineRatios, costs: Costs, config: AutomationConfig
    ) -> int:
        """What processing `items` inputs is forecast to cost, in milli-credits."""
        return 0

    # ----- executing a run -----

    def skip_reason(self, pending: int) -> str | None:
        """Why the stage has nothing to do, or None."""
        if pending == 0:
            return f"no {self.noun} to process"
        return None

    def pending_units(self, *columns: Any, exclude: frozenset[int] = frozenset()) -> Select[Any]:
        """The queue of this run's site, without the items already in hand."""
        # Through the class: a mapped column read from an instance is a descriptor lookup.
        cls = type(self)
        query = cls.queue(self.ctx.site_id, self.ctx.config, *columns)
        return query.where(cls.id_column.not_in(exclude)) if exclude else query

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
