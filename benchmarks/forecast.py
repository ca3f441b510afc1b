"""Benchmark: how far the credit forecast is from what a run then uses, on keyword sets the
forecast was not tuned on (benchmarks/keywords/kitchen.csv and travel.csv).

For each set, on a fresh data directory: the estimate before the run (the offline clusterer's
dry run, as the local provider uses, and the default model, as a remote AI would get), the run
itself with the offline provider, and the re-forecast the run made after stage 1.
Run: python benchmarks/forecast.py
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

from sqlalchemy import select

from igny8_tui.automation.forecast import stage_estimates
from igny8_tui.automation.stages.base import PipelineRatios
from igny8_tui.automation.stages.clustering import Stage1Result, default_clusters_per_keyword
from igny8_tui.automation.stages.registry import pending_counts
from igny8_tui.constants import ESTIMATE_BUFFER_MULTIPLIER
from igny8_tui.db.models import AutomationConfig, AutomationRun
from igny8_tui.runtime import RunOutcome, Runtime
from igny8_tui.schemas import ConfigUpdate

KEYWORD_SETS = Path(__file__).parent / "keywords"
SETS = ("kitchen.csv", "travel.csv")


def _model_estimate(runtime: Runtime, site_id: int) -> float:
    """The estimate with stage 1 forecast by the default model, as a remote AI gets it."""
    with runtime.db.read() as session:
        config = session.scalars(
            select(AutomationConfig).where(AutomationConfig.site_id == site_id)
        ).one()
        keywords = pending_counts(session, site_id, config)[1]
        settings = runtime.settings
        ratios = PipelineRatios(
            by_stage={
                1: default_clusters_per_keyword(keywords),
                2: float(settings.ideas_per_cluster),
                4: float(settings.target_word_count),
                5: float(settings.image_prompts_per_content),
            },
            min_keywords=settings.min_keywords_to_cluster,
            basis="defaults",
        )
        stages = stage_estimates(session, site_id, config, ratios, runtime.service.costs)
        return sum(s.credits for s in stages)


def _error(forecast: float, actual: float) -> str:
    return f"{(forecast - actual) / actual * 100:+.1f}%"


def measure(csv: Path) -> None:
    home = Path(tempfile.mkdtemp(prefix="igny8-forecast-"))
    runtime = Runtime.load(home, None, actor="benchmark")
    site = runtime.workspace.add_site(csv.stem)
    runtime.workspace.import_keywords(site.id, csv)
    runtime.workspace.add_credits(1_000_000)
    runtime.service.update_config(
        site.id, ConfigUpdate(within_stage_delay=0, between_stage_delay=0)
    )
    before = runtime.service.estimate(site.id)
    model = _model_estimate(runtime, site.id)
    run_id = runtime.service.run_now(site.id).run_id
    assert runtime.executor(run_id, threading.Event()).execute() is RunOutcome.COMPLETED
    with runtime.db.read() as session:
        run = session.get(AutomationRun, run_id)
        assert run is not None
        used = run.total_credits_used_milli / 1000
        stage_1 = Stage1Result.model_validate(run.stage_1_result)
    assert stage_1.reforecast is not None
    after = stage_1.credits_used + stage_1.reforecast.rest_credits
    print(
        f"{csv.name}: {stage_1.keywords_processed} keywords → {stage_1.clusters_created} clusters"
        f" · used {used:g} credits\n"
        f"  before the run ({before.clusters_basis}): {before.total_credits:g}"
        f" ({_error(before.total_credits, used)}; x{ESTIMATE_BUFFER_MULTIPLIER} ="
        f" {before.required_credits:g})\n"
        f"  before the run (model, as for a remote AI): {model:g} ({_error(model, used)})\n"
        f"  after stage 1: {after:g} ({_error(after, used)})"
    )


def main() -> None:
    for name in SETS:
        measure(KEYWORD_SETS / name)


if __name__ == "__main__":
    main()
