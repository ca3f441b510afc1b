"""db/migrate.py and db/location.py on their own: the head constant, states, backups, naming."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from igny8_tui.db.engine import Database
from igny8_tui.db.location import describe
from igny8_tui.db.migrate import (
    BASELINE_REVISION,
    BASELINE_TABLES,
    HEAD_REVISION,
    alembic_config,
    backup_copy,
)


def test_the_head_constant_is_alembics_head() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [HEAD_REVISION]


def test_the_baseline_is_the_first_revision_and_makes_the_baseline_tables(tmp_path: Path) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_base() == BASELINE_REVISION
    engine = create_engine(f"sqlite:///{tmp_path / 'b.db'}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), BASELINE_REVISION)
        assert set(inspect(conn).get_table_names()) == BASELINE_TABLES | {"alembic_version"}
        command.downgrade(alembic_config(conn), "base")
        assert inspect(conn).get_table_names() == ["alembic_version"]
    engine.dispose()


def test_schema_status_tells_empty_legacy_current_and_ahead(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'igny8.db'}"
    assert _status(url) == (None, "empty")
    Database(url).dispose()
    with closing(sqlite3.connect(tmp_path / "igny8.db")) as conn, conn:
        assert _status(url) == (HEAD_REVISION, "current")
        conn.execute("UPDATE alembic_version SET version_num = 'zzzz'")
    assert _status(url) == ("zzzz", "ahead")
    with closing(sqlite3.connect(tmp_path / "igny8.db")) as conn, conn:
        conn.execute("DROP TABLE alembic_version")
    assert _status(url) == (None, "legacy")


def _status(url: str) -> tuple[str | None, str]:
    database = Database(url, check_schema=False)
    status = database.schema_status()
    database.dispose()
    assert status.head == HEAD_REVISION
    return status.current, status.state


def test_opening_a_current_database_does_not_import_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'igny8.db'}"
    Database(url).dispose()
    code = (
        "import sys\n"
        "from igny8_tui.db.engine import Database\n"
        f"db = Database({url!r})\n"
        "assert db.schema_upgrade is None, db.schema_upgrade\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    opened = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout.strip() == "[]"


def test_a_backup_is_a_private_complete_copy_beside_the_database(tmp_path: Path) -> None:
    db = tmp_path / "igny8.db"
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (n INTEGER)")
        conn.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(1000)])
    backup = backup_copy(db, "0001")
    assert backup.parent == tmp_path
    assert backup.name.startswith("igny8.db.backup-0001-")
    assert backup.name.endswith("Z")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    with closing(sqlite3.connect(backup)) as copy:
        assert copy.execute("SELECT count(*), sum(n) FROM t").fetchone() == (1000, 499500)


def test_messages_name_an_sqlite_file_by_path_and_other_databases_without_password() -> None:
    assert describe(make_url("sqlite:////var/lib/igny8/igny8.db")) == "/var/lib/igny8/igny8.db"
    named = describe(make_url("postgresql+psycopg://igny8:s3cret@db.example:5432/igny8"))
    assert named == "postgresql+psycopg://igny8@db.example:5432/igny8"
    assert describe(make_url("sqlite://")) == "sqlite://"
