"""A full disk, a refused permission or a database that cannot be written pauses the run with
its reason (or leaves it for recovery), never a traceback; `igny8 resume` continues it.

The faults are injected at the engine's write helpers through IGNY8_FAULTS (see
igny8_tui/faults.py): a real full disk is hard to make, and CI runs as root, where a real
EACCES never happens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from igny8_tui.db.models import ActivityLog, Content, CreditLedger, Image
from igny8_tui.runtime import Runtime
from tests.conftest import demo_site, invoke_igny8, run_igny8

SITE = "green-thumb"
EXIT_PAUSED = 3
# The small site makes 30 images and publishes 6 articles.
IMAGES, ARTICLES = 30, 6


@pytest.fixture
def site(runtime: Runtime) -> int:
    site_id = demo_site(runtime, SITE, small=True)
    runtime.db.dispose()
    return site_id


def _status(home: Path) -> dict[str, object]:
    result = invoke_igny8(home, "status", "--site", SITE, "--json")
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)["run"]
    assert isinstance(run, dict)
    return run


def _one_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.startswith("igny8: ")]
    assert len(lines) == 1, stderr
    return lines[0]


def _count(runtime: Runtime, entity: type, **where: object) -> int:
    with runtime.db.read() as s:
        query = select(func.count()).select_from(entity)
        for name, value in where.items():
            query = query.where(getattr(entity, name) == value)
        return int(s.scalar(query) or 0)


def _resume_and_finish(home: Path, runtime: Runtime) -> None:
    resumed = invoke_igny8(home, "resume", "--site", SITE)
    assert resumed.returncode == 0, resumed.stderr
    finished = run_igny8(home, "run", "--site", SITE)
    assert finished.returncode == 0, finished.stderr
    assert _status(home)["status"] == "completed"
    assert _count(runtime, Image, status="generated") == IMAGES
    assert _count(runtime, Content, status="published") == ARTICLES
    with runtime.db.read() as s:
        keys = s.execute(select(CreditLedger.run_id, CreditLedger.stage, CreditLedger.item_key))
        charged = [tuple(row) for row in keys if row[0] is not None]
    assert len(charged) == len(set(charged)), "an item was charged twice"
    assert not list(home.rglob("*.igny8-tmp"))


@pytest.mark.parametrize(
    ("fault", "says", "finish"),
    [
        ("media=ENOSPC@3", "No space left on device", True),
        ("media=EACCES@3", "Permission denied", False),
        ("published=ENOSPC@2", "No space left on device", False),
        ("published=EROFS", "Read-only file system", True),
    ],
)
def test_a_full_disk_or_refused_write_pauses_the_run_with_its_reason_until_resumed(
    home: Path, site: int, runtime: Runtime, fault: str, says: str, finish: bool
) -> None:
    """Every fault pauses the run the same way; finishing it once per write site (media,
    published) shows nothing is lost or charged twice after a resume."""
    ran = run_igny8(home, "run", "--site", SITE, IGNY8_FAULTS=fault)
    assert ran.returncode == EXIT_PAUSED, ran.stderr
    line = _one_line(ran.stderr)
    assert says in line and "igny8 resume" in line

    run = _status(home)
    assert run["status"] == "paused" and run["pause_cause"] == "environment"
    assert says in str(run["pause_reason"])
    with runtime.db.read() as s:
        logged = s.scalars(select(ActivityLog.message).where(ActivityLog.level == "WARN")).all()
    assert any(says in message and "run paused" in message for message in logged)
    shown = invoke_igny8(home, "status", "--site", SITE)
    assert says in shown.stdout

    if finish:
        _resume_and_finish(home, runtime)


def test_a_database_that_cannot_be_written_leaves_the_run_for_recovery(
    home: Path, site: int, runtime: Runtime
) -> None:
    ran = run_igny8(
        home, "run", "--site", SITE, IGNY8_FAULTS="database=ENOSPC@40", IGNY8_LEASE_TTL_S="1"
    )
    assert ran.returncode == EXIT_PAUSED, ran.stderr
    line = _one_line(ran.stderr)
    assert "could not write to the database" in line
    assert "No space left on device" in ran.stderr
    # Nothing half-written: the run is as its last committed item left it, still running.
    assert _status(home)["status"] == "running"

    finished = run_igny8(home, "run", "--site", SITE)
    assert finished.returncode == 0, finished.stderr
    assert _status(home)["status"] == "completed"
    assert _count(runtime, Content, status="published") == ARTICLES


def test_an_item_level_file_error_fails_that_item_and_the_run_goes_on(
    home: Path, site: int, runtime: Runtime
) -> None:
    ran = run_igny8(home, "run", "--site", SITE, IGNY8_FAULTS="media=ENAMETOOLONG@28")
    assert ran.returncode == 0, ran.stderr
    assert _status(home)["status"] == "completed"
    with runtime.db.read() as s:
        failed = s.scalars(select(Image).where(Image.status == "failed")).all()
    assert len(failed) == 2
    assert all("File name too long" in (image.error or "") for image in failed)
