"""A database igny8 cannot use is one line naming it and what to do, exit 2; nothing of the
operator's is changed on the way (issue 9, defect 5)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from igny8_tui.runtime import Runtime
from tests.conftest import demo_site, invoke_igny8, run_igny8
from tests.stderr_lines import error_line
from tests.unprivileged import run_igny8_unprivileged

PAGE_SIZE = 4096


@pytest.fixture
def filled_db(runtime: Runtime) -> Path:
    """A real igny8 database with a site, its keywords and credits, closed (WAL checkpointed)."""
    demo_site(runtime, small=True)
    runtime.close()
    path = runtime.settings.home / "igny8.db"
    assert not Path(f"{path}-wal").exists()
    return path


def leftovers(path: Path) -> list[Path]:
    return [p for p in path.parent.iterdir() if p.name.startswith(path.name + "-")]


# ----- a file that is not a database -----


@pytest.mark.parametrize("given_by", ["--db", "IGNY8_DB", "the default location"])
def test_a_file_that_is_not_a_database_is_named_and_left_as_it_was(
    tmp_path: Path, home: Path, given_by: str
) -> None:
    home.mkdir()
    victim = home / "igny8.db" if given_by == "the default location" else tmp_path / "notes.txt"
    victim.write_text("shopping list: compost, seeds\n")
    os.chmod(victim, 0o644)
    url = f"sqlite:///{victim}"
    args: tuple[str, ...] = ("--db", url) if given_by == "--db" else ()
    env = {"IGNY8_DB": url} if given_by == "IGNY8_DB" else {}
    line = error_line(run_igny8(home, "site", "list", *args, **env))
    assert f"{victim} is not a database" in line
    assert "--db" in line and "IGNY8_DB" in line
    assert victim.read_text() == "shopping list: compost, seeds\n"
    assert victim.stat().st_mode & 0o777 == 0o644
    assert leftovers(victim) == []


def test_a_command_that_would_write_leaves_a_non_database_file_alone(
    tmp_path: Path, home: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"not yours\n" * 100)
    os.chmod(victim, 0o640)
    line = error_line(invoke_igny8(home, "site", "add", "x", "--db", f"sqlite:///{victim}"))
    assert str(victim) in line
    assert victim.read_bytes() == b"not yours\n" * 100
    assert victim.stat().st_mode & 0o777 == 0o640
    assert leftovers(victim) == []


# ----- a damaged database -----


def test_a_truncated_database_is_named_with_how_to_recover_it(filled_db: Path) -> None:
    os.truncate(filled_db, filled_db.stat().st_size // 2)
    for args in (("site", "list"), ("keywords", "list", "--site", "green-thumb")):
        line = error_line(invoke_igny8(filled_db.parent, *args))
        assert f"{filled_db} is damaged" in line
        assert "backup" in line and ".recover" in line


def test_a_database_with_pages_overwritten_in_the_middle_is_named_as_damaged(
    filled_db: Path,
) -> None:
    data = bytearray(filled_db.read_bytes())
    pages = len(data) // PAGE_SIZE
    assert pages > 4
    for page in range(1, pages - 1):  # every page but the first (the header) and the last
        data[page * PAGE_SIZE : (page + 1) * PAGE_SIZE] = b"\xa5" * PAGE_SIZE
    filled_db.write_bytes(bytes(data))
    line = error_line(run_igny8(filled_db.parent, "keywords", "list", "--site", "green-thumb"))
    assert f"{filled_db} is damaged" in line
    assert "sqlite3" in line and ".recover" in line


# ----- a database URL igny8 cannot open -----


def test_a_database_whose_directory_cannot_be_made_is_named(tmp_path: Path, home: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory\n")
    path = tmp_path / "a-file" / "igny8.db"
    line = error_line(invoke_igny8(home, "site", "list", "--db", f"sqlite:///{path}"))
    assert f"cannot create the database {path}" in line


def test_a_directory_given_as_the_database_is_named(tmp_path: Path, home: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    line = error_line(invoke_igny8(home, "site", "list", "--db", f"sqlite:///{folder}"))
    assert f"{folder} is a directory" in line
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgresql://[::1", "cannot read the database URL"),
        ("not a url at all", "cannot read the database URL"),
        ("nosuchdialect://x", "igny8 works with SQLite and PostgreSQL"),
        ("mysql://bob@db.example/igny8", "igny8 works with SQLite and PostgreSQL"),
        ("postgresql+nosuchdriver://db.example/igny8", "no PostgreSQL driver 'nosuchdriver'"),
        ("sqlite://bob:s3cret@//tmp/igny8.db", "cannot use the database URL 'sqlite://***@"),
    ],
)
def test_a_database_url_igny8_cannot_use_is_one_line(home: Path, url: str, said: str) -> None:
    line = error_line(invoke_igny8(home, "site", "list", "--db", url))
    assert said in line
    assert "s3cret" not in line


@pytest.mark.parametrize("driver", ["pg8000", "asyncpg"])
def test_a_postgresql_driver_that_is_not_installed_is_named_with_what_to_install(
    home: Path, driver: str
) -> None:
    if importlib.util.find_spec(driver) is not None:
        pytest.skip(f"{driver} is installed here")
    url = f"postgresql+{driver}://bob:s3cret@db.example/igny8"
    line = error_line(invoke_igny8(home, "site", "list", "--db", url))
    assert "pip install" in line
    assert "s3cret" not in line
    if driver == "pg8000":
        assert "'pg8000'" in line
    else:  # an asyncio driver would not work even once installed
        assert "asyncio" in line and "postgresql+psycopg://" in line


def test_a_postgresql_server_that_does_not_answer_is_named_without_the_password(
    home: Path,
) -> None:
    url = "postgresql+psycopg://bob:s3cret@127.0.0.1:1/igny8"
    line = error_line(invoke_igny8(home, "site", "list", "--db", url))
    assert "cannot connect to postgresql+psycopg://bob@127.0.0.1:1/igny8" in line
    assert "s3cret" not in line


# ----- a database this user may not write -----


def test_a_command_that_writes_says_the_database_is_read_only(filled_db: Path) -> None:
    folder = filled_db.parent
    os.chmod(filled_db, 0o444)
    os.chmod(folder, 0o555)
    try:
        result = run_igny8_unprivileged(folder, "site", "add", "another")
    finally:
        os.chmod(folder, 0o700)
    line = error_line(result)
    assert f"{filled_db} is read-only" in line
