"""Benchmark: N keywords (default 10,000) through all seven stages with the offline provider.

Prints items per second for each stage and the process's peak memory. No delays, one host.
Run: python benchmarks/pipeline.py [--keywords 10000] [--home DIR]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

from igny8_tui.runtime import RunOutcome, Runtime, stage_class
from igny8_tui.schemas import ConfigUpdate

SUBJECTS = """tomato pepper basil lettuce carrot onion garlic potato cucumber squash zucchini
strawberry blueberry raspberry apple pear plum cherry peach fig lemon orchid fern succulent cactus
rose tulip dahlia lavender hydrangea lawn hedge compost mulch soil greenhouse seedling trellis
pond irrigation sprinkler shed fence patio deck pergola birdhouse beehive chicken worm fungus
aphid slug mildew blight weed moss clover bamboo ivy maple oak pine birch willow magnolia""".split()
ASPECTS = """watering pruning fertilizer planting harvesting spacing pests diseases varieties
container indoor winter summer soil-ph seeds propagation repotting sunlight drainage""".split()
MODIFIERS = ["", "best", "how to", "guide", "for beginners", "tips", "vs", "cost", "when to", "diy"]


def keyword_csv(path: Path, count: int) -> None:
    rng = random.Random(8)
    seen: set[str] = set()
    rows = ["keyword,volume,difficulty,intent"]
    while len(seen) < count:
        subject, aspect = rng.choice(SUBJECTS), rng.choice(ASPECTS).replace("-", " ")
        modifier = rng.choice(MODIFIERS)
        text = " ".join(p for p in (modifier, subject, aspect, str(rng.randint(1, 40))) if p)
        if text in seen:
            continue
        seen.add(text)
        intent = "commercial" if modifier in ("best", "vs", "cost") else "informational"
        rows.append(f"{text},{rng.randint(10, 20000)},{rng.randint(1, 90)},{intent}")
    path.write_text("\n".join(rows) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keywords", type=int, default=10_000)
    parser.add_argument("--home", type=Path)
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="igny8-bench-"))
    runtime = Runtime.load(home, None, actor="benchmark")
    site = runtime.workspace.add_site("bench")
    csv = home / "keywords.csv"
    keyword_csv(csv, args.keywords)
    runtime.workspace.import_keywords(site.id, csv)
    runtime.workspace.add_credits(10_000_000)
    runtime.service.update_config(
        site.id, ConfigUpdate(within_stage_delay=0, between_stage_delay=0)
    )
    run_id = runtime.service.run_now(site.id).run_id
    started = time.perf_counter()
    outcome = runtime.executor(run_id, threading.Event()).execute()
    wall = time.perf_counter() - started
    if outcome is not RunOutcome.COMPLETED:
        sys.exit(f"run ended {outcome.value}")
    progress = runtime.service.run_progress(site.id, run_id)
    assert progress is not None
    print(f"{args.keywords:,} keywords through 7 stages in {wall:.1f} s (home {home})")
    print(f"{'stage':<28}{'items':>9}{'seconds':>10}{'items/s':>10}")
    for stage in progress.stages:
        rate = stage.processed_count / stage.time_elapsed if stage.time_elapsed else 0.0
        name = f"{stage.number} {stage_class(stage.number).name}"
        print(f"{name:<28}{stage.processed_count:>9,}{stage.time_elapsed:>10.1f}{rate:>10.1f}")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
