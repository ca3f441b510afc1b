"""Stage 2, Clusters → Ideas: an AI call per cluster, charged per idea created."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from igny8_tui.ai.outputs import ClusterInput, IdeasResult, KeywordInput
from igny8_tui.automation.credits import Costs
from igny8_tui.automation.stages.base import Applied, PipelineRatios, Ratio, Stage, Unit
from igny8_tui.db.models import AutomationConfig, Cluster, ContentIdea, Keyword
from igny8_tui.schemas import StageResult


class Stage2Result(StageResult):
    PROCESSED_FIELD: ClassVar[str] = "clusters_processed"
    MADE: ClassVar[tuple[tuple[str, str], ...]] = (("ideas_created", "ideas"),)
    clusters_processed: int = 0
    ideas_created: int = 0


class IdeasStage(Stage):
    number = 2
    name = "Clusters → Ideas"
    short_name = "Ideas"
    card_name = "Clusters→Ideas"
    card_made = "{clusters_processed} → {ideas_created} ideas"
    noun = "clusters"
    result_model = Stage2Result
    entity = Cluster
    id_column = Cluster.id
    queue_order = (Cluster.id,)
    label_column = Cluster.name
    ratio = Ratio(
        "ideas_per_cluster",
        "ideas_created",
        "clusters_processed",
        lambda settings, _pending: float(settings.ideas_per_cluster),
    )
    parallel = True

    @classmethod
    def pending_filter(cls, site_id: int, config: AutomationConfig) -> ColumnElement[bool]:
        return and_(Cluster.site_id == site_id, Cluster.status == "new")

    @classmethod
    def downstream(cls, remaining: float, ratios: PipelineRatios) -> dict[int, float]:
        return {3: remaining * ratios.of(cls.number)}

    @classmethod
    def estimate_milli(
        cls, items: int, ratios: PipelineRatios, costs: Costs, config: AutomationConfig
    ) -> int:
        return costs.ideas(round(items * ratios.of(cls.number)))

    def next_unit(
        self, session: Session, batch_room: int, exclude: frozenset[int] = frozenset()
    ) -> Unit | None:
        cluster: Cluster | None = session.scalars(
            self.pending_units(Cluster, exclude=exclude).limit(1)
        ).first()
        if cluster is None:
            return None
        keywords = session.scalars(
            select(Keyword)
            .where(Keyword.cluster_id == cluster.id)
            .order_by(Keyword.volume.desc(), Keyword.text_norm)
        ).all()
        payload = ClusterInput(
            id=cluster.id,
            name=cluster.name,
            description=cluster.description,
            site_name=self.ctx.site_name,
            keywords=[KeywordInput.model_validate(k, from_attributes=True) for k in keywords],
        )
        count = self.ctx.settings.ideas_per_cluster
        return Unit(
            key=f"cluster:{cluster.id}",
            item_id=cluster.id,
            label=cluster.name,
            item_count=1,
            cost_milli=self.ctx.costs.ideas(count),
            payload=payload,
        )

    def call(self, unit: Unit) -> IdeasResult:
        return self.ctx.provider.ideas_for_cluster(
            unit.payload, self.ctx.settings.ideas_per_cluster
        )

    def apply(self, session: Session, unit: Unit, output: Any) -> Applied | None:
        result: IdeasResult = output
        cluster = session.get(Cluster, unit.payload.id)
        if cluster is None or cluster.status != "new":
            return None
        for idea in result.ideas:
            session.add(
                ContentIdea(
                    site_id=self.ctx.site_id,
                    cluster_id=cluster.id,
                    title=idea.title,
                    description=idea.description,
                    outline=list(idea.outline),
                    content_type=idea.content_type,
                    content_structure=idea.content_structure,
                    target_keywords=list(idea.target_keywords),
                    target_word_count=idea.target_word_count,
                )
            )
        cluster.status = "mapped"
        return Applied(
            counters={"clusters_processed": 1, "ideas_created": len(result.ideas)},
            charge_milli=self.ctx.costs.billed(
                "ideas", self.ctx.costs.ideas(len(result.ideas)), result.usage
            ),
            message=f"{cluster.name!r} · {len(result.ideas)} ideas",
        )

    def fail(self, session: Session, unit: Unit, reason: str) -> Applied:
        cluster = session.get(Cluster, unit.payload.id)
        if cluster is not None:
            cluster.status = "failed"
        return Applied(
            counters={"clusters_processed": 1},
            message=f"ideas failed for {unit.label!r}: {reason}",
            failed=True,
        )
