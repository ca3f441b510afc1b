"""An error igny8 did not foresee is one line and exit 1, with the details in a crash log; with
--debug the traceback is shown (issue 9). The fault here is real: a database whose schema lost a
column behind igny8's back, which no code path anticipates."""

from __future__ import annotations

import fcntl
import os
import platform
import pty
import re
import select
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import time
from contextlib import closing
from pathlib import Path

import pytest

import igny8_tui
from igny8_tui.runtime import Runtime
from tests.conftest import demo_site, igny8_env, run_igny8, start_igny8, wait_until
from tests.stderr_lines import error_line

CRASH_LINE = re.compile(
    r"^igny8: unexpected error: OperationalError: .+; details in (?P<log>/\S+\.log)"
)
ANSI_ESCAPE = re.compile(r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07]*\x07|[PX^_][^\x1b]*\x1b\\\\|.)")
NOT_FOUND = "igny8: error: no site 'nowhere'; `igny8 site list` shows the sites"


def drop_columns(db: Path, *columns: str) -> None:
    """Drop `table.column`s with sqlite3 directly, behind igny8's back."""
    with closing(sqlite3.connect(db)) as conn, conn:
        for column in columns:
            table, name = column.split(".")
            conn.execute(f"ALTER TABLE {table} DROP COLUMN {name}")


@pytest.fixture
def small_db(runtime: Runtime) -> Path:
    demo_site(runtime, small=True)
    runtime.close()
    return runtime.settings.home / "igny8.db"


@pytest.fixture
def damaged_db(small_db: Path) -> Path:
    """A real igny8 database, then columns of its sites and runs dropped."""
    drop_columns(small_db, "sites.domain", "automation_runs.lease_owner")
    return small_db


def crash_line(
    result: subprocess.CompletedProcess[str], only_line: bool = True
) -> tuple[str, Path]:
    """The line an unexpected error leaves, exit 1, and the crash log it names; the only line
    on stderr, unless the command logs there (the daemon)."""
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    if only_line:
        assert len(lines) == 1, result.stderr
    match = CRASH_LINE.match(lines[-1])
    assert match, lines[-1]
    log = Path(match["log"])
    assert "Traceback (most recent call last)" in log.read_text()
    return lines[-1], log


def test_an_unexpected_error_is_one_line_naming_a_crash_log_with_the_details(
    damaged_db: Path,
) -> None:
    home = damaged_db.parent
    line, log = crash_line(run_igny8(home, "site", "list"))
    assert "no such column: sites.domain" in line
    assert log.parent == home / "crash"
    assert re.fullmatch(r"\d{8}T\d{6}Z-\d+\.log", log.name)
    assert log.stat().st_mode & 0o777 == 0o600
    text = log.read_text()
    assert "Traceback (most recent call last)" in text
    assert "no such column: sites.domain" in text
    assert f"igny8 {igny8_tui.__version__}" in text
    assert f"Python {platform.python_version()}" in text
    assert "command: igny8 site list\n" in text


def test_credentials_in_the_command_line_stay_out_of_the_crash_log(damaged_db: Path) -> None:
    domain = "https://bob:s3cret@shop.example"  # pasted with the shop's credentials in it
    result = run_igny8(damaged_db.parent, "site", "add", "shop", "--domain", domain)
    line, log = crash_line(result)
    text = log.read_text()
    assert "command: igny8 site add shop --domain 'https://***@shop.example'" in text
    assert "has no column named domain" in text  # the SQL's parameters are in the traceback
    assert "s3cret" not in text + line and "bob" not in text + line


def test_every_command_is_covered_also_the_dashboard_and_the_daemon(damaged_db: Path) -> None:
    home = damaged_db.parent
    for args in (("dashboard",), ("demo", "--json")):
        crash_line(run_igny8(home, *args))
    _, log = crash_line(run_igny8(home, "daemon"), only_line=False)
    assert "no such column: automation_runs.lease_owner" in log.read_text()


def test_a_data_directory_that_cannot_take_the_crash_log_sends_it_to_the_temp_dir(
    damaged_db: Path, tmp_path: Path
) -> None:
    home = damaged_db.parent
    (home / "crash").write_text("a file where the crash directory would go\n")
    temp = tmp_path / "temp"
    temp.mkdir()
    line, log = crash_line(run_igny8(home, "site", "list", TMPDIR=str(temp)))
    assert log.parent == temp
    assert f"the data directory could not take it ({home / 'crash'}" in line
    assert "no such column: sites.domain" in log.read_text()


@pytest.mark.parametrize("how", ["--debug", "IGNY8_DEBUG"])
def test_debug_shows_the_traceback(damaged_db: Path, how: str) -> None:
    home = damaged_db.parent
    flags = ("--debug",) if how == "--debug" else ()
    env = {"IGNY8_DEBUG": "1"} if how == "IGNY8_DEBUG" else {}
    result = run_igny8(home, *flags, "site", "list", **env)
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "no such column: sites.domain" in result.stderr
    assert CRASH_LINE.match(result.stderr.strip().splitlines()[-1])


def test_debug_shows_the_traceback_of_a_user_error_too(home: Path) -> None:
    assert error_line(run_igny8(home, "status", "--site", "nowhere")) == NOT_FOUND
    debug = run_igny8(home, "--debug", "status", "--site", "nowhere")
    assert debug.returncode == 2
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1] == NOT_FOUND


def test_a_usage_error_keeps_clicks_exit_code_2(home: Path) -> None:
    result = run_igny8(home, "status", "--no-such-flag")
    assert result.returncode == 2
    assert "No such option" in result.stderr
    assert not (home / "crash").exists()


def test_ctrl_c_in_a_command_exits_130_with_one_line(small_db: Path) -> None:
    home = small_db.parent
    follower = start_igny8(home, "logs", "--site", "green-thumb", "--follow")
    wait_until(lambda: Path(f"{home / 'igny8.db'}-shm").exists(), what="the database opened")
    follower.send_signal(signal.SIGINT)
    _, err = follower.communicate(timeout=30)
    assert follower.returncode == 130
    assert err.strip().splitlines() == ["igny8: interrupted"]


def test_the_dashboard_ends_when_its_host_fails_with_one_line_and_a_crash_log(
    small_db: Path,
) -> None:
    drop_columns(small_db, "automation_runs.lease_owner")  # what the host looks for runs by
    returncode, screen = on_a_terminal(small_db.parent, "dashboard")
    assert returncode == 1
    assert "Traceback" not in screen
    line = screen.strip().splitlines()[-1]
    match = re.search(r"igny8: unexpected error: OperationalError: .*; details in (\S+\.log)", line)
    assert match, line
    assert "no such column: automation_runs.lease_owner" in Path(match[1]).read_text()


def on_a_terminal(home: Path, *args: str, timeout_s: float = 60) -> tuple[int, str]:
    """Run the command on a pseudo-terminal of 80x24 until it ends: its exit code and all it
    wrote there (the dashboard draws on stderr), escape sequences removed."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "igny8_tui", *args],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=igny8_env(home, TERM="xterm-256color"),
    )
    os.close(terminal)
    written = bytearray()
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.2)
            chunk = _read(controller) if ready else b""
            written += chunk
            if not chunk and process.poll() is not None:
                break
        returncode = process.wait(timeout=1)
    finally:
        process.kill()
        os.close(controller)
    return returncode, ANSI_ESCAPE.sub("", written.decode(errors="replace"))


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # the other side closed: Linux reports EIO
        return b""


def test_a_reader_that_goes_away_is_not_a_crash(small_db: Path) -> None:
    """`igny8 keywords list ... | head -1`: the pipe closes early; click's handling stays."""
    reader = subprocess.Popen(
        [sys.executable, "-m", "igny8_tui", "keywords", "list", "--site", "green-thumb"],
        env=igny8_env(small_db.parent),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.close()
    err = reader.stderr.read()
    assert reader.wait(timeout=60) == 1
    assert err == ""
    assert not (small_db.parent / "crash").exists()
