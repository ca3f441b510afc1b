"""Scheduled runs: the config says when a site is due; each due run starts once; daemons host it."""

from __future__ import annotations

import json
import signal
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from igny8_tui.automation.scheduler import NOT_STARTED, DueRunStarter
from igny8_tui.db.models import ActivityLog, AutomationConfig, AutomationRun, utcnow
from igny8_tui.runtime import Runtime
from igny8_tui.schemas import ConfigUpdate
from tests.conftest import DEMO_CSV, demo_site, invoke_igny8, start_igny8, wait_until
from tests.racers import race, start_racers

SITE = "green-thumb"
BERLIN = ZoneInfo("Europe/Berlin")


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)


def berlin(*fields: int) -> datetime:
    """A Berlin wall-clock time as a UTC instant (an ambiguous one: its first occurrence)."""
    return datetime(*fields, tzinfo=BERLIN).astimezone(UTC)


def _schedule(
    rt: Runtime,
    site_id: int,
    frequency: str = "daily",
    at: str = "02:00",
    zone: str = "UTC",
    anchor: date | None = None,
    next_run_at: datetime | None = None,
) -> None:
    """Switch scheduling on through the service, then pin the anchor and the due time."""
    rt.service.update_config(
        site_id,
        ConfigUpdate.model_validate(
            {"enabled": True, "frequency": frequency, "scheduled_time": at, "timezone": zone}
        ),
    )
    with rt.db.write() as s:
        config = s.scalars(
            select(AutomationConfig).where(AutomationConfig.site_id == site_id)
        ).one()
        if anchor is not None:
            config.schedule_anchor = anchor
        if next_run_at is not None:
            config.next_run_at = next_run_at


def _config(rt: Runtime, site_id: int) -> AutomationConfig:
    with rt.db.read() as s:
        return s.scalars(select(AutomationConfig).where(AutomationConfig.site_id == site_id)).one()


def _runs(rt: Runtime, site_id: int) -> list[AutomationRun]:
    with rt.db.read() as s:
        query = select(AutomationRun).where(AutomationRun.site_id == site_id)
        return list(s.scalars(query.order_by(AutomationRun.id)))


def _not_started_lines(rt: Runtime, site_id: int) -> list[ActivityLog]:
    with rt.db.read() as s:
        query = select(ActivityLog).where(
            ActivityLog.site_id == site_id, ActivityLog.message.startswith(NOT_STARTED)
        )
        return list(s.scalars(query.order_by(ActivityLog.id)))


def _starter(rt: Runtime) -> DueRunStarter:
    return DueRunStarter(rt.db, rt.service.create_run)


def _next_0200_utc(after: datetime) -> datetime:
    today = after.replace(hour=2, minute=0, second=0, microsecond=0)
    return today if today > after else today + timedelta(days=1)


# --- igny8 config set ---------------------------------------------------------------------------


def test_config_set_schedules_the_next_0200_utc_and_disabling_clears_it(
    home: Path, runtime: Runtime
) -> None:
    site_id = demo_site(runtime)
    before = utcnow()
    enabled = invoke_igny8(
        home,
        "config",
        "set",
        "--site",
        SITE,
        "enabled=true",
        "frequency=daily",
        "scheduled_time=02:00",
        "timezone=UTC",
        "--json",
    )
    after = utcnow()
    assert enabled.returncode == 0, enabled.stderr
    due = _config(runtime, site_id).next_run_at
    assert due in {_next_0200_utc(before), _next_0200_utc(after)}
    assert json.loads(enabled.stdout)["next_run_at"] == due.isoformat().replace("+00:00", "Z")

    shown = invoke_igny8(home, "config", "show", "--site", SITE, "--json")
    assert shown.returncode == 0, shown.stderr
    assert datetime.fromisoformat(json.loads(shown.stdout)["next_run_at"]) == due
    assert f"next_run_at = {due}" in invoke_igny8(home, "config", "show", "--site", SITE).stdout

    disabled = invoke_igny8(home, "config", "set", "--site", SITE, "enabled=false", "--json")
    assert disabled.returncode == 0, disabled.stderr
    assert json.loads(disabled.stdout)["next_run_at"] is None
    assert _config(runtime, site_id).next_run_at is None
    shown = invoke_igny8(home, "config", "show", "--site", SITE, "--json")
    assert json.loads(shown.stdout)["next_run_at"] is None


def test_changing_the_time_or_zone_of_a_weekly_schedule_keeps_its_weekday(
    runtime: Runtime,
) -> None:
    site_id = demo_site(runtime)
    _schedule(runtime, site_id, "weekly", "09:00", "UTC", anchor=date(2020, 1, 6))
    for change in ({"scheduled_time": "10:30"}, {"timezone": "Europe/Berlin"}):
        runtime.service.update_config(site_id, ConfigUpdate.model_validate(change))
        config = _config(runtime, site_id)
        assert config.schedule_anchor == date(2020, 1, 6)
        local = config.next_run_at.astimezone(ZoneInfo(config.timezone or "UTC"))
        assert (local.strftime("%A"), local.hour, local.minute) == ("Monday", 10, 30)


def test_resending_the_same_enabled_and_frequency_keeps_a_weekly_schedules_weekday(
    runtime: Runtime,
) -> None:
    site_id = demo_site(runtime)
    # 2020-01-06 was a Monday: the anchor falls on tomorrow's weekday, never on today's.
    today = utcnow().date()
    anchor = date(2020, 1, 6) + timedelta(days=(today.weekday() + 1) % 7)
    _schedule(runtime, site_id, "weekly", "09:00", "UTC", anchor=anchor)
    before = _config(runtime, site_id).next_run_at
    runtime.service.update_config(
        site_id, ConfigUpdate.model_validate({"enabled": True, "frequency": "weekly"})
    )
    config = _config(runtime, site_id)
    assert config.schedule_anchor == anchor
    assert config.next_run_at == before


# --- due checks with a frozen clock -------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "at", "anchor", "due", "late", "expected_next"),
    [
        # 02:00 on the last Sunday of October is ambiguous (its first occurrence, CEST); the next
        # day's 02:00 is CET, 25 hours later.
        ("daily", "02:00", date(2025, 10, 1), berlin(2025, 10, 26, 2, 0), 0, (2025, 10, 27)),
        ("daily", "09:00", date(2025, 3, 1), berlin(2025, 3, 29, 9, 0), 45, (2025, 3, 30)),
        ("weekly", "09:00", date(2025, 3, 1), berlin(2025, 3, 29, 9, 0), 0, (2025, 4, 5)),
        ("monthly", "09:00", date(2025, 1, 31), berlin(2025, 1, 31, 9, 0), 0, (2025, 2, 28)),
        ("monthly", "09:00", date(2025, 1, 31), berlin(2025, 9, 30, 9, 0), 5, (2025, 10, 31)),
    ],
    ids=[
        "daily-0200-across-october-dst",
        "daily-0900-across-march-dst-checked-late",
        "weekly-same-weekday-across-march-dst",
        "monthly-31st-clamps-to-feb-28",
        "monthly-31st-from-sep-30-across-october-dst",
    ],
)
def test_a_due_config_starts_one_scheduled_run_and_advances_one_period_in_local_time(
    runtime: Runtime,
    frequency: str,
    at: str,
    anchor: date,
    due: datetime,
    late: int,
    expected_next: tuple[int, int, int],
) -> None:
    site_id = demo_site(runtime)
    _schedule(runtime, site_id, frequency, at, "Europe/Berlin", anchor, next_run_at=due)
    starter = _starter(runtime)

    assert starter.check(due - timedelta(seconds=1)) == []
    assert _runs(runtime, site_id) == []
    assert _config(runtime, site_id).next_run_at == due

    outcomes = starter.check(due + timedelta(minutes=late))
    runs = _runs(runtime, site_id)
    assert [(r.trigger_type, r.status) for r in runs] == [("scheduled", "running")]
    assert [(o.site_id, o.due_at, o.run_id, o.reason) for o in outcomes] == [
        (site_id, due, runs[0].id, None)
    ]
    hour, minute = map(int, at.split(":"))
    next_run_at = _config(runtime, site_id).next_run_at
    assert next_run_at == berlin(*expected_next, hour, minute)
    local = next_run_at.astimezone(BERLIN)
    assert (local.date(), local.hour, local.minute) == (date(*expected_next), hour, minute)


def test_a_run_missed_while_no_host_was_up_starts_once_and_moves_to_the_next_due_time(
    runtime: Runtime,
) -> None:
    site_id = demo_site(runtime)
    _schedule(runtime, site_id, next_run_at=utc(2026, 5, 7, 2, 0))
    now = utc(2026, 5, 10, 12, 0)

    first = _starter(runtime).check(now)
    assert [o.due_at for o in first] == [utc(2026, 5, 7, 2, 0)]
    assert _config(runtime, site_id).next_run_at == utc(2026, 5, 11, 2, 0)
    assert _starter(runtime).check(now) == []
    assert _starter(runtime).check(now + timedelta(hours=13)) == []
    runs = _runs(runtime, site_id)
    assert [(r.id, r.trigger_type) for r in runs] == [(first[0].run_id, "scheduled")]
    assert _config(runtime, site_id).last_run_at == runs[0].started_at


def test_insufficient_credits_at_the_scheduled_time_starts_nothing_and_history_says_why(
    home: Path, runtime: Runtime
) -> None:
    site_id = demo_site(runtime, grant=0)
    needed = runtime.service.estimate(site_id).required_credits
    assert needed > 0
    _schedule(runtime, site_id, next_run_at=utc(2026, 5, 10, 2, 0))

    outcomes = _starter(runtime).check(utc(2026, 5, 10, 2, 0, 30))
    assert [(o.run_id, o.due_at) for o in outcomes] == [(None, utc(2026, 5, 10, 2, 0))]
    assert _runs(runtime, site_id) == []
    assert _config(runtime, site_id).next_run_at == utc(2026, 5, 11, 2, 0)
    expected = (
        f"{NOT_STARTED} (due 2026-05-10 02:00 UTC): insufficient credits: this run needs "
        f"{needed:,.1f} (estimate x1.2) and the balance is 0.0"
    )
    [line] = _not_started_lines(runtime, site_id)
    assert line.message.startswith(expected), line.message
    assert (line.level, line.run_id) == ("WARN", None)

    text = invoke_igny8(home, "history", "--site", SITE)
    assert text.returncode == 0, text.stderr
    assert expected in text.stdout
    shown = json.loads(invoke_igny8(home, "history", "--site", SITE, "--json").stdout)
    assert shown["runs"] == []
    assert [note["message"] for note in shown["not_started"]] == [line.message]


def test_a_due_schedule_with_nothing_to_do_starts_nothing_and_history_says_why(
    runtime: Runtime,
) -> None:
    site_id = runtime.workspace.add_site(SITE).id
    _schedule(runtime, site_id, next_run_at=utc(2026, 5, 10, 2, 0))
    outcomes = _starter(runtime).check(utc(2026, 5, 10, 2, 0, 30))
    assert [o.run_id for o in outcomes] == [None]
    assert _runs(runtime, site_id) == []
    [line] = _not_started_lines(runtime, site_id)
    assert line.message == (
        f"{NOT_STARTED} (due 2026-05-10 02:00 UTC): nothing to do for site {SITE}: import "
        f"keywords with `igny8 keywords import --site {SITE} FILE`"
    )


def test_a_site_with_an_active_run_gets_no_second_run_and_the_log_says_why(
    runtime: Runtime,
) -> None:
    site_id = demo_site(runtime)
    manual = runtime.service.run_now(site_id)
    _schedule(runtime, site_id, next_run_at=utc(2026, 5, 10, 2, 0))

    outcomes = _starter(runtime).check(utc(2026, 5, 10, 2, 0))
    assert [o.run_id for o in outcomes] == [None]
    assert [(r.id, r.trigger_type) for r in _runs(runtime, site_id)] == [(manual.run_id, "manual")]
    [line] = _not_started_lines(runtime, site_id)
    assert line.message == (
        f"{NOT_STARTED} (due 2026-05-10 02:00 UTC): already running: site {SITE!r} has active "
        f"run {manual.run_id} (running); wait for it, or pause/cancel it first"
    )
    assert _config(runtime, site_id).next_run_at == utc(2026, 5, 11, 2, 0)


# --- hosts racing -------------------------------------------------------------------------------

# Each racer opens the database, then checks due schedules once when the race starts.
RACER = """
from igny8_tui.automation.scheduler import DueRunStarter
from igny8_tui.runtime import Runtime
rt = Runtime.load(None, None, actor="racer")
starter = DueRunStarter(rt.db, rt.service.create_run)
ready_then_wait()
started = [o.run_id for o in starter.check() if o.run_id is not None]
print(len(started))
"""


def test_two_hosts_checking_at_the_same_moment_start_one_scheduled_run(
    home: Path, runtime: Runtime
) -> None:
    site_id = demo_site(runtime)
    _schedule(runtime, site_id)
    for attempt in range(3):
        with runtime.db.write() as s:
            config = s.scalars(select(AutomationConfig)).one()
            config.next_run_at = utcnow() - timedelta(hours=1)
        racers = start_racers(home, RACER)
        outputs = race(racers)
        assert all(r.returncode == 0 for r in racers), [err for _, err in outputs]
        assert sorted(out.split() for out, _ in outputs) == [["0"], ["1"]]
        active = [r for r in _runs(runtime, site_id) if r.status == "running"]
        assert [r.trigger_type for r in active] == ["scheduled"], f"attempt {attempt}"
        assert _config(runtime, site_id).next_run_at > utcnow()
        runtime.service.cancel(site_id, active[0].id)
    assert len(_runs(runtime, site_id)) == 3
    # The loser saw the run already started; it never tried a second one and failed.
    assert _not_started_lines(runtime, site_id) == []


# --- the daemon ---------------------------------------------------------------------------------


def test_the_daemon_starts_a_due_run_at_start_up_completes_it_and_exits_0_on_sigterm(
    home: Path, runtime: Runtime, tmp_path: Path
) -> None:
    # A dozen keywords keep the run short; the full demo file would take seconds longer.
    small_csv = tmp_path / "keywords.csv"
    small_csv.write_text("".join(DEMO_CSV.read_text().splitlines(keepends=True)[:13]))
    site_id = runtime.workspace.add_site(SITE).id
    runtime.workspace.import_keywords(site_id, small_csv)
    runtime.workspace.add_credits(1000)
    _schedule(runtime, site_id, next_run_at=utcnow() - timedelta(days=2))

    daemon = start_igny8(home, "daemon")
    try:
        wait_until(lambda: _runs(runtime, site_id), timeout_s=120, what="the scheduled run")
        wait_until(
            lambda: _runs(runtime, site_id)[0].status not in ("running", "paused"),
            timeout_s=240,
            what="the run to end",
        )
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=120)
    finally:
        daemon.kill()
    assert daemon.returncode == 0, err
    [run] = _runs(runtime, site_id)
    assert (run.trigger_type, run.status) == ("scheduled", "completed"), run.error_message
    assert f"site {site_id}: scheduled run {run.id} started" in err
    assert _config(runtime, site_id).next_run_at > utcnow()
