"""Bad input gets one clear line naming the problem, exit 2, and changes nothing.

The command runs in this process (`invoke_igny8`); the one-line errors of the real entry point
are checked in a real process by the last two tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import DEMO_CSV, invoke_igny8, run_igny8


@pytest.fixture
def site(home: Path) -> str:
    assert invoke_igny8(home, "site", "add", "green-thumb").returncode == 0
    return "green-thumb"


def _keyword_count(home: Path, site: str) -> int:
    listed = invoke_igny8(home, "keywords", "list", "--site", site, "--json")
    return len(json.loads(listed.stdout))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("keyword,volume\nraised beds,100\n,5\n", ":3: keyword: String should have at least 1"),
        ("keyword,volume\nraised beds,lots\n", ":2: volume: Input should be a valid integer"),
        ("keyword,difficulty\nraised beds,140\n", ":2: difficulty: Input should be less than"),
        ("keyword,intent\nraised beds,curious\n", ":2: intent: Input should be 'informational'"),
        ("term,volume\nraised beds,100\n", ":1: header row with a 'keyword' column is required"),
        ("keyword,colour\nraised beds,red\n", ":1: unknown column 'colour'"),
        ("keyword\nraised beds,100\n", ":2: more fields than the header has"),
    ],
)
def test_a_bad_csv_row_rejects_the_whole_file_naming_line_and_field(
    home: Path, site: str, body: str, expected: str
) -> None:
    invoke_igny8(home, "keywords", "import", "--site", site, str(DEMO_CSV))
    before = _keyword_count(home, site)
    bad = home / "bad.csv"
    bad.write_text(body)
    result = invoke_igny8(home, "keywords", "import", "--site", site, str(bad))
    assert result.returncode == 2
    assert result.stderr.startswith(f"igny8: error: {bad}{expected}")
    assert len(result.stderr.strip().splitlines()) == 1
    assert _keyword_count(home, site) == before


def test_duplicate_keywords_are_merged(home: Path, site: str) -> None:
    csv = home / "dupes.csv"
    csv.write_text("keyword,volume\nRaised Beds,100\nraised  beds,300\ncompost bins,50\n")
    result = invoke_igny8(home, "keywords", "import", "--site", site, str(csv), "--json")
    assert json.loads(result.stdout) | {"site": ""} == {
        "site": "",
        "rows": 3,
        "added": 2,
        "merged": 1,
    }
    again = invoke_igny8(home, "keywords", "import", "--site", site, str(csv), "--json")
    assert json.loads(again.stdout)["added"] == 0
    listed = json.loads(invoke_igny8(home, "keywords", "list", "--site", site, "--json").stdout)
    assert [(k["keyword"], k["volume"]) for k in listed] == [
        ("Raised Beds", 300),
        ("compost bins", 50),
    ]


@pytest.mark.parametrize(
    ("assignment", "expected"),
    [
        (
            "stage_4_batch_size=0",
            "stage_4_batch_size=0: Input should be greater than or equal to 1",
        ),
        ("stage_1_batch_size=many", "stage_1_batch_size=many: Input should be a valid integer"),
        ("frequency=hourly", "frequency=hourly: Input should be 'daily', 'weekly' or 'monthly'"),
        ("scheduled_time=25:00", "scheduled_time=25:00: Input should be in a valid time format"),
        ("within_stage_delay=-1", "within_stage_delay=-1: Input should be greater than or equal"),
        ("skip_stage_9=true", "skip_stage_9: unknown setting"),
        ("timezone=Mars/Olympus", "timezone=Mars/Olympus: Value error, unknown time zone"),
        ("enabled", "'enabled': expected key=value"),
    ],
)
def test_a_bad_config_value_changes_nothing(
    home: Path, site: str, assignment: str, expected: str
) -> None:
    before = invoke_igny8(home, "config", "show", "--site", site, "--json").stdout
    result = invoke_igny8(home, "config", "set", "--site", site, "stage_2_batch_size=7", assignment)
    assert result.returncode == 2
    assert result.stderr.startswith(f"igny8: error: {expected}")
    assert invoke_igny8(home, "config", "show", "--site", site, "--json").stdout == before


def test_config_set_validates_and_stores_every_value(home: Path, site: str) -> None:
    result = invoke_igny8(
        home,
        "config",
        "set",
        "--site",
        site,
        "stage_4_batch_size=3",
        "skip_stage_6=true",
        "scheduled_time=06:30",
        "frequency=weekly",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(invoke_igny8(home, "config", "show", "--site", site, "--json").stdout)
    assert (shown["stage_4_batch_size"], shown["skip_stage_6"]) == (3, True)
    assert (shown["scheduled_time"], shown["frequency"]) == ("06:30", "weekly")


def test_unknown_site_and_control_without_a_run_are_one_line_errors(home: Path, site: str) -> None:
    missing = run_igny8(home, "status", "--site", "nope")
    assert missing.returncode == 2
    assert missing.stderr == "igny8: error: no site 'nope'; `igny8 site list` shows the sites\n"
    idle = run_igny8(home, "pause", "--site", site)
    assert idle.returncode == 2
    assert idle.stderr == "igny8: error: site 'green-thumb' has no active run\n"


def test_a_bad_config_file_is_named_with_its_field(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text("[credits]\nper_idea = -2\n")
    result = run_igny8(home, "site", "list")
    assert result.returncode == 2
    assert result.stderr.startswith(f"igny8: error: {home / 'config.toml'}: credits.per_idea:")
