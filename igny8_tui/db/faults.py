"""Database faults an operator can fix: a URL igny8 cannot use, a file that is not a database
or is damaged, a server that does not answer. Each becomes one `DatabaseFaultError` naming the
database and what to do; anything else is left to propagate as the bug it is."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from igny8_tui.errors import Igny8Error
from igny8_tui.redaction import redacted_url

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
RECOMMENDED_POSTGRES = "postgresql+psycopg://"
# The package to install for a driver's module, where the names differ.
DRIVER_PACKAGES = {"psycopg": "psycopg[binary]", "psycopg2": "psycopg2-binary"}
_WHERE = "--db or IGNY8_DB"
_EXAMPLES = "e.g. sqlite:////var/lib/igny8/igny8.db or postgresql+psycopg://user@host/dbname"

# SQLite's primary result codes (https://sqlite.org/rescode.html).
_SQLITE_PERM = 3
_SQLITE_BUSY = 5
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26


class DatabaseFaultError(Igny8Error):
    """The database cannot be used as it is; the message names it and what to do."""


def parse_database_url(url: str) -> URL:
    """The URL, once it names a backend and a driver igny8 can use here."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        example = _EXAMPLES
        if "://" not in url:  # a file's path, given as it is
            example = f"for this file sqlite:///{Path(url).expanduser().absolute()}"
        raise DatabaseFaultError(
            f"cannot read the database URL {redacted_url(url)!r} ({_first_line(exc)}); "
            f"give {_WHERE} as a URL, {example}"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise DatabaseFaultError(
            f"igny8 works with SQLite and PostgreSQL databases, not {backend!r}; "
            f"give {_WHERE} as {_EXAMPLES}"
        )
    _check_driver(parsed)
    return parsed


def _check_driver(url: URL) -> None:
    try:
        dialect = url.get_dialect()
    except NoSuchModuleError:
        raise DatabaseFaultError(
            f"no PostgreSQL driver {url.get_driver_name()!r} in SQLAlchemy; "
            f"use {RECOMMENDED_POSTGRES}user@host/dbname"
        ) from None
    if dialect.is_async:
        raise DatabaseFaultError(
            f"{url.drivername} is an asyncio driver, which igny8 cannot use; use "
            f"{RECOMMENDED_POSTGRES} instead (python -m pip install "
            f"'{DRIVER_PACKAGES['psycopg']}')"
        )


def unusable_url(url: URL, exc: ArgumentError) -> DatabaseFaultError:
    """The driver refused the URL (e.g. a user name in an SQLite URL)."""
    shown = redacted_url(url.render_as_string(hide_password=False))
    return DatabaseFaultError(
        f"cannot use the database URL {shown!r} ({_first_line(exc)}); give {_WHERE} as {_EXAMPLES}"
    )


def missing_driver(url: URL, exc: ImportError) -> DatabaseFaultError:
    """The driver the URL names is not installed."""
    module = (exc.name or url.get_driver_name()).split(".")[0]
    package = DRIVER_PACKAGES.get(module, module)
    return DatabaseFaultError(
        f"the database URL {url.drivername}://… needs the Python package {package!r}, which is "
        f"not installed: python -m pip install '{package}'"
    )


def not_a_file(path: Path) -> DatabaseFaultError:
    return DatabaseFaultError(
        f"{path} is a directory, not a database file; give {_WHERE} as a file in it, "
        f"e.g. sqlite:///{path / 'igny8.db'}"
    )


def cannot_create(path: Path, exc: OSError) -> DatabaseFaultError:
    return DatabaseFaultError(
        f"cannot create the database {path} ({exc.strerror}); check that its directory can be "
        f"made and written by this user, or give {_WHERE} elsewhere"
    )


def read_only_and_behind(database: str, how: str) -> DatabaseFaultError:
    """A read-only database whose schema this igny8 would have to create or upgrade first;
    `how` says where its schema stands."""
    return DatabaseFaultError(
        f"{database} is read-only to this user and {how}; upgrade it with `igny8 db upgrade` "
        "as a user who may write it and its directory"
    )


def database_fault(
    exc: BaseException, database: str, connecting: bool
) -> DatabaseFaultError | None:
    """The fault behind a driver's error, or None when it is not one an operator can fix.
    `connecting`: the error came while opening the first connection."""
    if not isinstance(exc, DBAPIError):
        return None
    original = exc.orig
    if isinstance(original, sqlite3.Error):
        return _sqlite_fault(original, database)
    if connecting:
        return DatabaseFaultError(
            f"cannot connect to {database}: {_first_line(original or exc)}; check that the "
            f"server is running and that {_WHERE} is right"
        )
    return None


def _sqlite_fault(exc: sqlite3.Error, path: str) -> DatabaseFaultError | None:
    code = getattr(exc, "sqlite_errorcode", None)
    said = f"(SQLite says: {_first_line(exc)})"
    if code is None:
        return None
    primary = code & 0xFF
    if primary == _SQLITE_NOTADB:
        return DatabaseFaultError(
            f"{path} is not a database {said}; give {_WHERE} as igny8's database, or move this "
            "file away"
        )
    if primary == _SQLITE_CORRUPT:
        return DatabaseFaultError(
            f"{path} is damaged {said}; stop every igny8 using it, then put the latest backup "
            f"(igny8.db.backup-*) in its place, or salvage what is left with "
            f"`sqlite3 {path} .recover | sqlite3 recovered.db`"
        )
    if primary in (_SQLITE_READONLY, _SQLITE_PERM):
        return DatabaseFaultError(
            f"{path} is read-only to this user {said}; this command changes it, so run it as a "
            "user who may write the file and its directory"
        )
    if primary == _SQLITE_CANTOPEN:
        return DatabaseFaultError(
            f"cannot open {path} {said}; check that it and its directory exist and this user "
            "may read and write them"
        )
    if primary == _SQLITE_FULL:
        return DatabaseFaultError(f"the disk holding {path} is full {said}; free some space")
    if primary == _SQLITE_IOERR:
        return DatabaseFaultError(
            f"the disk holding {path} failed to read or write {said}; check the disk (and that "
            "the file is not on a network share)"
        )
    if primary == _SQLITE_BUSY:
        return DatabaseFaultError(
            f"{path} stayed locked by another process {said}; try again, and look for an igny8 "
            "process that hangs"
        )
    return None


@contextmanager
def faults_named(database: str, connecting: bool = False) -> Iterator[None]:
    """Within it, a driver error that is a database fault is raised as `DatabaseFaultError`."""
    try:
        yield
    except DBAPIError as exc:
        fault = database_fault(exc, database, connecting)
        if fault is None:
            raise
        raise fault from exc


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
