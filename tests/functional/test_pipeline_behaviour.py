"""Pipeline behaviour beyond the worked example: file order, estimates from history, logs."""

from __future__ import annotations

import random
import shutil
import subprocess
import threading
from pathlib import Path

from sqlalchemy import select

from igny8_tui.automation.executor import RunOutcome
from igny8_tui.db.models import Cluster, Keyword
from igny8_tui.runtime import Runtime
from igny8_tui.schemas import ConfigUpdate
from tests.conftest import DEMO_CSV, invoke_igny8, run_igny8, start_igny8


def _clusters_of(runtime: Runtime, site_id: int) -> dict[str, frozenset[str]]:
    with runtime.db.read() as s:
        rows = s.execute(
            select(Cluster.name, Keyword.text)
            .join(Keyword, Keyword.cluster_id == Cluster.id)
            .where(Cluster.site_id == site_id)
        ).all()
    clusters: dict[str, set[str]] = {}
    for name, text in rows:
        clusters.setdefault(name, set()).add(text)
    return {name: frozenset(texts) for name, texts in clusters.items()}


def _cluster_only(runtime: Runtime, site_id: int) -> None:
    skips = {f"skip_stage_{n}": True for n in range(2, 8)}
    runtime.service.update_config(site_id, ConfigUpdate.model_validate(skips))
    run_id = runtime.service.run_now(site_id).run_id
    assert runtime.executor(run_id, threading.Event()).execute() is RunOutcome.COMPLETED


def test_clusters_do_not_depend_on_the_order_of_the_keyword_file(
    runtime: Runtime, tmp_path: Path
) -> None:
    header, *rows = DEMO_CSV.read_text().splitlines()
    random.Random(3).shuffle(rows)
    shuffled = tmp_path / "shuffled.csv"
    shuffled.write_text("\n".join([header, *reversed(rows)]) + "\n")
    runtime.workspace.add_credits(1000)
    results = []
    for name, path in (("in-order", DEMO_CSV), ("shuffled", shuffled)):
        site = runtime.workspace.add_site(name)
        runtime.workspace.import_keywords(site.id, path)
        _cluster_only(runtime, site.id)
        results.append(_clusters_of(runtime, site.id))
    assert len(results[0]) == 12
    assert results[0] == results[1]


def test_a_later_run_puts_new_keywords_into_existing_clusters(
    runtime: Runtime, tmp_path: Path
) -> None:
    runtime.workspace.add_credits(1000)
    site = runtime.workspace.add_site("growing")
    runtime.workspace.import_keywords(site.id, DEMO_CSV)
    _cluster_only(runtime, site.id)
    before = _clusters_of(runtime, site.id)
    extra = tmp_path / "more.csv"
    extra.write_text(
        "keyword,volume\nbest compost tumbler for small gardens,400\n"
        "compost tumbler with two chambers,300\nhow to speed up a compost tumbler,200\n"
        "raised garden bed corner brackets,150\nraised garden bed soil calculator,120\n"
    )
    runtime.workspace.import_keywords(site.id, extra)
    _cluster_only(runtime, site.id)
    after = _clusters_of(runtime, site.id)
    assert set(after) == set(before), "new keywords started duplicate clusters"
    grown = {name for name in after if after[name] != before[name]}
    assert len(grown) == 2


def test_the_estimate_learns_downstream_counts_from_past_runs(runtime: Runtime) -> None:
    site = runtime.workspace.add_site("learning")
    runtime.workspace.import_keywords(site.id, DEMO_CSV)
    runtime.workspace.add_credits(5000)
    first = runtime.service.estimate(site.id)
    assert (first.basis, first.clusters_basis) == ("defaults", "dry run")
    # The offline clusterer's dry run finds the 12 clusters the run will make.
    assert [s.items for s in first.stages][:2] == [150, 12]
    run_id = runtime.service.run_now(site.id).run_id
    assert runtime.executor(run_id, threading.Event()).execute() is RunOutcome.COMPLETED
    runtime.workspace.import_keywords(site.id, DEMO_CSV.with_name("demo_keywords.csv"))
    with runtime.db.write() as s:
        for keyword in s.scalars(select(Keyword)):
            keyword.status, keyword.cluster_id = "new", None
    learned = runtime.service.estimate(site.id)
    assert learned.basis == "history"
    # 150 keywords made 12 clusters last time, so 150 new ones are forecast to make 12.
    assert [s.items for s in learned.stages][:4] == [150, 12, 36, 36]
    assert learned.total_credits == 873


def test_logs_follow_prints_new_lines_until_the_run_ends(home: Path) -> None:
    assert invoke_igny8(home, "demo").returncode == 0
    # The follower first: it waits for the run, so it follows it from its start however slowly
    # either process starts.
    follower = start_igny8(home, "logs", "--site", "green-thumb", "--follow", "--lines", "1")
    host = start_igny8(home, "run", "--site", "green-thumb", IGNY8_LOCAL_LATENCY_MS="5")
    try:
        out, err = follower.communicate(timeout=300)
        host.communicate(timeout=300)
    finally:
        host.kill()
        follower.kill()
    assert follower.returncode == 0, err
    lines = out.splitlines()
    assert "run completed · 873 credits" in lines[-1]
    # It started with one line of backlog, so every other line arrived while following.
    assert len(lines) > 100
    assert any("stage 7 started" in line for line in lines)


def test_the_console_script_and_python_m_are_the_same_command(home: Path) -> None:
    script = shutil.which("igny8")
    assert script is not None
    via_script = subprocess.run([script, "--help"], capture_output=True, text=True, check=True)
    via_module = run_igny8(home, "--help")
    assert via_script.stdout.replace("Usage: igny8", "") == via_module.stdout.replace(
        "Usage: igny8", ""
    )
