"""Commands that only read never write the database, and work on one this user may only read
(issue 9, defect 5)."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from igny8_tui.runtime import Runtime
from tests.conftest import demo_site, invoke_igny8, run_igny8
from tests.stderr_lines import error_line
from tests.unprivileged import run_igny8_unprivileged

SITE = "green-thumb"
READ_ONLY_COMMANDS: list[tuple[str, ...]] = [
    ("status", "--site", SITE),
    ("overview", "--site", SITE),
    ("processing", "--site", SITE),
    ("estimate", "--site", SITE),
    ("history", "--site", SITE),
    ("logs", "--site", SITE),
    ("config", "show", "--site", SITE),
    ("site", "list"),
    ("keywords", "list", "--site", SITE),
    ("clusters", "list", "--site", SITE),
    ("content", "list", "--site", SITE),
    ("db", "current"),
]
# A few of them, each a process of its own (about a second apiece).
SOME_READ_ONLY_COMMANDS = [READ_ONLY_COMMANDS[i] for i in (0, 4, 5, 8, 11)]


@pytest.fixture(scope="session")
def ran_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database after one whole run of a small site, closed (its WAL checkpointed away):
    made once per test run (a run takes seconds), shared by the xdist workers."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    home = shared / "read-only-template"
    db = home / "igny8.db"
    shared.mkdir(parents=True, exist_ok=True)
    with (shared / "read-only-template.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (home / "made").exists():
            shutil.rmtree(home, ignore_errors=True)  # a half-made one from a failed try
            runtime = Runtime.load(home, None, actor="test")
            demo_site(runtime, small=True)
            runtime.close()
            assert run_igny8(home, "run", "--site", SITE).returncode == 0
            assert not Path(f"{db}-wal").exists()
            (home / "made").touch()
    return db


@pytest.fixture
def ran_db(home: Path, ran_db_template: Path) -> Path:
    """This test's own copy of the template."""
    home.mkdir(parents=True, exist_ok=True)
    db = home / "igny8.db"
    shutil.copyfile(ran_db_template, db)
    os.chmod(db, 0o600)
    return db


def fingerprint(db: Path) -> tuple[str, int, list[str]]:
    """The file's bytes, its modification time and what lies beside it."""
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    beside = sorted(p.name for p in db.parent.iterdir() if p.name.startswith(db.name + "-"))
    return digest, db.stat().st_mtime_ns, beside


def test_read_only_commands_leave_the_database_file_as_it_was(ran_db: Path) -> None:
    before = fingerprint(ran_db)
    for args in READ_ONLY_COMMANDS:
        result = invoke_igny8(ran_db.parent, *args, "--json")
        assert result.returncode == 0, (args, result.stderr)
    assert fingerprint(ran_db) == before


def steady(output: str) -> object:
    """A command's JSON without what changes by the second (the time since a heartbeat)."""

    def drop(value: object) -> object:
        if isinstance(value, dict):
            return {k: drop(v) for k, v in value.items() if k != "seconds_since_heartbeat"}
        if isinstance(value, list):
            return [drop(v) for v in value]
        return value

    return drop(json.loads(output))


def _read_only(db: Path, directory_too: bool) -> None:
    os.chmod(db, 0o444)
    if directory_too:
        os.chmod(db.parent, 0o555)


@pytest.mark.parametrize("directory_too", [True, False], ids=["file-and-directory", "file"])
def test_read_only_commands_work_on_a_database_this_user_may_only_read(
    ran_db: Path, directory_too: bool
) -> None:
    home = ran_db.parent
    expected = {a: invoke_igny8(home, *a, "--json").stdout for a in SOME_READ_ONLY_COMMANDS}
    digest = fingerprint(ran_db)[0]
    _read_only(ran_db, directory_too)
    try:
        for args in SOME_READ_ONLY_COMMANDS:
            result = run_igny8_unprivileged(home, *args, "--json")
            assert result.returncode == 0, (args, result.stderr)
            assert steady(result.stdout) == steady(expected[args]), args
    finally:
        os.chmod(home, 0o700)
    assert fingerprint(ran_db)[0] == digest
    status = json.loads(expected[("status", "--site", SITE)])
    assert status["run"]["status"] == "completed"


def test_a_read_only_database_older_than_this_igny8_is_refused_naming_the_upgrade(
    ran_db: Path,
) -> None:
    with closing(sqlite3.connect(ran_db)) as conn, conn:
        conn.execute("DROP TABLE alembic_version")  # as made before igny8 had revisions
    _read_only(ran_db, directory_too=True)
    try:
        result = run_igny8_unprivileged(ran_db.parent, "status", "--site", SITE)
    finally:
        os.chmod(ran_db.parent, 0o700)
    line = error_line(result)
    assert f"{ran_db} is read-only" in line
    assert "igny8 db upgrade" in line
