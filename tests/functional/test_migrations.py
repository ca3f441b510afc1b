"""Schema migrations: a database from before migrations, a newer one, refusals, `igny8 db`."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import stat
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from igny8_tui.db.engine import Database
from igny8_tui.db.migrate import (
    BASELINE_REVISION,
    BASELINE_TABLES,
    HEAD_REVISION,
    alembic_config,
)
from igny8_tui.db.models import Base
from tests.conftest import DEMO_CSV, SMALL_TOPICS_ROWS, invoke_igny8, run_igny8, start_igny8

LEGACY_DB = Path(__file__).parent.parent / "fixtures" / "legacy-078c3d8.db"
LEGACY_SITE = "legacy-garden"
FUTURE_REVISION = "9999_from_the_future"


def legacy_home(home: Path) -> Path:
    """A data directory holding a copy of the database igny8 wrote before migrations."""
    home.mkdir(parents=True, mode=0o700)
    db = home / "igny8.db"
    shutil.copyfile(LEGACY_DB, db)
    return db


def rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table igny8 had before migrations, in the columns it had then."""
    with closing(sqlite3.connect(db)) as conn:
        return {
            table: conn.execute(
                f"SELECT {_baseline_columns(table)} FROM {table} ORDER BY id"
            ).fetchall()
            for table in sorted(BASELINE_TABLES)
        }


def _baseline_columns(table: str) -> str:
    with closing(sqlite3.connect(LEGACY_DB)) as legacy:
        return ", ".join(row[1] for row in legacy.execute(f"PRAGMA table_info('{table}')"))


def digest(db: Path) -> str:
    return hashlib.sha256(db.read_bytes()).hexdigest()


def backups(home: Path) -> list[Path]:
    return sorted(home.glob("igny8.db.backup-*"))


def stamp(db: Path, revision: str) -> None:
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32))")
        conn.execute("DELETE FROM alembic_version")
        conn.execute("INSERT INTO alembic_version VALUES (?)", (revision,))


def downgrade(db: Path, revision: str) -> None:
    """Back to an older schema through the revisions' own downgrades."""
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)
    engine.dispose()


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert lines[0].startswith("igny8: error: ")
    return lines[0]


def more_keywords(directory: Path) -> Path:
    """The demo file's next two topics (rows the legacy database does not hold)."""
    lines = DEMO_CSV.read_text().splitlines()
    path = directory / "more-keywords.csv"
    rows_ = lines[SMALL_TOPICS_ROWS + 1 : 2 * SMALL_TOPICS_ROWS + 1]
    path.write_text("\n".join([lines[0], *rows_]) + "\n")
    return path


# ----- the baseline revision is the schema igny8 made before migrations -----


def sqlite_schema(db: Path) -> dict[str, Any]:
    """Tables, columns, foreign keys and indexes as SQLite reports them, whatever the order of
    the clauses in each CREATE TABLE."""
    with closing(sqlite3.connect(db)) as conn:
        names = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'alembic_version'"
        )
        return {name: _table(conn, name) for (name,) in sorted(names.fetchall())}


def _table(conn: sqlite3.Connection, name: str) -> dict[str, Any]:
    return {
        "columns": conn.execute(f"PRAGMA table_info({name})").fetchall(),
        "foreign_keys": sorted(r[2:5] for r in conn.execute(f"PRAGMA foreign_key_list({name})")),
        "indexes": sorted(_index(conn, r) for r in conn.execute(f"PRAGMA index_list({name})")),
    }


def _index(conn: sqlite3.Connection, row: tuple[Any, ...]) -> tuple[Any, ...]:
    _, name, unique, origin, partial = row
    columns = tuple(r[2] for r in conn.execute(f"PRAGMA index_info('{name}')"))
    (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    # Indexes SQLite makes for UNIQUE constraints are numbered in clause order: name them by kind.
    label = name if origin == "c" else origin
    return (label, unique, columns, partial, " ".join(sql.split()) if sql else None)


def migrate_empty_to_head(db: Path, revision: str = "head") -> None:
    """Runs every revision on an empty database (not the shortcut a fresh database takes)."""
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)
    engine.dispose()


def test_migrating_an_empty_database_to_head_gives_exactly_the_models(tmp_path: Path) -> None:
    db = tmp_path / "migrated.db"
    migrate_empty_to_head(db)
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        (version,) = conn.exec_driver_sql("SELECT version_num FROM alembic_version").one()
    engine.dispose()
    assert version == HEAD_REVISION


def test_the_baseline_is_the_legacy_schema_and_head_the_schema_of_a_fresh_database(
    tmp_path: Path,
) -> None:
    baseline, migrated = tmp_path / "baseline.db", tmp_path / "migrated.db"
    fresh, legacy = tmp_path / "fresh.db", tmp_path / "legacy.db"
    migrate_empty_to_head(baseline, BASELINE_REVISION)
    migrate_empty_to_head(migrated)
    Database(f"sqlite:///{fresh}").dispose()
    shutil.copyfile(LEGACY_DB, legacy)
    assert set(sqlite_schema(baseline)) == BASELINE_TABLES
    assert sqlite_schema(legacy) == sqlite_schema(baseline)
    # An upgraded legacy database and a fresh one end with the same schema, column order too.
    Database(f"sqlite:///{legacy}").dispose()
    schema = sqlite_schema(migrated)
    assert sqlite_schema(fresh) == schema
    assert sqlite_schema(legacy) == schema
    partial = [i for i in schema["automation_runs"]["indexes"] if i[3]]
    assert partial == [
        (
            "uq_automation_runs_one_active_per_site",
            1,
            ("site_id",),
            1,
            "CREATE UNIQUE INDEX uq_automation_runs_one_active_per_site ON automation_runs "
            "(site_id) WHERE status IN ('running', 'paused')",
        )
    ]


def test_on_postgresql_the_revisions_give_exactly_the_models(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        command.downgrade(alembic_config(conn), "base")
        conn.exec_driver_sql("DROP TABLE alembic_version")
    engine.dispose()


# ----- opening a database -----


def test_a_fresh_database_ends_at_head(home: Path) -> None:
    assert run_igny8(home, "site", "add", "fresh").returncode == 0
    current = json.loads(run_igny8(home, "db", "current", "--json").stdout)
    assert current["current"] == current["head"] == HEAD_REVISION
    assert current["state"] == "current"
    assert backups(home) == []


def test_a_legacy_database_is_upgraded_with_a_backup_and_nothing_is_lost(home: Path) -> None:
    db = legacy_home(home)
    before = rows(db)
    opened = run_igny8(home, "history", "--site", LEGACY_SITE, "--json")
    assert opened.returncode == 0, opened.stderr
    (backup,) = backups(home)
    assert backup.name.startswith("igny8.db.backup-legacy-")
    assert f"backup at {backup}" in opened.stderr
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert rows(backup) == before
    assert rows(db) == before
    assert [r["status"] for r in json.loads(opened.stdout)["runs"]] == ["completed"]
    current = json.loads(run_igny8(home, "db", "current", "--json").stdout)
    assert (current["current"], current["state"]) == (HEAD_REVISION, "current")

    credits = json.loads(run_igny8(home, "credits", "--json").stdout)
    assert credits["balance"] == credits["ledger_sum"] == 847
    added = run_igny8(home, "keywords", "import", "--site", LEGACY_SITE, str(more_keywords(home)))
    assert added.returncode == 0, added.stderr
    second = run_igny8(home, "run", "--site", LEGACY_SITE, "--json")
    assert second.returncode == 0, second.stderr
    history = json.loads(run_igny8(home, "history", "--site", LEGACY_SITE, "--json").stdout)
    assert [r["status"] for r in history["runs"]] == ["completed", "completed"]
    after = rows(db)
    assert len(after["keywords"]) == 2 * SMALL_TOPICS_ROWS
    assert all(row in after["activity_log"] for row in before["activity_log"])
    credits = json.loads(run_igny8(home, "credits", "--json").stdout)
    assert credits["balance"] == credits["ledger_sum"] < 847
    assert len(backups(home)) == 1


def test_two_processes_opening_a_legacy_database_at_once_upgrade_it_once(home: Path) -> None:
    legacy_home(home)
    procs = [start_igny8(home, "site", "list", "--json") for _ in range(2)]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert [[s["name"] for s in json.loads(out)] for out, _ in outputs] == [[LEGACY_SITE]] * 2
    assert len(backups(home)) == 1


@pytest.mark.parametrize("args", [("site", "list"), ("db", "upgrade")])
def test_a_database_newer_than_this_igny8_is_refused_and_left_alone(
    home: Path, args: tuple[str, ...]
) -> None:
    db = legacy_home(home)
    stamp(db, FUTURE_REVISION)
    before = digest(db)
    refused = run_igny8(home, *args)
    assert refused.returncode == 2
    line = one_error_line(refused.stderr)
    assert line == (
        f"igny8: error: {db.resolve()} is at schema revision {FUTURE_REVISION}, newer than this "
        f"igny8 knows ({HEAD_REVISION}); upgrade igny8"
    )
    assert digest(db) == before
    assert backups(home) == []


@pytest.mark.parametrize("how", ["--no-upgrade", "IGNY8_AUTO_UPGRADE", "config.toml"])
def test_with_upgrades_off_a_legacy_database_is_refused_and_left_alone(
    home: Path, how: str
) -> None:
    db = legacy_home(home)
    before = digest(db)
    flags: tuple[str, ...] = ("--no-upgrade",) if how == "--no-upgrade" else ()
    env = {"IGNY8_AUTO_UPGRADE": "false"} if how == "IGNY8_AUTO_UPGRADE" else {}
    if how == "config.toml":
        (home / "config.toml").write_text("auto_upgrade = false\n")
    refused = run_igny8(home, "site", "list", *flags, **env)
    assert refused.returncode == 2
    line = one_error_line(refused.stderr)
    assert str(db.resolve()) in line
    assert "run `igny8 db upgrade` (it makes a backup copy first)" in line
    assert digest(db) == before
    assert backups(home) == []


def test_a_database_that_is_not_igny8s_is_refused_and_left_alone(home: Path) -> None:
    home.mkdir(parents=True)
    db = home / "igny8.db"
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
    before = digest(db)
    refused = run_igny8(home, "site", "list")
    assert refused.returncode == 2
    assert "has tables, but not igny8's (missing: accounts," in one_error_line(refused.stderr)
    assert digest(db) == before
    assert backups(home) == []


# ----- data revisions -----


def _keyword_keys(db: Path) -> dict[str, str]:
    with closing(sqlite3.connect(db)) as conn:
        return dict(conn.execute("SELECT text, text_norm FROM keywords ORDER BY id").fetchall())


def test_upgrading_keys_keywords_by_their_nfkc_form_and_keeps_apart_a_pair_it_would_merge(
    home: Path,
) -> None:
    """0002: keywords stored before identity was NFKC (a full-width form was its own keyword)
    are keyed again, so a later import of the plain form merges; two stored keywords that the
    new key would make one are left as they are."""
    assert invoke_igny8(home, "site", "add", "g").returncode == 0
    csv = home / "k.csv"
    csv.write_text("keyword\nｇａｒｄｅｎ ｔｉｐｓ\nﬁsh ponds\nCompost\n", encoding="utf-8")
    assert invoke_igny8(home, "keywords", "import", "--site", "g", str(csv)).returncode == 0
    db = home / "igny8.db"
    with closing(sqlite3.connect(db)) as conn, conn:
        # As igny8 keyed them before: case-folded and single-spaced, no NFKC.
        for text in ("ｇａｒｄｅｎ ｔｉｐｓ", "ﬁsh ponds"):
            conn.execute("UPDATE keywords SET text_norm = ? WHERE text = ?", (text, text))
        conn.execute(
            "INSERT INTO keywords (site_id, text, text_norm, volume, status, created_at) "
            "SELECT site_id, 'fish ponds', 'fish ponds', 7, status, created_at FROM keywords "
            "WHERE text = 'Compost'"
        )
    downgrade(db, "0001")

    assert invoke_igny8(home, "keywords", "list", "--site", "g").returncode == 0
    assert len(backups(home)) == 1
    assert _keyword_keys(db) == {
        "ｇａｒｄｅｎ ｔｉｐｓ": "garden tips",
        "ﬁsh ponds": "ﬁsh ponds",
        "Compost": "compost",
        "fish ponds": "fish ponds",
    }
    plain = home / "plain.csv"
    plain.write_text("keyword\nGarden Tips\n")
    merged = invoke_igny8(home, "keywords", "import", "--site", "g", str(plain), "--json")
    assert json.loads(merged.stdout)["added"] == 0


# ----- igny8 db -----


def test_db_current_reports_the_revision_the_head_and_the_state(home: Path) -> None:
    db = legacy_home(home)
    before = digest(db)
    text = run_igny8(home, "db", "current")
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines() == [
        f"database: {db.resolve()}",
        "current: none (made before migrations)",
        f"head: {HEAD_REVISION}",
        "state: legacy",
    ]
    assert digest(db) == before
    stamp(db, FUTURE_REVISION)
    ahead = json.loads(run_igny8(home, "db", "current", "--json").stdout)
    assert ahead == {
        "database": str(db.resolve()),
        "current": FUTURE_REVISION,
        "head": HEAD_REVISION,
        "state": "ahead",
    }


def test_db_upgrade_backs_up_a_legacy_database_then_reports_it_current(home: Path) -> None:
    db = legacy_home(home)
    before = rows(db)
    upgraded = run_igny8(home, "db", "upgrade", "--no-upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    (backup,) = backups(home)
    assert upgraded.stdout.splitlines() == [
        f"upgraded {db.resolve()}: schema revision none (made before migrations) → {HEAD_REVISION}",
        f"backup: {backup.resolve()}",
    ]
    assert rows(backup) == before == rows(db)
    again = json.loads(run_igny8(home, "db", "upgrade", "--json").stdout)
    assert again == {
        "database": str(db.resolve()),
        "from_state": "current",
        "from_revision": HEAD_REVISION,
        "to_revision": HEAD_REVISION,
        "backup": None,
    }
    assert run_igny8(home, "db", "upgrade").stdout.strip() == (
        f"{db.resolve()} is already at schema revision {HEAD_REVISION} (the head)"
    )
    assert len(backups(home)) == 1
