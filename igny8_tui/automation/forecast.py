"""Forecasts: how many items each stage will see and what they cost, from pending counts, the
site's recent runs (or defaults before any), and, after stage 1, what the rest of a run needs."""

from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.orm import Session

from igny8_tui.automation import credits
from igny8_tui.automation.stages.base import PipelineRatios
from igny8_tui.automation.stages.clustering import ClusteringStage
from igny8_tui.automation.stages.registry import STAGE_NUMBERS, STAGES, pending_counts, skips
from igny8_tui.constants import ESTIMATE_BUFFER_MULTIPLIER
from igny8_tui.db.models import Account, AutomationConfig, AutomationRun
from igny8_tui.schemas import ClustersBasis, Reforecast, StageEstimate
from igny8_tui.settings import Settings

HISTORY_RUNS = 20
# Each run back in the site's history counts this much less than the one after it, so the
# latest runs lead and one odd run cannot swing a forecast on its own.
HISTORY_DECAY = 0.7
# The offline clusterer dry-runs a queue this long at most (a few hundred ms); past it, and for
# a remote AI, the stage-1 forecast comes from history or the model.
DRY_RUN_KEYWORDS_MAX = 2000


def ratios_for_site(
    session: Session, site_id: int, settings: Settings, config: AutomationConfig
) -> PipelineRatios:
    """Each stage's ratio as observed in the site's recent runs (the latest weigh most), else
    its default for the queue it has; stage 1's from a dry run where the clusterer is local."""
    runs = session.scalars(
        select(AutomationRun)
        .where(AutomationRun.site_id == site_id)
        .order_by(AutomationRun.id.desc())
        .limit(HISTORY_RUNS)
    ).all()
    pending = pending_counts(session, site_id, config)
    defaults: dict[int, float] = {}
    observed: dict[int, float] = {}
    for stage in STAGES:
        if stage.ratio is None:
            continue
        defaults[stage.number] = stage.ratio.default(settings, pending[stage.number])
        numerator = denominator = 0.0
        for age, run in enumerate(runs):
            data = run.stage_result(stage.number) or {}
            weight = HISTORY_DECAY**age
            numerator += weight * int(data.get(stage.ratio.numerator, 0))
            denominator += weight * int(data.get(stage.ratio.denominator, 0))
        if numerator > 0 and denominator > 0:
            observed[stage.number] = numerator / denominator
    by_stage = defaults | observed
    clusters_basis: ClustersBasis = "history" if ClusteringStage.number in observed else "model"
    dry_run = _dry_run_ratio(session, site_id, settings, config, pending[ClusteringStage.number])
    if dry_run is not None:
        by_stage[ClusteringStage.number] = dry_run
        clusters_basis = "dry run"
    return PipelineRatios(
        by_stage=by_stage,
        min_keywords=settings.min_keywords_to_cluster,
        basis="history" if observed else "defaults",
        clusters_basis=clusters_basis,
    )


def _dry_run_ratio(
    session: Session, site_id: int, settings: Settings, config: AutomationConfig, keywords: int
) -> float | None:
    """New clusters per pending keyword, by running the offline clusterer on the queue: it is
    what stage 1 will run, so its count is exact. None for a remote AI or a long queue."""
    if settings.ai_provider != "local" or not 0 < keywords <= DRY_RUN_KEYWORDS_MAX:
        return None
    return ClusteringStage.dry_run_clusters(session, site_id, config) / keywords


def forecast_inputs(
    pending: dict[int, int], ratios: PipelineRatios, skips: dict[int, bool]
) -> dict[int, int]:
    """Expected input of each stage for a run starting now; a switched-off stage passes
    nothing on, except where it says its input goes on (stage 5: straight to publishing)."""
    arriving = dict.fromkeys(STAGE_NUMBERS, 0.0)
    inputs: dict[int, int] = {}
    for stage in STAGES:
        n = stage.number
        expected = pending[n] + arriving[n]
        inputs[n] = math.ceil(expected - 1e-9)
        if skips[n]:
            if stage.skipped_passes_to is not None:
                arriving[stage.skipped_passes_to] += arriving[n]
            continue
        for target, amount in stage.downstream(expected, ratios).items():
            arriving[target] += amount
    return inputs


def stage_estimates(
    session: Session,
    site_id: int,
    config: AutomationConfig,
    ratios: PipelineRatios,
    costs: credits.Costs,
) -> list[StageEstimate]:
    """What each stage of a run starting now is forecast to take in and cost."""
    switched_off = skips(config)
    inputs = forecast_inputs(pending_counts(session, site_id, config), ratios, switched_off)
    estimates = []
    for stage in STAGES:
        n = stage.number
        items = 0 if switched_off[n] else inputs[n]
        milli = stage.estimate_milli(items, ratios, costs, config) if items else 0
        estimates.append(
            StageEstimate(number=n, name=stage.name, items=items, credits=credits.from_milli(milli))
        )
    return estimates


def balance_of(session: Session, account_id: int) -> float:
    milli = session.scalar(select(Account.balance_milli).where(Account.id == account_id))
    return credits.from_milli(milli or 0)


def reforecast_rest(
    session: Session,
    site_id: int,
    account_id: int,
    config: AutomationConfig,
    settings: Settings,
    costs: credits.Costs,
) -> Reforecast:
    """What stages 2-7 need, from the real counts stage 1 left, against the balance; with a
    warning (and the stage it would pause at) when the balance will not cover it."""
    ratios = ratios_for_site(session, site_id, settings, config)
    rest = [s for s in stage_estimates(session, site_id, config, ratios, costs) if s.number > 1]
    needed = round(sum(s.credits for s in rest), 3)
    required = round(needed * ESTIMATE_BUFFER_MULTIPLIER, 3)
    balance = balance_of(session, account_id)
    pause_stage = None
    spent = 0.0
    for estimate in rest:
        spent += estimate.credits
        if spent > balance + 1e-9:
            pause_stage = estimate.number
            break
    warning = None
    if balance < required:
        where = (
            f"the run will pause at stage {pause_stage}"
            if pause_stage is not None
            else "the run may pause before it ends"
        )
        warning = (
            f"after stage 1: the rest needs ~{needed:g} credits (x{ESTIMATE_BUFFER_MULTIPLIER}"
            f" = {required:g}) and the balance is {balance:g}; add credits now or {where}"
        )
    return Reforecast(
        rest_credits=needed,
        required_credits=required,
        balance=balance,
        pause_stage=pause_stage,
        warning=warning,
    )


def next_run_shortfall(
    session: Session,
    site_id: int,
    account_id: int,
    config: AutomationConfig,
    settings: Settings,
    costs: credits.Costs,
) -> tuple[float, float] | None:
    """(balance, required) when the site has work pending and the balance is below the next
    run's estimate (with its buffer), as a run just ended leaves them; else None."""
    pending = pending_counts(session, site_id, config)
    switched_off = skips(config)
    if not any(n for number, n in pending.items() if not switched_off[number]):
        return None
    ratios = ratios_for_site(session, site_id, settings, config)
    total = sum(s.credits for s in stage_estimates(session, site_id, config, ratios, costs))
    required = round(total * ESTIMATE_BUFFER_MULTIPLIER, 3)
    balance = balance_of(session, account_id)
    return (balance, required) if balance < required else None
