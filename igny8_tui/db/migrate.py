"""Schema revisions: which one a database is at, and bringing it to this code's head."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    inspect,
    select,
)
from sqlalchemy.engine import URL

from igny8_tui.db.faults import read_only_and_behind
from igny8_tui.db.location import describe, sqlite_file
from igny8_tui.db.models import Base
from igny8_tui.errors import Igny8Error

if TYPE_CHECKING:
    from alembic.config import Config

# The newest revision in migrations/versions/; a unit test keeps it equal to Alembic's head.
HEAD_REVISION = "0007"
# A database made before igny8 had migrations (commit 078c3d8 and earlier) is at the baseline.
BASELINE_REVISION = "0001"
BASELINE_TABLES = frozenset(
    {
        "accounts",
        "activity_log",
        "automation_configs",
        "automation_runs",
        "clusters",
        "content_ideas",
        "contents",
        "credit_ledger",
        "images",
        "keywords",
        "sites",
        "tasks",
    }
)
MIGRATIONS_DIR = Path(__file__).with_name("migrations")

SchemaState = Literal["empty", "legacy", "behind", "current", "ahead"]

# Alembic's bookkeeping table as Alembic makes it: read and written here without importing
# Alembic, so that opening a current database stays cheap.
_versions = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)
# Under "igny8", so a daemon's log shows it; on the command line Python prints it on stderr.
_log = logging.getLogger("igny8.db")


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database's schema stands against this code's head revision."""

    current: str | None
    head: str
    state: SchemaState


@dataclass(frozen=True)
class UpgradeReport:
    """What an upgrade did: the state and revision it started from, where it ended, the backup."""

    from_state: SchemaState
    from_revision: str | None
    to_revision: str
    backup: Path | None


class SchemaTooNewError(Igny8Error):
    def __init__(self, database: str, status: SchemaStatus) -> None:
        super().__init__(
            f"{database} is at schema revision {status.current}, newer than this igny8 knows "
            f"({status.head}); upgrade igny8"
        )


def _older(status: SchemaStatus) -> str:
    if status.current:
        return f"is at schema revision {status.current}, older than this igny8 ({status.head})"
    return f"was made before igny8 had schema revisions (this igny8 is at {status.head})"


class SchemaUpgradeRequiredError(Igny8Error):
    def __init__(self, database: str, status: SchemaStatus, backs_up: bool) -> None:
        at = _older(status)
        first = "it makes a backup copy first" if backs_up else "back the database up first"
        super().__init__(
            f"{database} {at}, and automatic upgrades are off; run `igny8 db upgrade` ({first})"
        )


class NotAnIgny8DatabaseError(Igny8Error):
    def __init__(self, database: str, missing: frozenset[str]) -> None:
        super().__init__(
            f"{database} has tables, but not igny8's (missing: {', '.join(sorted(missing))}); "
            "point --db or IGNY8_DB at an igny8 database"
        )


def schema_status(engine: Engine) -> SchemaStatus:
    """The database's schema state; Alembic is consulted only when it is not at head."""
    with engine.connect() as conn:
        return _status(conn)


def ensure_schema(engine: Engine, writer: Engine, auto_upgrade: bool) -> UpgradeReport | None:
    """What opening a database does: nothing at head; creates an empty one; upgrades an older
    one when `auto_upgrade`, else refuses it; refuses a newer one. `writer` takes the write lock."""
    status = schema_status(engine)
    if status.state == "current":
        return None
    _refuse_newer(engine.url, status)
    if status.state != "empty" and not auto_upgrade:
        raise SchemaUpgradeRequiredError(
            describe(engine.url), status, backs_up=sqlite_file(engine.url) is not None
        )
    report = upgrade(writer)
    if report.from_state in ("legacy", "behind"):
        _log.warning("%s", _describe_upgrade(engine.url, report))
    return report


def require_head(engine: Engine) -> None:
    """What opening a database this user may only read does: nothing at head; a newer one is
    refused as ever, and an older or empty one too, since it cannot be upgraded here."""
    status = schema_status(engine)
    if status.state == "current":
        return
    _refuse_newer(engine.url, status)
    how = "has no igny8 schema yet" if status.state == "empty" else _older(status)
    raise read_only_and_behind(describe(engine.url), how)


def upgrade(writer: Engine) -> UpgradeReport:
    """Brings the database to head in one transaction, an SQLite file backed up first.

    `writer` must begin transactions that lock out other writers (BEGIN IMMEDIATE on SQLite), so
    that of two processes upgrading at once, the second finds the work done."""
    with writer.connect() as conn, _foreign_keys_off(conn), conn.begin():
        status = _status(conn)
        _refuse_newer(writer.url, status)
        if status.state == "current":
            return UpgradeReport("current", status.current, HEAD_REVISION, None)
        if status.state == "legacy":
            _require_baseline_tables(conn)
        path = sqlite_file(writer.url)
        backup = backup_copy(path, status.current) if path and status.state != "empty" else None
        _migrate(conn, status)
        _check_foreign_keys(conn)
    return UpgradeReport(status.state, status.current, HEAD_REVISION, backup)


def backup_copy(path: Path, revision: str | None) -> Path:
    """A consistent copy of an SQLite file beside it, readable by its owner only, made with
    SQLite's online backup (safe while other connections use the database)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.backup-{revision or 'legacy'}-{stamp}")
    os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    os.chmod(target, 0o600)
    with closing(sqlite3.connect(path)) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)
    return target


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built in code: igny8 ships no alembic.ini."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def _status(conn: Connection) -> SchemaStatus:
    tables = set(inspect(conn).get_table_names())
    current = None
    if _versions.name in tables:
        current = ",".join(sorted(conn.scalars(select(_versions.c.version_num)))) or None
        tables.discard(_versions.name)
    return SchemaStatus(current, HEAD_REVISION, _state(current, has_tables=bool(tables)))


def _state(current: str | None, has_tables: bool) -> SchemaState:
    if current == HEAD_REVISION:
        return "current"
    if current is None:
        return "legacy" if has_tables else "empty"
    return "behind" if current in _known_revisions() else "ahead"


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return {revision.revision for revision in script.walk_revisions()}


def _refuse_newer(url: URL, status: SchemaStatus) -> None:
    if status.state == "ahead":
        raise SchemaTooNewError(describe(url), status)


def _migrate(conn: Connection, status: SchemaStatus) -> None:
    """Runs the revisions; an empty database is made from the models at once (a test proves
    that migrating an empty database to head makes the same schema)."""
    if status.state == "empty":
        Base.metadata.create_all(conn)
        _versions.create(conn, checkfirst=True)
        conn.execute(_versions.insert().values(version_num=HEAD_REVISION))
        return
    from alembic import command

    config = alembic_config(conn)
    if status.state == "legacy":
        command.stamp(config, BASELINE_REVISION)
    command.upgrade(config, "head")


def _require_baseline_tables(conn: Connection) -> None:
    missing = BASELINE_TABLES - set(inspect(conn).get_table_names())
    if missing:
        raise NotAnIgny8DatabaseError(describe(conn.engine.url), missing)


@contextmanager
def _foreign_keys_off(conn: Connection) -> Iterator[None]:
    """SQLite alters a table by copying it (batch mode), and with foreign keys on, dropping the
    old copy fails or cascades. The pragma is ignored inside a transaction: set it before."""
    if conn.dialect.name != "sqlite":
        yield
        return
    _pragma(conn, "foreign_keys=OFF")
    try:
        yield
    finally:
        _pragma(conn, "foreign_keys=ON")


def _pragma(conn: Connection, setting: str) -> None:
    driver = conn.connection.dbapi_connection
    assert driver is not None, "a connection in use has its driver connection"
    cursor = driver.cursor()
    cursor.execute(f"PRAGMA {setting}")
    cursor.close()


def _check_foreign_keys(conn: Connection) -> None:
    """With foreign keys off during the upgrade, check afterwards that every reference holds."""
    if conn.dialect.name != "sqlite":
        return
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"the upgrade would break {len(broken)} references, e.g. {broken[0]}")


def _describe_upgrade(url: URL, report: UpgradeReport) -> str:
    start = report.from_revision or "no revision (made before migrations)"
    backup = f"; backup at {report.backup}" if report.backup else ""
    return f"upgraded {describe(url)} from {start} to schema revision {report.to_revision}{backup}"
