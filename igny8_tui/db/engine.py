"""Engine set-up: SQLite pragmas, BEGIN IMMEDIATE for writes, owner-only files, the schema."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from igny8_tui import faults
from igny8_tui.db.location import describe, sqlite_file
from igny8_tui.db.migrate import (
    SchemaStatus,
    UpgradeReport,
    ensure_schema,
    schema_status,
    upgrade,
)

SQLITE_BUSY_TIMEOUT_MS = 15_000
_BEGIN_OPTION = "igny8_begin"


def _prepare_sqlite_file(path: Path) -> None:
    """A new database file is created owner-only; an existing file is left as it is. It is
    never opened and closed here: closing any descriptor of a file drops every SQLite lock this
    process holds on it, so another process could take the WAL away from a live connection."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    except FileExistsError:
        return
    os.close(fd)
    os.chmod(path, 0o600)


def _install_sqlite_recipe(engine: Engine) -> None:
    """SQLAlchemy's pysqlite recipe: we emit BEGIN ourselves, IMMEDIATE for writers."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """One database: read sessions and write sessions (BEGIN IMMEDIATE on SQLite).

    Opening it brings its schema to this code's head (see `migrate.ensure_schema`): an older
    database is backed up and upgraded, or refused when `auto_upgrade` is off; a newer one is
    refused. `check_schema=False` opens it as it is, for `igny8 db` to report or upgrade it."""

    def __init__(self, url: str, auto_upgrade: bool = True, *, check_schema: bool = True) -> None:
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        path = sqlite_file(parsed)
        if path is not None:
            _prepare_sqlite_file(path)
        self.engine = create_engine(url)
        if self.is_sqlite:
            _install_sqlite_recipe(self.engine)
        self._writer = self.engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self._writer, expire_on_commit=False)
        self.schema_upgrade: UpgradeReport | None = None
        if check_schema:
            self.schema_upgrade = self._ensure_schema(auto_upgrade)

    def _ensure_schema(self, auto_upgrade: bool) -> UpgradeReport | None:
        try:
            return ensure_schema(self.engine, self._writer, auto_upgrade)
        except BaseException:
            self.engine.dispose()
            raise

    @property
    def location(self) -> str:
        """The database as messages name it: a file's path, or the URL without its password."""
        return describe(self.engine.url)

    def schema_status(self) -> SchemaStatus:
        return schema_status(self.engine)

    def upgrade_schema(self) -> UpgradeReport:
        """Brings the schema to head now, whatever `auto_upgrade` says (`igny8 db upgrade`)."""
        return upgrade(self._writer)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A short write transaction, committed on exit, rolled back on error."""
        with self._write() as session, session.begin():
            yield session
            faults.check("database", self.location)

    def dispose(self) -> None:
        self.engine.dispose()
