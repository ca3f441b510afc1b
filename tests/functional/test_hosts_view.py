"""`igny8 hosts` and the hosts view: real host processes, real kill -9, SIGSTOP and SIGTERM,
and how each one shows: holding, stuck (with when it is recovered), stopped."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from igny8_tui.db.models import AutomationRun, Host, utcnow
from igny8_tui.runtime import Runtime
from igny8_tui.tui.app import Igny8App
from igny8_tui.tui.screens.hosts import HostsScreen
from tests.conftest import Igny8Process, demo_site, invoke_igny8, start_igny8, wait_until
from tests.functional.test_tui_dashboard import until

# A lease of 8 s: beats every 2 s, a run is stuck after 4 s of silence. An AI call of a second
# keeps the small site's run going for about a minute.
SLOW_HOST = {"IGNY8_LEASE_TTL_S": "8", "IGNY8_LOCAL_LATENCY_MS": "1000"}
SITE = "green-thumb"


def hosts(home: Path) -> list[dict[str, Any]]:
    shown = invoke_igny8(home, "hosts", "--json")
    assert shown.returncode == 0, shown.stderr
    listed: list[dict[str, Any]] = json.loads(shown.stdout)
    return listed


def host_of(home: Path, pid: int) -> dict[str, Any] | None:
    return next((h for h in hosts(home) if h["pid"] == pid), None)


def run_row(rt: Runtime) -> AutomationRun:
    with rt.db.read() as s:
        return s.scalars(select(AutomationRun)).one()


def daemon_holding_a_run(home: Path, runtime: Runtime) -> tuple[Igny8Process, dict[str, Any]]:
    """A real daemon holding the small site's run; its entry in `igny8 hosts --json`."""
    site_id = demo_site(runtime, SITE, small=True)
    runtime.service.run_now(site_id)
    runtime.db.dispose()
    daemon = start_igny8(home, "daemon", **SLOW_HOST)
    try:
        wait_until(
            lambda: (h := host_of(home, daemon.pid)) is not None and h["leases"],
            timeout_s=120,
            what="the daemon to hold the run",
        )
    except BaseException:
        daemon.kill()
        raise
    entry = host_of(home, daemon.pid)
    assert entry is not None
    return daemon, entry


def test_a_daemon_holding_a_run_then_killed_shows_it_stuck_then_its_lease_run_out(
    home: Path, runtime: Runtime
) -> None:
    daemon, entry = daemon_holding_a_run(home, runtime)
    try:
        run = run_row(runtime)
        assert entry["name"] == run.lease_owner and entry["name"].startswith("daemon:")
        assert entry["state"] == "holding" and entry["role"] == "daemon"
        (lease,) = entry["leases"]
        assert lease["run_id"] == run.id and lease["site_name"] == SITE
        assert lease["token"] == run.lease_token == entry["last_token"]
        assert not lease["stuck"] and lease["recovery"] is None
        assert entry["runs_claimed"] == 1 and entry["last_run_id"] == run.id
    finally:
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(timeout=120)
    killed = host_of(home, daemon.pid)
    assert killed is not None and killed["state"] == "gone"
    (lease,) = killed["leases"]
    if lease["seconds_until_expiry"] > 0:  # read before the lease ran out, as it nearly always is
        assert lease["stuck"]
        assert lease["recovery"] == "its process is gone: the next host here takes it at once"
    wait_until(lambda: run_row(runtime).lease_expires_at < utcnow(), what="the lease to run out")
    (lease,) = host_of(home, daemon.pid)["leases"]  # type: ignore[index]
    assert lease["stuck"] and lease["token"] == run_row(runtime).lease_token
    assert lease["recovery"].startswith("lease ran out 0:0")
    assert lease["recovery"].endswith(" ago: the next host to poll takes it")
    text = invoke_igny8(home, "hosts").stdout
    assert f"run {lease['run_id']} ({SITE}) is stuck: lease ran out" in text
    assert f"daemon {daemon.pid}" in text and "gone" in text


def test_a_stalled_host_is_recovered_unless_it_beats_again_and_a_clean_stop_shows_stopped(
    home: Path, runtime: Runtime
) -> None:
    daemon, _ = daemon_holding_a_run(home, runtime)
    try:
        daemon.send_signal(signal.SIGSTOP)

        def stuck() -> bool:
            entry = host_of(home, daemon.pid)
            return entry is not None and entry["leases"][0]["stuck"]

        wait_until(stuck, timeout_s=60, what="the stalled host's run to be stuck")
        (lease,) = host_of(home, daemon.pid)["leases"]  # type: ignore[index]
        assert lease["recovery"].startswith("recovered in 0:0")
        assert lease["recovery"].endswith(" unless its host beats again")
        daemon.send_signal(signal.SIGCONT)
        wait_until(lambda: not stuck(), timeout_s=60, what="the host to beat again")
        token = run_row(runtime).lease_token
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=120) == 0
    finally:
        daemon.send_signal(signal.SIGCONT)
        daemon.kill()
    stopped = host_of(home, daemon.pid)
    assert stopped is not None
    assert stopped["state"] == "stopped" and stopped["stopped_at"] is not None
    assert stopped["leases"] == []
    assert (stopped["last_run_id"], stopped["last_token"]) == (run_row(runtime).id, token)


def test_igny8_run_is_a_host_while_it_runs_and_stopped_after(home: Path, runtime: Runtime) -> None:
    demo_site(runtime, SITE, small=True)
    runtime.db.dispose()
    assert invoke_igny8(home, "run", "--site", SITE).returncode == 0
    (entry,) = hosts(home)
    assert entry["role"] == "run" and entry["state"] == "stopped"
    run = run_row(runtime)
    assert (entry["runs_claimed"], entry["last_run_id"]) == (1, run.id)
    assert entry["last_token"] == run.lease_token


def test_a_run_held_by_an_older_igny8_names_its_host_though_it_has_no_row(
    home: Path, runtime: Runtime
) -> None:
    site_id = demo_site(runtime, SITE, small=True)
    run_id = runtime.service.run_now(site_id).run_id
    with runtime.db.write() as s:
        run = s.get(AutomationRun, run_id)
        assert run is not None
        now = utcnow()
        run.lease_owner, run.lease_token = "daemon:old@elsewhere:77", 5
        run.heartbeat_at, run.lease_expires_at = now, now + timedelta(seconds=60)
    runtime.db.dispose()
    (entry,) = hosts(home)
    assert (entry["name"], entry["machine"], entry["pid"]) == (
        "daemon:old@elsewhere:77",
        "elsewhere",
        77,
    )
    assert entry["state"] == "holding" and entry["started_at"] is None
    assert [lease["token"] for lease in entry["leases"]] == [5]


def test_a_host_registering_forgets_hosts_silent_for_a_week(home: Path, runtime: Runtime) -> None:
    demo_site(runtime, SITE, small=True)
    with runtime.db.write() as s:
        long_ago = utcnow() - timedelta(days=8)
        s.add(
            Host(
                name="daemon:x@gone:1",
                role="daemon",
                machine="gone",
                pid=1,
                lease_ttl_s=60.0,
                started_at=long_ago,
                seen_at=long_ago,
                runs_claimed=3,
            )
        )
    runtime.db.dispose()
    assert invoke_igny8(home, "run", "--site", SITE).returncode == 0
    with closing(sqlite3.connect(home / "igny8.db")) as conn:
        names = [name for (name,) in conn.execute("SELECT name FROM hosts")]
    assert len(names) == 1 and names[0].startswith("run:")


def test_a_host_row_that_cannot_be_written_never_stops_the_run(
    home: Path, runtime: Runtime
) -> None:
    demo_site(runtime, SITE, small=True)
    runtime.db.dispose()
    ran = invoke_igny8(home, "run", "--site", SITE, "--json", IGNY8_FAULTS="hosts=ENOSPC")
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["status"] == "completed"
    assert hosts(home) == []


async def test_h_opens_the_hosts_view_with_this_dashboard_and_a_stuck_run(home: Path) -> None:
    """At 80x24: this dashboard's own host, and a run whose host on another machine went
    silent ten minutes ago with five left on its lease."""
    runtime = Runtime.for_role(home, None, "dashboard")
    site_id = demo_site(runtime, SITE, small=True)
    other = runtime.workspace.add_site("brew-lab")
    runtime.workspace.import_keywords(other.id, runtime.settings.home / "small-keywords.csv")
    run_id = runtime.service.run_now(other.id).run_id
    with runtime.db.write() as s:
        run = s.get(AutomationRun, run_id)
        assert run is not None
        now = utcnow()
        run.lease_owner, run.lease_token = "daemon:ops@far-away:4242", 7
        run.heartbeat_at, run.lease_expires_at = (
            now - timedelta(minutes=10),
            now + timedelta(minutes=5),
        )
    app = Igny8App(runtime, site_id)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.data is not None)
        await pilot.press("H")
        await until(pilot, lambda: isinstance(app.screen, HostsScreen) and bool(app.screen.hosts))
        screen = app.screen
        assert isinstance(screen, HostsScreen)

        def listed() -> str:
            table = screen.query_one("#hosts-table")
            return "\n".join(
                str(cell) for row in range(table.row_count) for cell in table.get_row_at(row)
            )

        await until(pilot, lambda: "recovered in 4:5" in listed())
        text = listed()
        assert "unless its host beats again" in text and f"run {run_id} · brew-lab" in text
        assert f"dashboard {os.getpid()}" in text
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.main_screen)
        await pilot.press("q")
    runtime.close()
