"""Hosts: a run survives its host dying, stalling or stopping; daemons share the work."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from igny8_tui.atomic_files import TEMP_SUFFIX
from igny8_tui.db.models import (
    ActivityLog,
    AutomationRun,
    Cluster,
    Content,
    ContentIdea,
    CreditLedger,
    Image,
    Task,
    utcnow,
)
from igny8_tui.runtime import Runtime
from igny8_tui.schemas import ConfigUpdate
from tests.conftest import DEMO_CSV, invoke_igny8, run_igny8, small_csv, start_igny8, wait_until

SITE = "green-thumb"
TTL = {"IGNY8_LEASE_TTL_S": "2", "IGNY8_AI_CONCURRENCY": "1"}


@dataclass(frozen=True)
class Expected:
    """What one run of a keyword file makes, and its charges: stage -> (charges, credits)."""

    clusters: int
    ideas: int
    images: int
    charges: dict[int, tuple[int, int]]

    @property
    def credits(self) -> int:
        return sum(total for _, total in self.charges.values())


FULL = Expected(12, 36, 180, {1: (3, 45), 2: (12, 72), 4: (36, 540), 5: (36, 36), 6: (180, 180)})
SMALL = Expected(2, 6, 30, {1: (1, 15), 2: (2, 12), 4: (6, 90), 5: (6, 6), 6: (30, 30)})
# The small file in batches of 9 keywords: three stage-1 batches to kill a host between.
SMALL_IN_3_BATCHES = Expected(
    2, 6, 30, {1: (3, 45), 2: (2, 12), 4: (6, 90), 5: (6, 6), 6: (30, 30)}
)


def _prepare(home: Path, sites: tuple[str, ...] = (SITE,), small: bool = False) -> Runtime:
    """Sites with keywords and credits, made in-process (the CLI's own tests cover those)."""
    rt = Runtime.load(home, None, actor="test")
    csv = small_csv(home) if small else DEMO_CSV
    for site in sites:
        rt.workspace.import_keywords(rt.workspace.add_site(site).id, csv)
    rt.workspace.add_credits(2000 * len(sites))
    return rt


def _wait_for(check: Callable[[], object], timeout: float = 120, what: str = "") -> None:
    """Poll often: a kill must land inside the stage it waits for."""
    wait_until(check, timeout_s=timeout, interval_s=0.01, what=what)


def _runs(rt: Runtime) -> list[AutomationRun]:
    with rt.db.read() as s:
        return list(s.scalars(select(AutomationRun).order_by(AutomationRun.id)))


def _count(rt: Runtime, entity: type, **where: object) -> int:
    with rt.db.read() as s:
        query = select(func.count()).select_from(entity)
        for name, value in where.items():
            query = query.where(getattr(entity, name) == value)
        return int(s.scalar(query) or 0)


def assert_done_exactly_once(rt: Runtime, run: AutomationRun, expected: Expected = FULL) -> None:
    """Every item done once, outputs unique, and the ledger charged once per item."""
    assert run.status == "completed", run.error_message
    assert _count(rt, Cluster) == expected.clusters
    assert _count(rt, ContentIdea) == _count(rt, Task) == expected.ideas
    assert _count(rt, Content, status="published") == _count(rt, Content) == expected.ideas
    assert _count(rt, Image, status="generated") == _count(rt, Image) == expected.images
    with rt.db.read() as s:
        charges = s.execute(
            select(CreditLedger.stage, func.count(), func.sum(CreditLedger.amount_milli))
            .where(CreditLedger.run_id == run.id)
            .group_by(CreditLedger.stage)
        ).all()
    assert {stage: (n, -total // 1000) for stage, n, total in charges} == expected.charges
    results = {n: run.stage_result(n) or {} for n in range(1, 8)}
    assert results[1]["clusters_created"] == expected.clusters
    assert results[2]["ideas_created"] == results[4]["content_created"] == expected.ideas
    assert results[5]["prompts_created"] == results[6]["images_generated"] == expected.images
    assert results[7]["published"] == expected.ideas
    assert sum(r.get("credits_used", 0) for r in results.values()) == expected.credits
    assert run.total_credits_used_milli == expected.credits * 1000


PROCESSED_FIELD = {
    1: "keywords_processed",
    2: "clusters_processed",
    4: "tasks_processed",
    5: "content_processed",
    6: "images_processed",
}


def _processed(rt: Runtime, stage: int) -> int:
    """How many items of `stage` the first run has done (also once the stage has ended)."""
    runs = _runs(rt)
    result = (runs[0].stage_result(stage) or {}) if runs else {}
    return int(result.get(PROCESSED_FIELD[stage], 0))


# Latency per AI call, chosen so the kill lands inside the stage, not after it: once the first
# item of the stage is done, the rest of the stage lasts at least a second (stage 2 has two
# items: one more call).
KILL_LATENCY_MS = {1: 750, 2: 1000, 4: 250, 5: 250, 6: 50}


@pytest.mark.slow
# The stages whose units differ: a whole batch (1), one AI call per item in parallel (4), a file
# per item (6). The chaos test kills hosts in every stage.
@pytest.mark.parametrize("stage", [1, 4, 6])
def test_a_host_killed_mid_stage_is_recovered_by_the_next_host_with_every_item_done_once(
    home: Path, stage: int
) -> None:
    rt = _prepare(home, small=True)
    rt.service.update_config(1, ConfigUpdate(stage_1_batch_size=9))
    first = start_igny8(
        home, "run", "--site", SITE, IGNY8_LOCAL_LATENCY_MS=str(KILL_LATENCY_MS[stage]), **TTL
    )
    try:
        _wait_for(lambda: _processed(rt, stage) >= 1, what=f"an item of stage {stage}")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=120)
    finally:
        first.kill()
    run = _runs(rt)[0]
    assert run.status == "running" and run.current_stage == stage, "killed after the stage ended"
    assert (run.stage_result(stage) or {})["status"] == "active", "killed after the stage ended"
    stuck = json.loads(invoke_igny8(home, "status", "--site", SITE, "--json").stdout)["run"]
    assert stuck["host_state"] in ("hosted", "stuck")
    _wait_for(lambda: _runs(rt)[0].lease_expires_at < utcnow(), what="the lease to expire")
    shown = invoke_igny8(home, "status", "--site", SITE).stdout
    assert "stuck: its host stopped heart-beating" in shown
    second = invoke_igny8(home, "run", "--site", SITE, **TTL)
    assert second.returncode == 0, second.stderr
    run = _runs(rt)[0]
    assert_done_exactly_once(rt, run, SMALL_IN_3_BATCHES)
    with rt.db.read() as s:
        recovered = s.scalars(
            select(ActivityLog.message).where(ActivityLog.message.contains("recovered by"))
        ).all()
    assert len(recovered) == 1 and f"continuing at stage {stage}" in recovered[0]


def _leave_temp_file(target: Path) -> Path:
    """A temp file named as `write_atomic` names it, as a writer killed before its rename leaves."""
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=TEMP_SUFFIX
    )
    os.write(descriptor, b"half an image")
    os.close(descriptor)
    return Path(name)


@pytest.mark.slow
def test_the_recovering_host_removes_the_temp_files_the_dead_host_left_for_its_site_only(
    home: Path,
) -> None:
    other = "blue-fern"
    rt = _prepare(home, (SITE, other), small=True)
    media, published = rt.settings.media_dir, rt.settings.publish_dir
    first = start_igny8(home, "run", "--site", SITE, IGNY8_LOCAL_LATENCY_MS="1000", **TTL)
    try:
        _wait_for(lambda: _runs(rt) and _runs(rt)[0].lease_owner, what="the first host's claim")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=120)
    finally:
        first.kill()
    left = [
        _leave_temp_file(media / SITE / "3" / "02-in-article.png"),
        _leave_temp_file(published / SITE / "growing-tomatoes" / "index.md"),
        _leave_temp_file(published / SITE / "growing-tomatoes" / "01-featured.png"),
    ]
    others = [
        _leave_temp_file(media / other / "9" / "01-featured.png"),
        _leave_temp_file(published / other / "pruning-roses" / "index.md"),
    ]
    _wait_for(lambda: _runs(rt)[0].lease_expires_at < utcnow(), what="the lease to expire")
    second = invoke_igny8(home, "run", "--site", SITE, **TTL)
    assert second.returncode == 0, second.stderr
    assert [path for path in left if path.exists()] == []
    assert [path for path in others if path.exists()] == others, "another site's files removed"
    with rt.db.read() as s:
        removals = s.scalars(
            select(ActivityLog.message).where(ActivityLog.message.contains("temp file"))
        ).all()
    assert len(removals) == 1 and removals[0].startswith("removed 3 temp files left by run:")


def _write_lock_free(db_path: Path) -> bool:
    conn = sqlite3.connect(db_path, timeout=0.05)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.rollback()
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


def _stop_between_transactions(process: subprocess.Popen[str], db_path: Path) -> None:
    """SIGSTOP the host, but never while it holds SQLite's write lock."""

    def stopped_without_the_lock() -> bool:
        process.send_signal(signal.SIGSTOP)
        if _write_lock_free(db_path):
            return True
        process.send_signal(signal.SIGCONT)
        return False

    wait_until(stopped_without_the_lock, interval_s=0.003, what="the host between transactions")


@pytest.mark.slow
def test_a_host_that_stalls_past_its_lease_cannot_write_after_it_wakes(home: Path) -> None:
    rt = _prepare(home, small=True)
    first = start_igny8(home, "run", "--site", SITE, IGNY8_LOCAL_LATENCY_MS="200", **TTL)
    try:
        _wait_for(lambda: _processed(rt, 4) >= 2, what="stage 4")
        _stop_between_transactions(first, home / "igny8.db")
        _wait_for(lambda: _runs(rt)[0].lease_expires_at < utcnow(), what="the lease to expire")
        second = start_igny8(home, "run", "--site", SITE, IGNY8_LOCAL_LATENCY_MS="200", **TTL)
        _wait_for(lambda: _processed(rt, 4) >= 4, what="the second host to work")
        first.send_signal(signal.SIGCONT)
        _, err = first.communicate(timeout=120)
        assert first.returncode == 1, err
        assert "this host lost its lease; another host took over" in err
        _, err = second.communicate(timeout=240)
        assert second.returncode == 0, err
    finally:
        first.kill()
    assert_done_exactly_once(rt, _runs(rt)[0], SMALL)


@pytest.mark.slow
def test_two_daemons_share_the_work_and_never_run_a_site_twice(home: Path) -> None:
    sites = ("alpha", "beta", "gamma", "delta")
    rt = _prepare(home, sites, small=True)
    daemons = [
        start_igny8(home, "daemon", "--max-runs", "1", IGNY8_LOCAL_LATENCY_MS="20")
        for _ in range(2)
    ]
    try:
        # Both up before there is work, so neither can finish it all before the other starts.
        for daemon in daemons:
            _wait_for(lambda d=daemon: " started; " in d.stderr_so_far(), what="a daemon")
        for site in sites:
            detached = invoke_igny8(home, "run", "--site", site, "--detach", "--json")
            assert detached.returncode == 0, detached.stderr
        _wait_for(
            lambda: all(r.status == "completed" for r in _runs(rt)), timeout=240, what="all runs"
        )
        for daemon in daemons:
            daemon.send_signal(signal.SIGTERM)
        codes = [d.wait(timeout=120) for d in daemons]
    finally:
        for daemon in daemons:
            daemon.kill()
    assert codes == [0, 0]
    with rt.db.read() as s:
        hosted = s.execute(
            select(ActivityLog.run_id, ActivityLog.message).where(
                ActivityLog.message.contains(" hosted by ")
            )
        ).all()
        per_site_clusters = s.execute(
            select(Cluster.site_id, func.count()).group_by(Cluster.site_id)
        ).all()
    assert sorted(run_id for run_id, _ in hosted) == [1, 2, 3, 4], "a run was hosted twice"
    hosts = {message.split(" hosted by ")[1] for _, message in hosted}
    assert len(hosts) == 2, "both daemons should have done work"
    assert sorted(n for _, n in per_site_clusters) == [2, 2, 2, 2]


@pytest.mark.slow
def test_sigterm_mid_stage_releases_the_run_with_nothing_half_written(home: Path) -> None:
    rt = _prepare(home, small=True)
    assert invoke_igny8(home, "run", "--site", SITE, "--detach").returncode == 0
    # 25 images (2 s) left when SIGTERM is sent: it lands inside stage 6.
    daemon = start_igny8(home, "daemon", IGNY8_LOCAL_LATENCY_MS="80", IGNY8_AI_CONCURRENCY="1")
    try:
        _wait_for(lambda: _processed(rt, 6) >= 5, what="stage 6")
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=120)
    finally:
        daemon.kill()
    assert daemon.returncode == 0, err
    run = _runs(rt)[0]
    assert run.status == "running" and run.lease_owner is None, "SIGTERM after stage 6 ended"
    result = run.stage_6_result or {}
    assert result["images_generated"] == _count(rt, Image, status="generated")
    media = home / "media"
    assert not [p for p in media.rglob("*") if p.name.startswith(".")], "temporary files left"
    generated = [p for p in media.rglob("*.png")]
    assert len(generated) == result["images_generated"]
    assert "waits for another host" in err
    finisher = start_igny8(home, "daemon")
    try:
        _wait_for(lambda: _runs(rt)[0].status == "completed", timeout=240, what="the finisher")
        finisher.send_signal(signal.SIGTERM)
        assert finisher.wait(timeout=120) == 0
    finally:
        finisher.kill()
    assert_done_exactly_once(rt, _runs(rt)[0], SMALL)


def test_run_detach_returns_the_run_id_at_once_for_a_host_to_pick_up(home: Path) -> None:
    _prepare(home)
    detached = run_igny8(home, "run", "--site", SITE, "--detach", "--json")
    assert detached.returncode == 0, detached.stderr
    created = json.loads(detached.stdout)
    status = json.loads(invoke_igny8(home, "status", "--site", SITE, "--json").stdout)["run"]
    assert status["run_id"] == created["run_id"]
    assert (status["status"], status["host_state"]) == ("running", "waiting")
    assert "waiting for a host" in invoke_igny8(home, "status", "--site", SITE).stdout


def test_daemon_json_logs_are_one_json_document_per_line(home: Path) -> None:
    rt = _prepare(home, small=True)
    rt.service.run_now(1)
    daemon = start_igny8(home, "daemon", "--json-logs")
    try:
        _wait_for(lambda: _runs(rt)[0].status == "completed", what="the run")
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=120)
    finally:
        daemon.kill()
    documents = [json.loads(line) for line in err.splitlines()]
    assert {"ts", "level", "msg"} <= set(documents[0])
    assert any("run completed" in d["msg"] and d.get("run_id") == 1 for d in documents)
    assert documents[-1]["msg"].endswith("stopped; its runs are released")
