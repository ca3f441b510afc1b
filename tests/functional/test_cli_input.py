"""Bad input gets one clear line naming the problem, exit 2, and changes nothing.

The command runs in this process (`invoke_igny8`); the one-line errors of the real entry point
are checked in a real process by the last two tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from igny8_tui.runtime import Runtime
from tests.conftest import DEMO_CSV, demo_site, invoke_igny8, run_igny8


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
        (
            "keyword,volume\nraised beds,99999999999999999999999\n",
            ":2: volume: Input should be less than or equal to 2147483647",
        ),
        ("keyword\nraised beds\n" + "a" * 140_000 + "\n", ":3: a field is longer than 131,072"),
        ("keyword,volume,Keyword\nraised beds,1,x\n", ":1: column 'keyword' appears twice"),
        ("keyword\nraised\x00 beds\n", ":2: keyword: contains the control character U+0000"),
        ("keyword\nraised beds\x07\n", ":2: keyword: contains the control character U+0007"),
        ("keyword\n\x1b[31mraised beds\n", ":2: keyword: contains the control character U+001B"),
        ("keyword\nraised \u202ebeds\n", ":2: keyword: contains the control character U+202E"),
        ("keyword\n" + "\ufdfa" * 20 + "\n", ":2: keyword: longer than 300 characters once"),
    ],
    ids=[
        "empty-keyword",
        "volume-not-a-number",
        "difficulty-above-100",
        "unknown-intent",
        "no-keyword-column",
        "unknown-column",
        "too-many-fields",
        "volume-above-64-bits",
        "field-over-128-KiB",
        "keyword-column-twice",
        "keyword-with-NUL",
        "keyword-with-BEL",
        "keyword-with-ESC",
        "keyword-with-RLO",
        "keyword-too-long-once-normalised",
    ],
)
def test_a_bad_csv_row_rejects_the_whole_file_naming_line_and_field(
    home: Path, site: str, body: str, expected: str
) -> None:
    invoke_igny8(home, "keywords", "import", "--site", site, str(DEMO_CSV))
    before = _keyword_count(home, site)
    bad = home / "bad.csv"
    bad.write_text(body, encoding="utf-8")
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


def test_blank_volume_difficulty_and_intent_cells_are_missing_values(home: Path, site: str) -> None:
    csv = home / "blanks.csv"
    csv.write_text("keyword,volume,difficulty,intent\nraised beds,,,\ncompost bins,5\n")
    result = invoke_igny8(home, "keywords", "import", "--site", site, str(csv))
    assert result.returncode == 0, result.stderr
    listed = json.loads(invoke_igny8(home, "keywords", "list", "--site", site, "--json").stdout)
    assert [(k["keyword"], k["volume"], k["difficulty"], k["intent"]) for k in listed] == [
        ("compost bins", 5, None, None),
        ("raised beds", 0, None, None),
    ]


def test_full_width_and_compatibility_forms_merge_with_their_plain_forms(
    home: Path, site: str
) -> None:
    first = home / "full-width.csv"
    first.write_text("keyword,volume\nｇａｒｄｅｎ ｔｉｐｓ,100\nﬁsh ponds,10\n", encoding="utf-8")
    second = home / "plain.csv"
    second.write_text("keyword,volume\nGarden Tips,300\nfish  ponds,5\n", encoding="utf-8")
    assert invoke_igny8(home, "keywords", "import", "--site", site, str(first)).returncode == 0
    again = invoke_igny8(home, "keywords", "import", "--site", site, str(second), "--json")
    assert (json.loads(again.stdout)["added"], json.loads(again.stdout)["merged"]) == (0, 2)
    listed = json.loads(invoke_igny8(home, "keywords", "list", "--site", site, "--json").stdout)
    assert [(k["keyword"], k["volume"]) for k in listed] == [
        ("ｇａｒｄｅｎ ｔｉｐｓ", 300),
        ("ﬁsh ponds", 10),
    ]


def _credits(home: Path) -> dict[str, float]:
    shown: dict[str, float] = json.loads(invoke_igny8(home, "credits", "--json").stdout)
    return shown


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("nan", "--add: must be a finite number of credits, got nan"),
        ("inf", "--add: must be a finite number of credits, got inf"),
        ("-inf", "--add: must be a finite number of credits, got -inf"),
        ("1e30", "--add: at most 1,000,000 credits in one grant, got 1e+30"),
        ("0.0001", "--add: 0.0001 credits rounds to 0 (the ledger counts 0.001 credits)"),
        ("-5", "--add: must be a positive number of credits, got -5"),
        ("0", "--add: must be a positive number of credits, got 0"),
    ],
)
def test_a_grant_that_is_not_a_sensible_amount_is_refused_and_stores_nothing(
    home: Path, amount: str, expected: str
) -> None:
    assert invoke_igny8(home, "credits", "--add", "25").returncode == 0
    before = _credits(home)
    refused = invoke_igny8(home, "credits", f"--add={amount}")
    assert refused.returncode == 2
    assert refused.stderr == f"igny8: error: {expected}\n"
    assert _credits(home) == before == {"account": "default", "balance": 25, "ledger_sum": 25}


def test_the_smallest_grant_the_ledger_counts_is_stored(home: Path) -> None:
    assert invoke_igny8(home, "credits", "--add", "0.001").returncode == 0
    assert _credits(home)["balance"] == _credits(home)["ledger_sum"] == 0.001


def test_a_grant_that_would_overflow_the_balance_is_refused(home: Path) -> None:
    for _ in range(2):
        assert invoke_igny8(home, "credits", "--add", "1000000").returncode == 0
    refused = invoke_igny8(home, "credits", "--add", "1000000")
    assert refused.returncode == 2
    assert refused.stderr == (
        "igny8: error: --add: the balance would be 3,000,000 credits; "
        "it holds at most 2,147,483.647\n"
    )
    assert _credits(home)["balance"] == _credits(home)["ledger_sum"] == 2_000_000


def test_a_demo_with_no_demo_credits_grants_none(home: Path) -> None:
    made = invoke_igny8(home, "demo", "--json", IGNY8_DEMO_CREDITS="0")
    assert made.returncode == 0, made.stderr
    assert _credits(home)["balance"] == 0


def test_demo_credits_above_the_largest_grant_are_a_settings_error(home: Path) -> None:
    refused = invoke_igny8(home, "demo", "--json", IGNY8_DEMO_CREDITS="5000000")
    assert refused.returncode == 2
    assert refused.stderr.startswith("igny8: error: ")
    assert "demo_credits" in refused.stderr and "1000000" in refused.stderr


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("g" * 201, "site name: String should have at most 200 characters"),
        ("green\x1bthumb", "site name: contains the control character U+001B"),
        ("1234", "site name: digits only would read as a site id; give it a letter"),
        ("  ", "site name: String should have at least 1 character"),
    ],
    ids=["longer-than-its-column", "control-character", "digits-only", "blank"],
)
def test_a_bad_site_name_is_refused_with_the_rule_it_breaks(
    home: Path, site: str, name: str, expected: str
) -> None:
    refused = invoke_igny8(home, "site", "add", name)
    assert refused.returncode == 2
    assert refused.stderr == f"igny8: error: {expected}\n"
    listed = json.loads(invoke_igny8(home, "site", "list", "--json").stdout)
    assert [s["name"] for s in listed] == [site]


def test_a_site_name_as_long_as_its_column_is_stored(home: Path) -> None:
    assert invoke_igny8(home, "site", "add", "g" * 200).returncode == 0


def test_logs_of_a_run_the_site_does_not_have_is_an_error(runtime: Runtime, home: Path) -> None:
    site_id = demo_site(runtime, "site-a", small=True)
    runtime.workspace.add_site("site-b")
    run_id = runtime.service.run_now(site_id).run_id
    runtime.db.dispose()
    assert invoke_igny8(home, "logs", "--site", "site-a", "--run", str(run_id)).returncode == 0
    for ref, run in (("site-a", 999), ("site-b", run_id)):
        refused = invoke_igny8(home, "logs", "--site", ref, "--run", str(run))
        assert refused.returncode == 2
        assert refused.stderr == f"igny8: error: no run {run} for site {ref!r}\n"
        followed = invoke_igny8(home, "logs", "--site", ref, "--run", str(run), "--follow")
        assert (followed.returncode, followed.stderr) == (2, refused.stderr)


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


def test_an_error_quoting_a_newline_or_an_escape_stays_on_one_line(home: Path, site: str) -> None:
    result = invoke_igny8(home, "config", "set", "--site", site, "frequency=week\nly\x1b[2J")
    assert result.returncode == 2
    assert result.stderr == (
        "igny8: error: frequency=week\\nly\\x1b[2J: "
        "Input should be 'daily', 'weekly' or 'monthly'\n"
    )


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
