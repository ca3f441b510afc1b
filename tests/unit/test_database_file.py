"""The database file: created owner-only, and a file that already exists is left alone."""

from __future__ import annotations

import os
from pathlib import Path

from igny8_tui.db.engine import Database


def test_a_new_database_file_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "igny8.db"
    Database(f"sqlite:///{path}").dispose()
    assert path.stat().st_mode & 0o777 == 0o600


def test_opening_an_existing_database_does_not_change_its_mode(
    tmp_path: Path,
) -> None:
    path = tmp_path / "igny8.db"
    Database(f"sqlite:///{path}").dispose()
    os.chmod(path, 0o640)
    first = Database(f"sqlite:///{path}")
    with first.read() as session:  # a live connection holding the file open
        session.connection()
        Database(f"sqlite:///{path}").dispose()
    first.dispose()
    assert path.stat().st_mode & 0o777 == 0o640
