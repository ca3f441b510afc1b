"""A run whose host died: recovered at once when that host was a process of this machine,
otherwise named as stuck with the time left until any host recovers it."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from igny8_tui.runtime import Runtime
from tests.conftest import Igny8Process, demo_site, invoke_igny8, run_igny8, start_igny8, wait_until

SITE = "slow-site"
SLOW = {"IGNY8_LOCAL_LATENCY_MS": "300", "IGNY8_LEASE_TTL_S": "600"}


def _hosted_by(home: Path) -> str | None:
    shown = invoke_igny8(home, "status", "--site", SITE, "--json")
    run = json.loads(shown.stdout)["run"]
    return str(run["host"]) if run and run["host"] else None


def _first_host(home: Path, runtime: Runtime) -> Igny8Process:
    """`igny8 run` executing the small site's run, slowly, with a ten-minute lease."""
    demo_site(runtime, SITE, small=True)
    runtime.db.dispose()
    first = start_igny8(home, "run", "--site", SITE, **SLOW)
    try:
        wait_until(lambda: _hosted_by(home), timeout_s=120, what="the first host")
    except BaseException:
        first.kill()
        raise
    return first


def test_a_run_whose_host_was_killed_here_is_recovered_at_once_not_after_its_lease(
    home: Path, runtime: Runtime
) -> None:
    first = _first_host(home, runtime)
    first.send_signal(signal.SIGKILL)
    first.wait()
    # The lease has ten minutes left, but its holder is gone from this machine.
    second = run_igny8(home, "run", "--site", SITE, IGNY8_LEASE_TTL_S="600")
    assert second.returncode == 0, second.stderr
    assert "Traceback" not in second.stderr
    logs = run_igny8(home, "logs", "--site", SITE, "--lines", "1000").stdout
    assert "from run:" in logs and f":{first.pid} (no heartbeat" in logs


def test_run_on_a_site_another_live_host_executes_names_it_and_when_it_would_be_recovered(
    home: Path, runtime: Runtime
) -> None:
    first = _first_host(home, runtime)
    try:
        second = invoke_igny8(home, "run", "--site", SITE)
        assert second.returncode == 2
        message = second.stderr.strip()
        assert len(message.splitlines()) == 1
        assert "hosted by run:" in message and f":{first.pid}" in message
        assert "recovers it in " in message and "s, when its lease runs out" in message
    finally:
        first.kill()
        first.wait()
