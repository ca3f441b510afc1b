"""Regenerate screenshots/*.svg: the dashboard in its main states, from fixed data and clock.

Run: python scripts/screenshots.py
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr  # noqa: E402

from igny8_tui.runtime import Runtime  # noqa: E402
from igny8_tui.schemas import WordPressTargetSettings  # noqa: E402
from tests.dashboard_states import StateCache, open_app, settled  # noqa: E402


def published_under_srv_blog(home: Path) -> None:
    """Articles shown as published to /srv/blog, not the temporary folder the state was made in."""
    with closing(sqlite3.connect(home / "igny8.db")) as conn, conn:
        conn.execute(
            "UPDATE contents SET published_path = '/srv/blog/' || slug || '/index.md',"
            " published_at = '2026-05-10 02:03:00.000000' WHERE published_path IS NOT NULL"
        )


def publishing_to_srv_blog(home: Path) -> None:
    """The site set to publish to /srv/blog: the completed card names the folder."""
    runtime = Runtime.load(home, None, actor="screenshots")
    runtime.publish_targets.set_folder(1, Path("/srv/blog"))
    runtime.close()


def publish_to_wordpress(home: Path) -> None:
    """The site set to publish to a WordPress site, stored as `igny8 publish set` stores it
    once its check has passed (no WordPress answers here)."""
    runtime = Runtime.load(home, None, actor="screenshots")
    target = WordPressTargetSettings(
        url="https://blog.green-thumb.example", user="editor", drip_minutes=90
    )
    runtime.publish_targets.set_wordpress(1, target, SecretStr("not shown anywhere"))
    runtime.close()


# At 80x24 the log is followed again once the screen has settled: see FOLLOW_AGAIN in
# tests/functional/test_tui_snapshots.py.
SHOTS = [
    ("idle", "idle", (120, 40), ()),
    ("running-stage-4", "running_in_stage_4", (120, 40), ()),
    ("paused", "paused_in_stage_4", (120, 40), ()),
    ("completed", "completed", (120, 40), ()),
    ("failed", "failed", (120, 40), ()),
    ("narrow-80x24", "running_in_stage_4", (80, 24), ("f", "f")),
    ("narrow-80x24-idle", "idle", (80, 24), ()),
    ("narrow-80x24-paused", "paused_in_stage_4", (80, 24), ("f", "f")),
    ("sites-80x24", "completed", (80, 24), ("s",)),
    ("history", "completed", (120, 40), ("h",)),
    ("run-detail", "completed", (120, 40), ("h", "enter")),
    ("config", "idle", (120, 40), ("e",)),
    ("config-wordpress", "idle", (120, 40), ("e",)),
    ("estimate", "idle", (120, 40), ("dollar_sign",)),
    ("articles", "completed", (120, 40), ("c",)),
    ("article-detail", "completed", (120, 40), ("c", "enter")),
    ("help", "idle", (120, 40), ("question_mark",)),
    ("hosts", "hosts", (120, 40), ("H",)),
]


async def shoot(
    states: StateCache, name: str, state: str, size: tuple[int, int], keys: tuple[str, ...]
) -> None:
    with tempfile.TemporaryDirectory() as home:
        copy = states.copy_into(Path(home) / "home", state)
        if name == "config-wordpress":
            publish_to_wordpress(copy)
        if name.startswith("article"):
            published_under_srv_blog(copy)
        if name == "completed":
            publishing_to_srv_blog(copy)
        app = open_app(copy)
        async with app.run_test(size=size) as pilot:
            await settled(*keys)(pilot)
            app.save_screenshot(f"{name}.svg", path=str(ROOT / "screenshots"))
    print(f"screenshots/{name}.svg")


def main() -> None:
    os.environ["TZ"] = "UTC"
    time.tzset()
    # Each state is made once (a real run of 150 keywords), then copied for each of its shots.
    with tempfile.TemporaryDirectory() as made:
        states = StateCache(Path(made))
        for shot in SHOTS:
            asyncio.run(shoot(states, *shot))


if __name__ == "__main__":
    main()
