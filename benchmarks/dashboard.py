"""Benchmark: the dashboard's time from process start to first full frame, and how far its
event loop lags while it hosts a run going as fast as the offline provider allows.

Run: python benchmarks/dashboard.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from igny8_tui.runtime import Runtime
from igny8_tui.tui.app import Igny8App

DEMO = Path(__file__).resolve().parents[1] / "igny8_tui" / "data" / "demo_keywords.csv"
LAG_TICK_S = 0.05

# The child: start the dashboard headless and print the wall-clock time of its first full frame
# (the first database read applied to every widget), then exit.
FIRST_FRAME = """
import sys, time
from pathlib import Path
from igny8_tui.runtime import Runtime
from igny8_tui.tui.app import Igny8App

class FirstFrame(Igny8App):
    def on_dashboard_refreshed(self, message):
        super().on_dashboard_refreshed(message)
        self.call_after_refresh(self.done)

    def done(self):
        print(time.time(), flush=True)
        self.exit()

FirstFrame(Runtime.load(Path(sys.argv[1]), None, "bench"), host=False).run(
    headless=True, size=(120, 40)
)
"""


def prepare(home: Path) -> Runtime:
    runtime = Runtime.load(home, None, "bench")
    site = runtime.workspace.add_site("bench")
    runtime.workspace.import_keywords(site.id, DEMO)
    runtime.workspace.add_credits(100_000)
    return runtime


def first_frame_seconds(home: Path) -> float:
    started = time.time()
    out = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME, str(home)], capture_output=True, text=True, check=True
    ).stdout
    return float(out.strip().splitlines()[-1]) - started


async def loop_lag(home: Path) -> tuple[list[float], float]:
    """Tick every 50 ms while the dashboard hosts a full run; return each tick's lateness."""
    runtime = Runtime.load(home, None, "bench")
    app = Igny8App(runtime)
    lateness: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        last = time.perf_counter()

        def tick() -> None:
            nonlocal last
            now = time.perf_counter()
            lateness.append(max(now - last - LAG_TICK_S, 0.0))
            last = now

        app.set_interval(LAG_TICK_S, tick)
        started = time.perf_counter()
        await pilot.press("r")
        while app.data is None or app.data.run is None or app.data.run.status != "completed":
            await pilot.pause(0.1)
        elapsed = time.perf_counter() - started
    return lateness, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    frames, lags, p95s = [], [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            prepare(home).db.dispose()
            frames.append(first_frame_seconds(home))
            lateness, elapsed = asyncio.run(loop_lag(home))
            lags.append(statistics.median(lateness))
            p95s.append(sorted(lateness)[int(len(lateness) * 0.95)])
            print(
                f"run: first frame {frames[-1]:.2f} s · 486-item run hosted in {elapsed:.1f} s"
                f" · loop lag median {lags[-1] * 1000:.1f} ms, p95 {p95s[-1] * 1000:.1f} ms,"
                f" max {max(lateness) * 1000:.0f} ms"
            )
    print(
        f"median of {args.runs}: first full frame {statistics.median(frames):.2f} s · "
        f"event-loop lag median {statistics.median(lags) * 1000:.1f} ms, "
        f"p95 {statistics.median(p95s) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
