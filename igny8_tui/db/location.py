"""Where a database lives: an SQLite file's path, and how messages name a database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL


def sqlite_file(url: URL) -> Path | None:
    """The file of an SQLite database; None for an in-memory one or another backend."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def describe(url: URL) -> str:
    """An SQLite file's path, else the URL without its password: safe to print."""
    path = sqlite_file(url)
    if path is not None:
        return str(path)
    public = URL.create(
        url.drivername,
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return public.render_as_string(hide_password=False)
