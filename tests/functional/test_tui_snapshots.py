"""Snapshot tests of the dashboard in fixed states (see tests/dashboard_states.py): review the
SVGs under tests/functional/__snapshots__ like code; update them with
`python -m pytest tests/functional/test_tui_snapshots.py --snapshot-update -n 0`."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.dashboard_states import StateCache, open_app, settled, still

WIDE = (120, 40)
NARROW = (80, 24)


@pytest.fixture(autouse=True)
def utc_local_time() -> Iterator[None]:
    """Times render in the operator's zone; pin it so snapshots match anywhere."""
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if previous is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = previous
    time.tzset()


MAIN_SCREEN_IDS = [
    "idle",
    "stage-4",
    "paused",
    "completed",
    "failed",
    "80x24-running",
    "80x24-idle",
    "80x24-paused",
]
# At 80x24 the first read both fills the log and grows the processing card above it; following
# the log again once the screen has settled pins the picture to its newest lines whichever
# lands first (the log itself keeps them in view when it shrinks: see
# test_the_activity_log_keeps_its_newest_line_in_view_when_it_shrinks).
FOLLOW_AGAIN = ("f", "f")
SCREEN_IDS = ["history", "run-detail", "help", "estimate"]


@pytest.mark.parametrize(
    ("state", "size"),
    [
        ("idle", WIDE),
        ("running_in_stage_4", WIDE),
        ("paused_in_stage_4", WIDE),
        ("completed", WIDE),
        ("failed", WIDE),
        ("running_in_stage_4", NARROW),
        ("idle", NARROW),
        ("paused_in_stage_4", NARROW),
    ],
    ids=MAIN_SCREEN_IDS,
)
def test_main_screen(
    snap_compare, dashboard_states: StateCache, tmp_path: Path, state: str, size: tuple[int, int]
) -> None:
    home = dashboard_states.copy_into(tmp_path / "home", state)
    publishing_to_srv_blog(home)
    app = open_app(home)
    keys = FOLLOW_AGAIN if size == NARROW else ()
    assert snap_compare(app, terminal_size=size, run_before=settled(*keys))


@pytest.mark.parametrize(
    ("state", "keys"),
    [
        ("completed", ("h",)),
        ("completed", ("h", "enter")),
        ("idle", ("question_mark",)),
        ("idle", ("dollar_sign",)),
    ],
    ids=SCREEN_IDS,
)
def test_screens(
    snap_compare, dashboard_states: StateCache, tmp_path: Path, state: str, keys: tuple[str, ...]
) -> None:
    app = dashboard_states.app(tmp_path / "home", state)
    assert snap_compare(app, terminal_size=WIDE, run_before=settled(*keys))


def test_config_form_with_a_validation_error(
    snap_compare, dashboard_states: StateCache, tmp_path: Path
) -> None:
    app = dashboard_states.app(tmp_path / "home", "idle")

    async def type_zero_and_save(pilot: Pilot) -> None:
        await settled("e")(pilot)
        field = pilot.app.screen.query_one("#stage_4_batch_size", Input)
        field.value = "0"
        await pilot.press("ctrl+s")
        await still(pilot)
        # The error's toast times out after a few seconds, which a busy machine can outlast
        # before the screen settles: the picture is of the form and its error line alone.
        pilot.app.clear_notifications()
        await still(pilot)

    assert snap_compare(app, terminal_size=WIDE, run_before=type_zero_and_save)


def test_config_form_at_80x24(snap_compare, dashboard_states: StateCache, tmp_path: Path) -> None:
    app = dashboard_states.app(tmp_path / "home", "idle")
    assert snap_compare(app, terminal_size=NARROW, run_before=settled("e"))


def publishing_to_srv_blog(home: Path) -> None:
    """The site set to publish to /srv/blog (the completed card names the folder), rather than
    the temporary data directory, which differs on every run."""
    with closing(sqlite3.connect(home / "igny8.db")) as conn, conn:
        conn.execute(
            "INSERT INTO publish_targets (site_id, kind, folder_dir, post_status, drip_minutes,"
            " category_from_cluster, tags_from_keywords, updated_at)"
            " VALUES (1, 'folder', '/srv/blog', 'publish', 0, 1, 1, '2026-05-10 00:00:00')"
        )


def _published_under_a_fixed_folder(home: Path) -> None:
    """The state's articles as if published to /srv/blog at a fixed time: their absolute paths
    (shown by the articles screen) are otherwise the temporary folder the state was made in,
    and their publish time the moment it was made."""
    with closing(sqlite3.connect(home / "igny8.db")) as conn, conn:
        conn.execute(
            "UPDATE contents SET published_path = '/srv/blog/' || slug || '/index.md',"
            " published_at = '2026-05-10 02:03:00.000000' WHERE published_path IS NOT NULL"
        )


ARTICLE_IDS = ["articles", "article-detail"]


@pytest.mark.parametrize("keys", [("c",), ("c", "enter")], ids=ARTICLE_IDS)
def test_articles(
    snap_compare, dashboard_states: StateCache, tmp_path: Path, keys: tuple[str, ...]
) -> None:
    home = dashboard_states.copy_into(tmp_path / "home", "completed")
    _published_under_a_fixed_folder(home)
    app = open_app(home)
    assert snap_compare(app, terminal_size=WIDE, run_before=settled(*keys))


HOSTS_IDS = ["hosts", "hosts-80x24"]


@pytest.mark.parametrize("size", [WIDE, NARROW], ids=HOSTS_IDS)
def test_hosts_view(
    snap_compare, dashboard_states: StateCache, tmp_path: Path, size: tuple[int, int]
) -> None:
    """Five hosts on the fixed clock: holding on time, holding a stuck run (recovered in 0:20),
    gone with a lease that ran out, idle, and stopped (see `hosts` in tests/dashboard_states)."""
    app = dashboard_states.app(tmp_path / "home", "hosts")
    assert snap_compare(app, terminal_size=size, run_before=settled("H"))


def test_every_stored_snapshot_belongs_to_a_test() -> None:
    """syrupy fails on unused snapshots only without pytest-xdist; this check holds either way
    (and finds the snapshots beside this file)."""
    stored = Path(__file__).parent / "__snapshots__" / Path(__file__).stem
    expected = {
        *(f"test_main_screen[{name}].svg" for name in MAIN_SCREEN_IDS),
        *(f"test_screens[{name}].svg" for name in SCREEN_IDS),
        "test_config_form_with_a_validation_error.svg",
        "test_config_form_at_80x24.svg",
        *(f"test_articles[{name}].svg" for name in ARTICLE_IDS),
        *(f"test_hosts_view[{name}].svg" for name in HOSTS_IDS),
    }
    assert {svg.name for svg in stored.glob("*.svg")} == expected
