"""Properties of operator input, for any input hypothesis makes up: a keyword file is imported
or refused, a `config set` is stored or refused; a refusal is one line and exit 2, never a
traceback, and leaves the database file byte for byte as it was.

Each test keeps one data directory for all its examples (hypothesis runs the examples inside
one call of the test function), and compares the database only around each example."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from igny8_tui.schemas import ConfigUpdate
from tests.conftest import invoke_igny8

SITE = "green-thumb"
EXAMPLES = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data directory with one site, shared by every example of this module's tests."""
    home = tmp_path_factory.mktemp("properties") / "igny8-home"
    assert invoke_igny8(home, "site", "add", SITE).returncode == 0
    return home


def _database_state(home: Path) -> tuple[str, list[str]]:
    """The database file's digest, and the names of the files beside it (a WAL left behind
    would hold changes the main file does not show yet)."""
    digest = hashlib.sha256((home / "igny8.db").read_bytes()).hexdigest()
    return digest, sorted(p.name for p in home.glob("igny8.db*"))


def _assert_refused_in_one_line(stderr: str) -> None:
    assert stderr.startswith("igny8: error: "), stderr
    assert stderr.endswith("\n") and stderr.count("\n") == 1, stderr
    assert "Traceback" not in stderr


# ----- keyword files -----

ODD_COLUMNS = st.lists(
    st.sampled_from(["keyword", "Keyword", " VOLUME ", "intent", "colour", ""]), max_size=4
)
GOOD_COLUMNS = st.lists(
    st.sampled_from(["volume", "difficulty", "intent"]), unique=True, max_size=3
).flatmap(lambda rest: st.permutations(["keyword", *rest]))
ODD_VALUES = st.sampled_from(
    [
        "",
        " ",
        "ｇａｒｄｅｎ ｔｉｐｓ",
        "Garden  Tips",
        "ﬁsh",
        "\x00",
        "raised\x07beds",
        "\x1b[31mred",
        "left\u202eright",
        "\ufdfa" * 30,
        "k" * 301,
        "9" * 30,
        "1e3",
        '"',
        "a" * 131_073,
    ]
)
ANY_VALUE = st.one_of(
    st.text(max_size=20),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats().map(str),
    ODD_VALUES,
)
# What each column usually holds, so that many files get past their first row.
COLUMN_VALUES = {
    "keyword": st.text(
        st.characters(exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp"), exclude_characters=',"'),
        min_size=1,
        max_size=20,
    ),
    "volume": st.integers(min_value=0, max_value=2**70).map(str),
    "difficulty": st.integers(min_value=0, max_value=120).map(str),
    "intent": st.sampled_from(["informational", "Commercial", "navigational", "", "curious"]),
}


def _value(column: str) -> st.SearchStrategy[str]:
    usual = COLUMN_VALUES.get(column, ANY_VALUE)
    return st.one_of(usual, usual, usual, ANY_VALUE)


@st.composite
def _row(draw: st.DrawFn, header: list[str]) -> list[str]:
    row = [draw(_value(column)) for column in header]
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        row = row[:-1] if draw(st.booleans()) else [*row, draw(ANY_VALUE)]
    return row


@st.composite
def keyword_files(draw: st.DrawFn) -> bytes:
    """A CSV file as an operator might hand one over: mostly a good header and sensible values
    with odd ones among them, well quoted or not, in UTF-8; sometimes a bad header, another
    encoding, or any bytes at all."""
    kind = draw(st.integers(min_value=0, max_value=9))
    if kind == 0:
        return draw(st.binary(max_size=64))
    header = draw(ODD_COLUMNS if kind == 1 else GOOD_COLUMNS)
    rows = draw(st.lists(_row(header), max_size=5))
    if draw(st.booleans()):
        out = io.StringIO()
        csv.writer(out).writerows([header, *rows])
        text = out.getvalue()
    else:
        separator = draw(st.sampled_from(["\n", "\r\n", "\r"]))
        text = separator.join(",".join(row) for row in [header, *rows])
    encoding = draw(st.sampled_from(["utf-16", "latin-1"])) if kind == 2 else "utf-8"
    bom = "\ufeff" if kind == 3 else ""
    return (bom + text).encode(encoding, errors="replace")


@EXAMPLES
@given(document=keyword_files())
@example(document=b"keyword,volume\nraised beds,99999999999999999999999\n")
@example(document=b"keyword,keyword\nraised beds,compost\n")
@example(document="keyword\nrais\u202eed beds\n".encode())
def test_any_keyword_file_is_imported_or_refused_in_one_line_leaving_the_database_as_it_was(
    home: Path, document: bytes
) -> None:
    path = home / "keywords.csv"
    path.write_bytes(document)
    before = _database_state(home)
    result = invoke_igny8(home, "keywords", "import", "--site", SITE, str(path), "--json")
    assert result.returncode in (0, 2), result.stderr
    if result.returncode == 2:
        _assert_refused_in_one_line(result.stderr)
        assert _database_state(home) == before
    else:
        report = json.loads(result.stdout)
        assert report["added"] + report["merged"] == report["rows"]


# ----- config set -----

SETTING_NAMES = list(ConfigUpdate.model_fields)
ANY_SETTING_VALUE = st.one_of(
    st.text(max_size=30),
    st.integers().map(str),
    st.floats().map(str),
    st.sampled_from(["../../etc/passwd", "Europe", "06:30:15", "hourly", "\x00", "9" * 40]),
)
BOOLEANS = st.sampled_from(["true", "false", "yes", "0", "maybe"])
# What each setting usually gets, so that many updates are stored.
USUAL_SETTING_VALUES: dict[str, st.SearchStrategy[str]] = {
    "enabled": BOOLEANS,
    "frequency": st.sampled_from(["daily", "weekly", "monthly", "hourly"]),
    "scheduled_time": st.times().map(lambda t: t.strftime("%H:%M")),
    "timezone": st.sampled_from(["Europe/Paris", "UTC", "Asia/Tokyo", "", "Mars/Olympus"]),
    **{f"stage_{n}_batch_size": st.integers(-2, 1100).map(str) for n in range(1, 7)},
    "within_stage_delay": st.integers(-2, 4000).map(str),
    "between_stage_delay": st.integers(-2, 4000).map(str),
    **{f"skip_stage_{n}": BOOLEANS for n in range(1, 8)},
}


@st.composite
def _assignment(draw: st.DrawFn) -> str:
    """Mostly a known setting with a value of its kind; sometimes anything at all."""
    kind = draw(st.integers(min_value=0, max_value=9))
    if kind == 0:
        return draw(st.text(max_size=20))
    key = draw(st.text(max_size=20)) if kind == 1 else draw(st.sampled_from(SETTING_NAMES))
    value = draw(
        ANY_SETTING_VALUE if kind == 2 else USUAL_SETTING_VALUES.get(key, ANY_SETTING_VALUE)
    )
    return f"{key}={value}"


ASSIGNMENTS = st.lists(_assignment(), min_size=1, max_size=3)


@EXAMPLES
@given(assignments=ASSIGNMENTS)
@example(assignments=["frequency=week\nly"])
@example(assignments=["stage_1_batch_size=99999999999999999999999"])
def test_any_config_set_is_stored_or_refused_in_one_line_leaving_the_database_as_it_was(
    home: Path, assignments: list[str]
) -> None:
    before = _database_state(home)
    result = invoke_igny8(home, "config", "set", "--site", SITE, "--", *assignments)
    assert result.returncode in (0, 2), result.stderr
    if result.returncode == 2:
        _assert_refused_in_one_line(result.stderr)
        assert _database_state(home) == before
