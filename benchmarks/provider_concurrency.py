"""Benchmark: stage 4 (articles) against the test OpenAI-compatible server answering each request
after 200 ms, at concurrency 1, 4 and 16, next to the ideal concurrency / 0.2 s.

Run: python benchmarks/provider_concurrency.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from igny8_tui.runtime import RunOutcome, Runtime  # noqa: E402
from igny8_tui.schemas import ConfigUpdate  # noqa: E402

DEMO = ROOT / "igny8_tui" / "data" / "demo_keywords.csv"
REPLY_DELAY_S = 0.2
IDEAS_PER_CLUSTER = 8  # 12 clusters -> 96 articles


# The server runs in its own process, so its work does not share this process's GIL.
SERVER = f"""
import sys, time
sys.path.insert(0, {str(ROOT)!r})
from tests.openai_server import FakeOpenAIServer
with FakeOpenAIServer(latency_s={REPLY_DELAY_S}) as server:
    print(server.base_url, flush=True)
    sys.stdin.read()
"""


def stage_4_rate(concurrency: int) -> float:
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        return _measure(server.stdout.readline().strip(), concurrency)
    finally:
        server.kill()
        server.wait()


def _measure(base_url: str, concurrency: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(
            IGNY8_AI_PROVIDER="openai",
            IGNY8_AI_BASE_URL=base_url,
            IGNY8_AI_API_KEY="sk-bench",
            IGNY8_AI_CONCURRENCY=str(concurrency),
            IGNY8_IDEAS_PER_CLUSTER=str(IDEAS_PER_CLUSTER),
        )
        runtime = Runtime.load(Path(tmp), None, "bench")
        site = runtime.workspace.add_site("bench")
        runtime.workspace.import_keywords(site.id, DEMO)
        runtime.workspace.add_credits(1_000_000)
        skips = ConfigUpdate(
            stage_4_batch_size=1000, skip_stage_5=True, skip_stage_6=True, skip_stage_7=True
        )
        runtime.service.update_config(site.id, skips)
        run_id = runtime.service.run_now(site.id).run_id
        assert runtime.executor(run_id, threading.Event()).execute() is RunOutcome.COMPLETED
        progress = runtime.service.run_progress(site.id, run_id)
        assert progress is not None
        stage_4 = progress.stages[3]
        return stage_4.processed_count / stage_4.time_elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{'concurrency':>11} {'items/s (median)':>17} {'ideal':>7} {'of ideal':>9}")
    for concurrency in (1, 4, 16):
        rate = statistics.median(stage_4_rate(concurrency) for _ in range(args.runs))
        ideal = concurrency / REPLY_DELAY_S
        print(f"{concurrency:>11} {rate:>17.1f} {ideal:>7.1f} {rate / ideal:>8.0%}")


if __name__ == "__main__":
    main()
