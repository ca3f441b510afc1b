"""Alembic's environment: runs the revisions on igny8's connection, or on `-x db=URL`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from igny8_tui.db.models import Base


def _run_on(connection: Connection) -> None:
    # Batch mode: SQLite alters a table by copying it, which other databases do not need.
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("db")
    url = url or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("name the database: alembic -x db=sqlite:///path/to/igny8.db ...")
    return url


def _run() -> None:
    given: Connection | None = context.config.attributes.get("connection")
    if given is not None:
        _run_on(given)
        return
    if context.is_offline_mode():
        context.configure(url=_url(), target_metadata=Base.metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run_on(connection)
    engine.dispose()


_run()
