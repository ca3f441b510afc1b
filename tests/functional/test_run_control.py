"""Pause, resume and cancel from a second process take effect after the current item."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from sqlalchemy import func, select

from igny8_tui.automation.credits import ledger_sum_milli
from igny8_tui.db.models import Account, AutomationRun, Content
from igny8_tui.runtime import Runtime
from igny8_tui.schemas import ConfigUpdate
from tests.conftest import invoke_igny8, small_csv, start_igny8, wait_until

SITE = "green-thumb"
# The offline provider answers each call after this delay, one call at a time, so a run lasts
# long enough to steer and "after the current item" means one item.
SLOW = {"IGNY8_LOCAL_LATENCY_MS": "500", "IGNY8_AI_CONCURRENCY": "1"}
# The small keyword file without images: 1 clustering, 2 ideas and 6 article calls; stage 4
# lasts 3 s, long enough for this process (the command in-process) to ask for a pause or a cancel.
ARTICLES = 6
CREDITS = 15 + 12 + 6 * 15


def _prepare(home: Path) -> Runtime:
    """The site, keywords and credits, made in-process (the CLI's own tests cover those)."""
    rt = Runtime.load(home, None, actor="test")
    site = rt.workspace.add_site(SITE)
    rt.workspace.import_keywords(site.id, small_csv(home))
    rt.workspace.add_credits(5000)
    rt.service.update_config(site.id, ConfigUpdate(skip_stage_5=True, skip_stage_6=True))
    return rt


def _run(rt: Runtime) -> AutomationRun:
    with rt.db.read() as s:
        return s.scalars(select(AutomationRun)).one()


def _contents(rt: Runtime) -> int:
    with rt.db.read() as s:
        return s.scalar(select(func.count()).select_from(Content)) or 0


def _stop(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=300)
    return process.returncode, out, err


def test_pause_from_another_process_takes_effect_after_the_current_item_and_resume_finishes(
    home: Path,
) -> None:
    rt = _prepare(home)
    host = start_igny8(home, "run", "--site", SITE, **SLOW)
    try:
        wait_until(lambda: _contents(rt) >= 1, what="the first article")
        paused = invoke_igny8(home, "pause", "--site", SITE, "--json")
        assert paused.returncode == 0, paused.stderr
        at_request = _contents(rt)
        wait_until(lambda: _run(rt).status == "paused", what="the pause")
        run = _run(rt)
        assert _contents(rt) <= at_request + 1
        assert run.current_stage == 4
        stage_4 = run.stage_4_result or {}
        assert stage_4["status"] == "paused" and stage_4["partial"] is True
        assert stage_4["content_created"] == _contents(rt)
        time.sleep(0.5)  # as long as an article takes: none may come while paused
        assert _contents(rt) == stage_4["content_created"], "work went on while paused"
        shown = json.loads(invoke_igny8(home, "status", "--site", SITE, "--json").stdout)
        card = shown["progress"]["stages"][3]
        assert (card["status"], card["processed_count"], card["input_count"]) == (
            "paused",
            stage_4["content_created"],
            ARTICLES,
        )
        resumed = invoke_igny8(home, "resume", "--site", SITE)
        assert resumed.returncode == 0, resumed.stderr
        code, _, err = _stop(host)
    finally:
        host.kill()
    assert code == 0, err
    assert "paused" in err
    run = _run(rt)
    assert run.status == "completed" and _contents(rt) == ARTICLES
    assert run.total_credits_used_milli == CREDITS * 1000
    with rt.db.read() as s:
        account = s.scalars(select(Account)).one()
        assert ledger_sum_milli(s, account.id) == account.balance_milli == (5000 - CREDITS) * 1000
    log = invoke_igny8(home, "logs", "--site", SITE, "--lines", "100000").stdout
    assert "pause requested by" in log and "run paused: paused by" in log
    assert "run resumed by" in log and "stage 4 continues from item" in log


def test_cancel_from_another_process_stops_after_the_current_item(home: Path) -> None:
    rt = _prepare(home)
    host = start_igny8(home, "run", "--site", SITE, **SLOW)
    try:
        wait_until(lambda: _contents(rt) >= 1, what="the first article")
        cancelled = invoke_igny8(home, "cancel", "--site", SITE)
        assert cancelled.returncode == 0, cancelled.stderr
        at_request = _contents(rt)
        code, _, err = _stop(host)
    finally:
        host.kill()
    assert code == 1
    assert "cancelled" in err
    run = _run(rt)
    assert run.status == "cancelled" and run.cancelled_at is not None
    assert at_request <= _contents(rt) <= at_request + 1
    assert (run.stage_4_result or {})["status"] == "cancelled"
    again = invoke_igny8(home, "run", "--site", SITE, "--json")
    assert again.returncode == 0, "a cancelled run must release the site's lock"


def test_ctrl_c_leaves_the_run_paused_and_the_next_run_command_continues_it(
    home: Path,
) -> None:
    rt = _prepare(home)
    host = start_igny8(home, "run", "--site", SITE, **SLOW)
    try:
        wait_until(lambda: _contents(rt) >= 1, what="the first article")
        host.send_signal(signal.SIGINT)
        code, _, err = _stop(host)
    finally:
        host.kill()
    assert code == 130, err
    run = _run(rt)
    assert run.status == "paused" and "was stopped" in (run.pause_reason or "")
    assert run.lease_owner is None
    done_before = _contents(rt)
    again = invoke_igny8(home, "run", "--site", SITE, IGNY8_AI_CONCURRENCY="1")
    assert again.returncode == 0, again.stderr
    assert f"run {run.id} has no host; continuing it here" in again.stderr
    assert _run(rt).status == "completed" and _contents(rt) == ARTICLES > done_before
    assert _run(rt).total_credits_used_milli == CREDITS * 1000
