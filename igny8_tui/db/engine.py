"""Engine set-up: SQLite pragmas, BEGIN IMMEDIATE for writes, owner-only files, read-only
opening, the schema, and faults named (see `faults.py`)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from igny8_tui import faults
from igny8_tui.db.faults import (
    cannot_create,
    faults_named,
    missing_driver,
    not_a_file,
    parse_database_url,
    unusable_url,
)
from igny8_tui.db.location import describe, sqlite_file
from igny8_tui.db.migrate import (
    SchemaStatus,
    UpgradeReport,
    ensure_schema,
    require_head,
    schema_status,
    upgrade,
)

SQLITE_BUSY_TIMEOUT_MS = 15_000
_BEGIN_OPTION = "igny8_begin"


def _prepare_sqlite_file(path: Path) -> None:
    """A new database file is created owner-only; an existing file is left as it is. It is
    never opened and closed here: closing any descriptor of a file drops every SQLite lock this
    process holds on it, so another process could take the WAL away from a live connection."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise cannot_create(path, exc) from None
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise cannot_create(path, exc) from None
    os.close(fd)
    os.chmod(path, 0o600)


def _may_only_read(path: Path) -> bool:
    """An existing file this user may not write, or in a directory it may not write (where
    SQLite keeps the WAL and its index beside the file)."""
    if not path.exists():
        return False
    return not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


def _read_only_connector(path: Path) -> Callable[[], sqlite3.Connection]:
    """Connections that can only read. A WAL database needs its index (`-shm`) beside it: where
    none exists and none can be made (a read-only directory), no process has the file open, and
    it is opened immutable (no locks, no index), as SQLite documents for read-only media. A
    writer that opens it later is not seen by these connections: a reading command is short."""

    def connect() -> sqlite3.Connection:
        uri = f"file:{quote(str(path))}?mode=ro"
        if not Path(f"{path}-shm").exists() and not os.access(path.parent, os.W_OK):
            uri += "&immutable=1"
        return sqlite3.connect(uri, uri=True, check_same_thread=False)

    return connect


def _install_sqlite_recipe(engine: Engine, read_only: bool) -> None:
    """SQLAlchemy's pysqlite recipe: we emit BEGIN ourselves, IMMEDIATE for writers."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if not read_only:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def _create_engine(url: URL, read_only_file: Path | None) -> Engine:
    try:
        if read_only_file is not None:
            return create_engine(url, creator=_read_only_connector(read_only_file))
        return create_engine(url)
    except ImportError as exc:
        raise missing_driver(url, exc) from None
    except ArgumentError as exc:
        raise unusable_url(url, exc) from None


class Database:
    """One database: read sessions and write sessions (BEGIN IMMEDIATE on SQLite).

    Opening it brings its schema to this code's head (see `migrate.ensure_schema`): an older
    database is backed up and upgraded, or refused when `auto_upgrade` is off; a newer one is
    refused. `check_schema=False` opens it as it is, for `igny8 db` to report or upgrade it.

    `read_only`: the caller only reads. An SQLite file this user may not write is then opened
    read-only instead of failing, and only at this code's head (it cannot be upgraded here).

    A fault an operator can fix (a file that is not a database, a damaged one, a server that
    does not answer) is raised as `faults.DatabaseFaultError`, on opening and in any session."""

    def __init__(
        self,
        url: str,
        auto_upgrade: bool = True,
        *,
        check_schema: bool = True,
        read_only: bool = False,
    ) -> None:
        parsed = parse_database_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        # The database as messages name it: a file's path, or the URL without its password.
        self.location = describe(parsed)
        path = sqlite_file(parsed)
        if path is not None and path.is_dir():
            raise not_a_file(path)
        self.read_only = read_only and path is not None and _may_only_read(path)
        if path is not None and not self.read_only:
            _prepare_sqlite_file(path)
        self.engine = _create_engine(parsed, path if self.read_only else None)
        if self.is_sqlite:
            _install_sqlite_recipe(self.engine, self.read_only)
        self._writer = self.engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self._writer, expire_on_commit=False)
        self.schema_upgrade: UpgradeReport | None = None
        try:
            with faults_named(self.location, connecting=True), self.engine.connect():
                pass
            if check_schema:
                with faults_named(self.location):
                    self.schema_upgrade = self._ensure_schema(auto_upgrade)
        except BaseException:
            self.engine.dispose()
            raise

    def _ensure_schema(self, auto_upgrade: bool) -> UpgradeReport | None:
        if self.read_only:
            require_head(self.engine)
            return None
        return ensure_schema(self.engine, self._writer, auto_upgrade)

    def schema_status(self) -> SchemaStatus:
        with faults_named(self.location):
            return schema_status(self.engine)

    def upgrade_schema(self) -> UpgradeReport:
        """Brings the schema to head now, whatever `auto_upgrade` says (`igny8 db upgrade`)."""
        with faults_named(self.location):
            return upgrade(self._writer)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with faults_named(self.location), self._read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A short write transaction, committed on exit, rolled back on error."""
        with faults_named(self.location), self._write() as session, session.begin():
            yield session
            faults.check("database", self.location)

    def dispose(self) -> None:
        self.engine.dispose()
