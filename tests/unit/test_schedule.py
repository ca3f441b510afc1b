"""When scheduled runs fall due: daily, weekly, monthly, across month ends and DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import tzlocal

from igny8_tui.automation.schedule import Frequency, next_run_at, resolve_zone

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
NINE = time(9, 0)
HALF_TWO = time(2, 30)


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)


def successive_runs(
    frequency: Frequency, at: time, zone: ZoneInfo, anchor: date, after: datetime, count: int
) -> list[datetime]:
    """Each run's time, fed back as `after` for the next, as the service does after a run."""
    runs: list[datetime] = []
    for _ in range(count):
        after = next_run_at(frequency, at, zone, anchor, after)
        runs.append(after)
    return runs


def local_dates(runs: list[datetime], zone: ZoneInfo) -> list[date]:
    return [run.astimezone(zone).date() for run in runs]


# --- daily -------------------------------------------------------------------------------------


def test_daily_run_before_the_scheduled_time_is_due_the_same_day() -> None:
    after = datetime(2026, 6, 3, 8, 59, tzinfo=TOKYO)
    assert next_run_at("daily", NINE, TOKYO, date(2026, 1, 1), after) == utc(2026, 6, 3, 0, 0)


def test_daily_run_after_the_scheduled_time_is_due_the_next_day() -> None:
    after = datetime(2026, 6, 3, 9, 1, tzinfo=TOKYO)
    assert next_run_at("daily", NINE, TOKYO, date(2026, 1, 1), after) == utc(2026, 6, 4, 0, 0)


def test_result_is_aware_utc() -> None:
    due = next_run_at("daily", NINE, TOKYO, date(2026, 1, 1), utc(2026, 6, 3, 12, 0))
    assert due.tzinfo is UTC


def test_after_in_another_zone_is_compared_as_an_instant() -> None:
    # 23:30 UTC on June 2 is already 08:30 on June 3 in Tokyo: June 3's run is still ahead.
    after = utc(2026, 6, 2, 23, 30)
    assert next_run_at("daily", NINE, TOKYO, date(2026, 1, 1), after) == utc(2026, 6, 3, 0, 0)


def test_after_equal_to_a_due_time_gives_the_next_one() -> None:
    due = utc(2026, 6, 3, 0, 0)
    assert next_run_at("daily", NINE, TOKYO, date(2026, 1, 1), due) == utc(2026, 6, 4, 0, 0)
    weekly = next_run_at("weekly", NINE, TOKYO, date(2026, 1, 7), due)
    assert weekly == utc(2026, 6, 10, 0, 0)


# --- weekly ------------------------------------------------------------------------------------

WEDNESDAY_ANCHOR = date(2026, 1, 7)


def test_weekly_run_falls_on_the_anchor_weekday() -> None:
    monday = datetime(2026, 6, 1, 12, 0, tzinfo=TOKYO)
    due = next_run_at("weekly", NINE, TOKYO, WEDNESDAY_ANCHOR, monday)
    assert due.astimezone(TOKYO) == datetime(2026, 6, 3, 9, 0, tzinfo=TOKYO)


def test_weekly_run_on_the_anchor_weekday_before_the_time_is_due_today() -> None:
    wednesday_morning = datetime(2026, 6, 3, 7, 0, tzinfo=TOKYO)
    due = next_run_at("weekly", NINE, TOKYO, WEDNESDAY_ANCHOR, wednesday_morning)
    assert due.astimezone(TOKYO) == datetime(2026, 6, 3, 9, 0, tzinfo=TOKYO)


def test_weekly_run_on_the_anchor_weekday_past_the_time_is_due_next_week() -> None:
    wednesday_noon = datetime(2026, 6, 3, 12, 0, tzinfo=TOKYO)
    due = next_run_at("weekly", NINE, TOKYO, WEDNESDAY_ANCHOR, wednesday_noon)
    assert due.astimezone(TOKYO) == datetime(2026, 6, 10, 9, 0, tzinfo=TOKYO)


def test_weekly_runs_keep_local_time_across_spring_forward() -> None:
    sunday_anchor = date(2026, 3, 22)
    runs = successive_runs("weekly", NINE, BERLIN, sunday_anchor, utc(2026, 3, 21), 2)
    assert runs == [utc(2026, 3, 22, 8, 0), utc(2026, 3, 29, 7, 0)]


# --- monthly -----------------------------------------------------------------------------------


def test_monthly_on_the_31st_clamps_to_feb_28_in_a_common_year_and_returns_to_the_31st() -> None:
    runs = successive_runs("monthly", NINE, TOKYO, date(2027, 1, 31), utc(2027, 1, 1), 5)
    assert local_dates(runs, TOKYO) == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
        date(2027, 5, 31),
    ]


def test_monthly_on_the_31st_clamps_to_feb_29_in_a_leap_year() -> None:
    runs = successive_runs("monthly", NINE, TOKYO, date(2028, 1, 31), utc(2028, 1, 1), 4)
    assert local_dates(runs, TOKYO) == [
        date(2028, 1, 31),
        date(2028, 2, 29),
        date(2028, 3, 31),
        date(2028, 4, 30),
    ]


def test_monthly_on_the_31st_rolls_from_december_into_january() -> None:
    runs = successive_runs("monthly", NINE, TOKYO, date(2026, 1, 31), utc(2026, 12, 1), 2)
    assert local_dates(runs, TOKYO) == [date(2026, 12, 31), date(2027, 1, 31)]


def test_monthly_on_the_15th_runs_on_the_15th_of_every_month() -> None:
    after = datetime(2026, 11, 20, tzinfo=TOKYO)
    runs = successive_runs("monthly", NINE, TOKYO, date(2026, 1, 15), after, 3)
    assert [run.astimezone(TOKYO) for run in runs] == [
        datetime(2026, 12, 15, 9, 0, tzinfo=TOKYO),
        datetime(2027, 1, 15, 9, 0, tzinfo=TOKYO),
        datetime(2027, 2, 15, 9, 0, tzinfo=TOKYO),
    ]


def test_monthly_on_the_15th_is_due_this_month_when_the_15th_is_still_ahead() -> None:
    after = datetime(2026, 6, 15, 8, 0, tzinfo=TOKYO)
    due = next_run_at("monthly", NINE, TOKYO, date(2026, 1, 15), after)
    assert due.astimezone(TOKYO) == datetime(2026, 6, 15, 9, 0, tzinfo=TOKYO)


# --- daylight saving ---------------------------------------------------------------------------
# Europe/Berlin 2026: clocks go 02:00 -> 03:00 on March 29 and 03:00 -> 02:00 on October 25.
# America/New_York 2026: clocks go 02:00 -> 03:00 on March 8 and 02:00 -> 01:00 on November 1.


@pytest.mark.parametrize(
    ("zone", "after", "expected"),
    [
        # Berlin spring forward: CET (+1) 08:00 UTC, then CEST (+2) 07:00 UTC.
        (BERLIN, utc(2026, 3, 27, 12), [utc(2026, 3, 28, 8), utc(2026, 3, 29, 7)]),
        # Berlin fall back: CEST (+2) 07:00 UTC, then CET (+1) 08:00 UTC.
        (BERLIN, utc(2026, 10, 23, 12), [utc(2026, 10, 24, 7), utc(2026, 10, 25, 8)]),
        # New York spring forward: EST (-5) 14:00 UTC, then EDT (-4) 13:00 UTC.
        (NEW_YORK, utc(2026, 3, 6, 18), [utc(2026, 3, 7, 14), utc(2026, 3, 8, 13)]),
        # New York fall back: EDT (-4) 13:00 UTC, then EST (-5) 14:00 UTC.
        (NEW_YORK, utc(2026, 10, 30, 18), [utc(2026, 10, 31, 13), utc(2026, 11, 1, 14)]),
    ],
    ids=["berlin-spring", "berlin-fall", "new-york-spring", "new-york-fall"],
)
def test_daily_0900_stays_0900_local_while_the_utc_offset_changes(
    zone: ZoneInfo, after: datetime, expected: list[datetime]
) -> None:
    runs = successive_runs("daily", NINE, zone, date(2026, 1, 1), after, 2)
    assert runs == expected
    assert {run.astimezone(zone).time() for run in runs} == {NINE}


@pytest.mark.parametrize(
    ("zone", "after", "expected"),
    [
        # 02:30 on March 29 does not exist in Berlin: runs at 03:30 CEST, 01:30 UTC.
        (
            BERLIN,
            utc(2026, 3, 27, 12),
            [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30)],
        ),
        # 02:30 on October 25 happens twice in Berlin: runs once, at the first (CEST, 00:30 UTC).
        (
            BERLIN,
            utc(2026, 10, 23, 12),
            [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)],
        ),
        # 02:30 on March 8 does not exist in New York: runs at 03:30 EDT, 07:30 UTC.
        (
            NEW_YORK,
            utc(2026, 3, 6, 18),
            [utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7, 30), utc(2026, 3, 9, 6, 30)],
        ),
        # New York repeats 01:00-02:00, so 02:30 on November 1 is plain EST, 07:30 UTC.
        (
            NEW_YORK,
            utc(2026, 10, 30, 18),
            [utc(2026, 10, 31, 6, 30), utc(2026, 11, 1, 7, 30), utc(2026, 11, 2, 7, 30)],
        ),
    ],
    ids=["berlin-spring", "berlin-fall", "new-york-spring", "new-york-fall"],
)
def test_daily_0230_across_dst_changes_runs_once_a_day(
    zone: ZoneInfo, after: datetime, expected: list[datetime]
) -> None:
    assert successive_runs("daily", HALF_TWO, zone, date(2026, 1, 1), after, 3) == expected


def test_nonexistent_0230_runs_at_0330_local_shifted_by_the_gap() -> None:
    due = next_run_at("daily", HALF_TWO, BERLIN, date(2026, 1, 1), utc(2026, 3, 28, 12))
    local = due.astimezone(BERLIN)
    assert (local.date(), local.time()) == (date(2026, 3, 29), time(3, 30))
    assert local.utcoffset() == timedelta(hours=2)


def test_ambiguous_0230_runs_at_its_first_occurrence() -> None:
    due = next_run_at("daily", HALF_TWO, BERLIN, date(2026, 1, 1), utc(2026, 10, 24, 12))
    first = datetime(2026, 10, 25, 2, 30, fold=0, tzinfo=BERLIN)
    second = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN)
    assert due == first.astimezone(UTC) == utc(2026, 10, 25, 0, 30)
    assert due < second.astimezone(UTC)


def test_ambiguous_0130_in_new_york_runs_at_its_first_occurrence() -> None:
    due = next_run_at("daily", time(1, 30), NEW_YORK, date(2026, 1, 1), utc(2026, 10, 31, 12))
    assert due == utc(2026, 11, 1, 5, 30)


# --- zones and input errors --------------------------------------------------------------------


def test_resolve_zone_without_a_name_gives_the_machine_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert resolve_zone(None) == tzlocal.get_localzone()
    monkeypatch.setattr(tzlocal, "get_localzone", lambda: ZoneInfo("Pacific/Auckland"))
    assert resolve_zone(None) == ZoneInfo("Pacific/Auckland")
    assert resolve_zone("") == ZoneInfo("Pacific/Auckland")


def test_resolve_zone_with_a_name_gives_that_zone() -> None:
    zone = resolve_zone("Asia/Tokyo")
    assert isinstance(zone, ZoneInfo)
    assert zone.key == "Asia/Tokyo"


def test_naive_after_is_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_run_at("daily", NINE, TOKYO, date(2026, 1, 1), datetime(2026, 6, 3, 12, 0))


def test_unknown_frequency_is_rejected() -> None:
    with pytest.raises(ValueError, match="frequency"):
        next_run_at("hourly", NINE, TOKYO, date(2026, 1, 1), utc(2026, 6, 3))  # type: ignore[arg-type]
