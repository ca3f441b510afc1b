"""Regenerate screenshots/*.svg: the dashboard in its main states, from fixed data and clock.

Run: python scripts/screenshots.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.dashboard_states import build_app  # noqa: E402

SHOTS = [
    ("idle", "idle", (120, 40), ()),
    ("running-stage-4", "running_in_stage_4", (120, 40), ()),
    ("paused", "paused_in_stage_4", (120, 40), ()),
    ("completed", "completed", (120, 40), ()),
    ("failed", "failed", (120, 40), ()),
    ("narrow-80x24", "running_in_stage_4", (80, 24), ()),
    ("history", "completed", (120, 40), ("h",)),
    ("run-detail", "completed", (120, 40), ("h", "enter")),
    ("config", "idle", (120, 40), ("e",)),
    ("estimate", "idle", (120, 40), ("dollar_sign",)),
    ("help", "idle", (120, 40), ("question_mark",)),
]


async def shoot(name: str, state: str, size: tuple[int, int], keys: tuple[str, ...]) -> None:
    with tempfile.TemporaryDirectory() as home:
        app = build_app(Path(home) / "home", state)
        async with app.run_test(size=size) as pilot:
            while app.data is None:
                await pilot.pause(0.02)
            for key in keys:
                await pilot.press(key)
                await pilot.pause(0.05)
            await pilot.pause(0.3)
            app.save_screenshot(f"{name}.svg", path=str(ROOT / "screenshots"))
    print(f"screenshots/{name}.svg")


def main() -> None:
    os.environ["TZ"] = "UTC"
    time.tzset()
    for shot in SHOTS:
        asyncio.run(shoot(*shot))


if __name__ == "__main__":
    main()
