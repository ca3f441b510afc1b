"""Stage 2, Clusters → Ideas: an AI call per cluster, charged per idea created."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from igny8_tui.ai.outputs import ClusterInput, IdeasResult, KeywordInput
from igny8_tui.automation.stages.base import Applied, Stage, Unit
from igny8_tui.db.models import Cluster, ContentIdea, Keyword


class IdeasStage(Stage):
    number = 2
    noun = "clusters"
    parallel = True
    processed_field = "clusters_processed"

    def next_unit(
        self, session: Session, batch_room: int, exclude: frozenset[int] = frozenset()
    ) -> Unit | None:
        cluster = session.scalars(
            select(Cluster)
            .where(Cluster.site_id == self.ctx.site_id, Cluster.status == "new")
            .where(Cluster.id.not_in(exclude))
            .order_by(Cluster.id)
            .limit(1)
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
            keywords=[
                KeywordInput(
                    id=k.id, text=k.text, volume=k.volume, difficulty=k.difficulty, intent=k.intent
                )
                for k in keywords
            ],
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
