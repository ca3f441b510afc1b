"""Faults of the machine rather than of an item: a full disk, a file the host may not write, a
read-only file system, a failing disk. They pause the run with the reason until the operator
fixes the cause; retrying the next item would only meet the same fault."""

from __future__ import annotations

import errno
import sqlite3

from sqlalchemy.exc import DBAPIError

from igny8_tui.db.faults import DatabaseFaultError

_ADVICE = {
    errno.ENOSPC: "free some disk space",
    errno.EDQUOT: "free some space or raise the disk quota",
    errno.EACCES: "give the igny8 user write access",
    errno.EPERM: "give the igny8 user write access",
    errno.EROFS: "make the file system writable",
    errno.EIO: "check the disk",
}
_SQLITE_ADVICE = {
    sqlite3.SQLITE_FULL: "free some disk space",
    sqlite3.SQLITE_READONLY: "give the igny8 user write access to the database file and its folder",
    sqlite3.SQLITE_CANTOPEN: "give the igny8 user write access to the database file and its folder",
    sqlite3.SQLITE_IOERR: "check the disk",
}
# PostgreSQL SQLSTATEs: disk full, out of memory, too many connections, read-only, privileges.
_POSTGRES_ADVICE = {
    "53100": "free some disk space on the database server",
    "53200": "give the database server more memory",
    "53300": "raise the database server's max_connections",
    "25006": "point igny8 at a writable database server",
    "42501": "grant the database user write access",
}
RESUME_HINT = "then `igny8 resume`"


def environment_fault(exc: BaseException) -> str | None:
    """The one-line reason to pause for, if ``exc`` is a fault of the machine; else None."""
    if isinstance(exc, OSError):
        advice = _ADVICE.get(exc.errno or 0)
        if advice is None:
            return None
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror or exc}{where}: {advice}, {RESUME_HINT}"
    if isinstance(exc, DBAPIError):
        return _database_fault(exc.orig)
    # The database named the fault already: say so in its words, if it is the machine's.
    cause = exc.__cause__ if isinstance(exc, DatabaseFaultError) else None
    if isinstance(cause, DBAPIError) and _database_fault(cause.orig) is not None:
        return f"{exc}, {RESUME_HINT}"
    return None


def _database_fault(orig: BaseException | None) -> str | None:
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        advice = _SQLITE_ADVICE.get(code & 0xFF) if isinstance(code, int) else None
    else:
        advice = _POSTGRES_ADVICE.get(str(getattr(orig, "sqlstate", "")))
    if advice is None:
        return None
    detail = str(orig).strip().splitlines()[0] if orig else "write failed"
    return f"the database could not be written ({detail}): {advice}, {RESUME_HINT}"
