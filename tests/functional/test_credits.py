"""Credits: refused when short, paused when a run runs short, balance always the ledger's sum."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from igny8_tui.automation.credits import ledger_sum_milli
from igny8_tui.automation.executor import RunOutcome
from igny8_tui.db.models import Account, AutomationRun, CreditLedger
from igny8_tui.errors import InsufficientCreditsError
from igny8_tui.runtime import Runtime
from tests.conftest import demo_site, invoke_igny8


def _balance_and_ledger(runtime: Runtime) -> tuple[int, int]:
    with runtime.db.read() as s:
        account = s.scalars(select(Account)).one()
        return account.balance_milli, ledger_sum_milli(s, account.id)


def _execute(runtime: Runtime, run_id: int) -> RunOutcome:
    return runtime.executor(run_id, threading.Event()).execute()


def test_insufficient_credits_refuses_the_run_and_creates_nothing(home: Path) -> None:
    assert invoke_igny8(home, "site", "add", "tiny").returncode == 0
    csv = home / "k.csv"
    csv.write_text("keyword\n" + "\n".join(f"raised bed soil {n}" for n in range(20)) + "\n")
    assert invoke_igny8(home, "keywords", "import", "--site", "tiny", str(csv)).returncode == 0
    assert invoke_igny8(home, "credits", "--add", "10").returncode == 0
    estimate = invoke_igny8(home, "estimate", "--site", "tiny").stdout
    refused = invoke_igny8(home, "run", "--site", "tiny")
    assert refused.returncode == 2
    message = refused.stderr.strip()
    assert message.startswith("igny8: error: insufficient credits: this run needs ")
    assert "and the balance is 10.0" in message and len(message.splitlines()) == 1
    assert "NOT enough" in estimate
    assert "no runs yet" in invoke_igny8(home, "status", "--site", "tiny").stdout


def test_a_run_that_runs_short_midway_pauses_with_the_reason_and_resumes_after_a_grant(
    runtime: Runtime,
) -> None:
    site_a = demo_site(runtime, "site-a", grant=1400)
    site_b = demo_site(runtime, "site-b", grant=0)
    # Both runs pass the estimate (1.2 x 873 = 1047.6 <= 1400) but together need 2 x 873.
    run_a = runtime.service.run_now(site_a).run_id
    run_b = runtime.service.run_now(site_b).run_id
    assert _execute(runtime, run_a) is RunOutcome.COMPLETED
    assert _execute(runtime, run_b) is RunOutcome.PAUSED
    paused = runtime.service.current_run(site_b)
    assert paused is not None and paused.status == "paused"
    assert paused.pause_reason is not None
    assert paused.pause_reason.startswith("insufficient credits: ")
    assert "needs 15 and the balance is" in paused.pause_reason
    balance, ledger = _balance_and_ledger(runtime)
    assert balance == ledger >= 0
    assert balance < 15_000

    runtime.workspace.add_credits(1000)
    runtime.service.resume(site_b)
    assert _execute(runtime, run_b) is RunOutcome.COMPLETED
    with runtime.db.read() as s:
        runs = s.scalars(select(AutomationRun).order_by(AutomationRun.id)).all()
        charges = s.scalar(select(func.count()).where(CreditLedger.kind == "charge"))
    assert [r.total_credits_used_milli for r in runs] == [873_000, 873_000]
    assert charges == 2 * (3 + 12 + 36 + 36 + 180)
    balance, ledger = _balance_and_ledger(runtime)
    assert balance == ledger == (1400 + 1000 - 2 * 873) * 1000


def test_run_now_refuses_with_the_numbers(runtime: Runtime) -> None:
    site_id = demo_site(runtime, grant=100)
    with pytest.raises(InsufficientCreditsError) as refused:
        runtime.service.run_now(site_id)
    assert refused.value.needed == 1047.6 and refused.value.available == 100
    assert runtime.service.history(site_id) == []
