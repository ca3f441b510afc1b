"""One active run per site, enforced by the database across processes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from igny8_tui.db.models import AutomationRun
from igny8_tui.errors import AlreadyRunningError
from igny8_tui.runtime import Runtime
from tests.conftest import demo_site
from tests.racers import race, start_racers

# Each racer opens the database, then calls run_now once when the race starts.
RACER = """
from igny8_tui.errors import AlreadyRunningError
from igny8_tui.runtime import Runtime
rt = Runtime.load(None, None, actor="racer")
rt.db
ready_then_wait()
try:
    print("started", rt.service.run_now(int(sys.argv[1])).run_id)
except AlreadyRunningError as exc:
    print("refused", exc)
"""


def test_two_processes_racing_run_now_create_exactly_one_run(home: Path, runtime: Runtime) -> None:
    site_id = demo_site(runtime)
    for attempt in range(4):
        racers = start_racers(home, RACER, str(site_id))
        outputs = race(racers)
        lines = sorted(out.strip() for out, err in outputs)
        assert all(r.returncode == 0 for r in racers), [err for _, err in outputs]
        assert lines[0].startswith("refused already running: site 'green-thumb' has active run")
        assert lines[1].startswith("started ")
        run_id = int(lines[1].split()[1])
        assert f"active run {run_id} (running)" in lines[0]
        with runtime.db.read() as s:
            active = s.scalars(select(AutomationRun).where(AutomationRun.status == "running")).all()
        assert [r.id for r in active] == [run_id], f"attempt {attempt}"
        runtime.service.cancel(site_id, run_id)


def test_run_now_names_the_active_run_and_creates_nothing(runtime: Runtime) -> None:
    site_id = demo_site(runtime)
    first = runtime.service.run_now(site_id)
    with pytest.raises(AlreadyRunningError, match=f"active run {first.run_id} \\(running\\)"):
        runtime.service.run_now(site_id)
    assert len(runtime.service.history(site_id)) == 1
