"""Stage 1, Keywords → Clusters: one AI call per batch of keywords, 15 credits a batch."""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.orm import Session

from igny8_tui.ai.clustering import count_new_clusters
from igny8_tui.ai.outputs import ClusteringResult, ExistingCluster, KeywordInput
from igny8_tui.automation.credits import Costs
from igny8_tui.automation.stages.base import (
    Applied,
    PipelineRatios,
    Ratio,
    Stage,
    StageContext,
    Unit,
)
from igny8_tui.db.models import AutomationConfig, Cluster, Keyword
from igny8_tui.keyword_identity import normalise_keyword
from igny8_tui.schemas import Reforecast, StageResult

# A keyword the model leaves out (or paraphrases past recognition) is offered this many times
# in a run, then left unclustered for a later run.
MAX_ATTEMPTS_PER_RUN = 2
SHOWN_LEFT_OUT = 5


def _batch_key(keyword_ids: list[int], attempt: int) -> str:
    """The ledger key of one call: the batch and which try it is, so no two calls share one."""
    digest = hashlib.sha1(",".join(map(str, sorted(keyword_ids))).encode()).hexdigest()[:16]
    return f"keywords:{digest}:{attempt}"


# The default model of a cluster's mean size for a queue of n keywords, before a site has any
# history: CLUSTER_SIZE_SCALE * n ** CLUSTER_SIZE_EXPONENT, fitted (least squares, log-log) on
# the offline clusterer's output for our own tuning sets (benchmarks/keywords/tuning/, 10-120
# keywords), then kept within what an AI tends to make: clusters of 3 to 12 keywords. Larger
# queues hold more keywords per topic, so clusters grow with n, slowly.
CLUSTER_SIZE_SCALE = 1.12
CLUSTER_SIZE_EXPONENT = 0.19
MIN_MEAN_CLUSTER_SIZE = 3.0
MAX_MEAN_CLUSTER_SIZE = 12.0


def default_clusters_per_keyword(keywords: int) -> float:
    """New clusters per keyword the model expects from a queue of `keywords`."""
    size = CLUSTER_SIZE_SCALE * math.pow(max(keywords, 1), CLUSTER_SIZE_EXPONENT)
    return 1.0 / min(max(size, MIN_MEAN_CLUSTER_SIZE), MAX_MEAN_CLUSTER_SIZE)


def existing_clusters(session: Session, site_id: int) -> list[ExistingCluster]:
    """The site's clusters with their keywords, which a batch may join."""
    rows = session.execute(
        select(Cluster.id, Cluster.name, Keyword.text)
        .join(Keyword, Keyword.cluster_id == Cluster.id)
        .where(Cluster.site_id == site_id)
        .order_by(Cluster.id, Keyword.id)
    ).all()
    clusters: dict[int, ExistingCluster] = {}
    for cluster_id, name, text in rows:
        if cluster_id not in clusters:
            clusters[cluster_id] = ExistingCluster(id=cluster_id, name=name, keywords=[])
        clusters[cluster_id].keywords.append(text)
    return list(clusters.values())


class Stage1Result(StageResult):
    PROCESSED_FIELD: ClassVar[str] = "keywords_processed"
    MADE: ClassVar[tuple[tuple[str, str], ...]] = (("clusters_created", "clusters"),)
    keywords_processed: int = 0
    clusters_created: int = 0
    # The forecast of the rest of the run from the real clusters, made once the stage is done.
    reforecast: Reforecast | None = None


class ClusteringStage(Stage):
    number = 1
    name = "Keywords → Clusters"
    short_name = "Clustering"
    card_name = "Keywords→Clusters"
    card_made = "{keywords_processed} → {clusters_created} clusters"
    noun = "keywords"
    result_model = Stage1Result
    entity = Keyword
    id_column = Keyword.id
    # Canonical order (volume, then text) so the file's row order cannot change the result.
    queue_order = (Keyword.volume.desc(), Keyword.text_norm)
    label_column = Keyword.text
    ratio = Ratio(
        "clusters_per_keyword",
        "clusters_created",
        "keywords_processed",
        lambda settings, pending: default_clusters_per_keyword(pending),
    )
    whole_batch_per_unit = True

    @classmethod
    def pending_filter(cls, site_id: int, config: AutomationConfig) -> ColumnElement[bool]:
        return and_(Keyword.site_id == site_id, Keyword.status == "new")

    @classmethod
    def downstream(cls, remaining: float, ratios: PipelineRatios) -> dict[int, float]:
        if remaining < ratios.min_keywords:
            return {2: 0.0}
        return {2: remaining * ratios.of(cls.number)}

    @classmethod
    def estimate_milli(
        cls, items: int, ratios: PipelineRatios, costs: Costs, config: AutomationConfig
    ) -> int:
        if items < ratios.min_keywords:
            return 0
        return math.ceil(items / cls.batch_size(config)) * costs.clustering_batch

    @classmethod
    def dry_run_clusters(cls, session: Session, site_id: int, config: AutomationConfig) -> int:
        """New clusters the offline clusterer makes from the site's queue, batch by batch as a
        run sends it (a forecast for the local provider only)."""
        queue = session.scalars(cls.queue(site_id, config, Keyword)).all()
        keywords = [KeywordInput.model_validate(k, from_attributes=True) for k in queue]
        return count_new_clusters(
            keywords, existing_clusters(session, site_id), cls.batch_size(config)
        )

    def __init__(self, context: StageContext) -> None:
        super().__init__(context)
        # Calls each keyword was offered in during this run.
        self._attempts: Counter[int] = Counter()

    def skip_reason(self, pending: int) -> str | None:
        minimum = self.ctx.settings.min_keywords_to_cluster
        if pending < minimum:
            return f"at least {minimum} keywords are needed to cluster ({pending} pending)"
        return None

    def next_unit(
        self, session: Session, batch_room: int, exclude: frozenset[int] = frozenset()
    ) -> Unit | None:
        query = self.pending_units(Keyword)
        given_up = [k for k, n in self._attempts.items() if n >= MAX_ATTEMPTS_PER_RUN]
        if given_up:
            query = query.where(Keyword.id.not_in(given_up))
        keywords = session.scalars(query.limit(batch_room)).all()
        if not keywords:
            return None
        batch = [KeywordInput.model_validate(k, from_attributes=True) for k in keywords]
        existing = existing_clusters(session, self.ctx.site_id)
        first = keywords[0].text
        attempt = 1 + max(self._attempts[k.id] for k in keywords)
        return Unit(
            key=_batch_key([k.id for k in keywords], attempt),
            item_id=keywords[0].id,
            label=f"{len(keywords)} keywords from {first!r}",
            item_count=len(keywords),
            cost_milli=self.ctx.costs.clustering_batch,
            payload=(batch, existing),
        )

    def call(self, unit: Unit) -> ClusteringResult:
        batch, existing = unit.payload
        return self.ctx.provider.cluster_keywords(batch, existing)

    def apply(self, session: Session, unit: Unit, output: Any) -> Applied | None:
        result: ClusteringResult = output
        batch: list[KeywordInput] = unit.payload[0]
        offered = {cluster.id for cluster in unit.payload[1]}
        self._attempts.update(k.id for k in batch)
        by_key = {normalise_keyword(k.text): k.id for k in batch}
        still_new = set(
            session.scalars(
                select(Keyword.id).where(Keyword.id.in_(by_key.values()), Keyword.status == "new")
            )
        )
        if not still_new:
            return None
        created = mapped = 0
        for draft in result.clusters:
            ids = [by_key[key] for t in draft.keywords if (key := normalise_keyword(t)) in by_key]
            ids = list(dict.fromkeys(i for i in ids if i in still_new))
            if not ids:
                continue
            # Only a cluster that was offered may be joined; any other id starts a new one.
            cluster_id = draft.existing_cluster_id
            if cluster_id not in offered:
                cluster_id = self._new_cluster(session, draft.name, draft.description)
                created += 1
            session.execute(
                update(Keyword)
                .where(Keyword.id.in_(ids))
                .values(status="mapped", cluster_id=cluster_id)
            )
            still_new.difference_update(ids)
            mapped += len(ids)
        left_out = [
            k for k in batch if k.id in still_new and self._attempts[k.id] >= MAX_ATTEMPTS_PER_RUN
        ]
        message = f"clustered {mapped} keywords · {created} new clusters"
        if left_out:
            shown = ", ".join(repr(k.text) for k in left_out[:SHOWN_LEFT_OUT])
            more = (
                f" and {len(left_out) - SHOWN_LEFT_OUT} more"
                if len(left_out) > SHOWN_LEFT_OUT
                else ""
            )
            message += (
                f" · {len(left_out)} left unclustered after {MAX_ATTEMPTS_PER_RUN} tries"
                f" (the reply did not name them): {shown}{more}"
            )
        # A reply none of whose keywords could be used was discarded: it is not charged.
        charge = (
            self.ctx.costs.billed("clustering", self.ctx.costs.clustering_batch, result.usage)
            if mapped
            else 0
        )
        return Applied(
            counters={"keywords_processed": mapped + len(left_out), "clusters_created": created},
            charge_milli=charge,
            message=message,
        )

    def _new_cluster(self, session: Session, name: str, description: str) -> int:
        cluster = Cluster(
            site_id=self.ctx.site_id, name=name, description=description, run_id=self.ctx.run_id
        )
        session.add(cluster)
        session.flush()
        return cluster.id

    def fail(self, session: Session, unit: Unit, reason: str) -> Applied:
        # The keywords stay new for a later run; this run does not pick them again.
        for keyword in unit.payload[0]:
            self._attempts[keyword.id] = MAX_ATTEMPTS_PER_RUN
        return Applied(
            counters={"keywords_processed": unit.item_count},
            message=f"clustering failed for {unit.item_count} keywords: {reason}",
            failed=True,
        )
