"""Builds tests/fixtures/legacy-078c3d8.db: a database written by igny8 before it had migrations.

The code of commit 078c3d8 (the last without migrations) runs in subprocesses from a `git archive`
of that commit: it adds a site, imports the demo file's first 26 keywords, grants credits and runs
the pipeline to completion. The database is then checkpointed, vacuumed and copied.

    python scripts/make_legacy_db.py
"""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from contextlib import closing
from pathlib import Path

LEGACY_COMMIT = "078c3d8"
SITE = "legacy-garden"
KEYWORD_ROWS = 26  # the demo file's first two topics: a whole run in a few seconds
CREDITS = 1000
REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / f"legacy-{LEGACY_COMMIT}.db"


def extract_commit(commit: str, into: Path) -> None:
    """The commit's files, without touching the repository's worktrees."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", commit],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def igny8(source: Path, home: Path, *args: str) -> None:
    """That commit's `igny8`, as an operator would have run it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IGNY8_")}
    env.update(PYTHONPATH=str(source), IGNY8_HOME=str(home))
    # From inside the archive: `python -m` puts the working directory first on sys.path.
    done = subprocess.run(
        [sys.executable, "-m", "igny8_tui", *args],
        env=env,
        cwd=source,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"igny8 {' '.join(args)} exited {done.returncode}:\n{done.stderr}")


def first_keywords(source: Path, directory: Path) -> Path:
    lines = (source / "igny8_tui" / "data" / "demo_keywords.csv").read_text().splitlines()
    path = directory / "keywords.csv"
    path.write_text("\n".join(lines[: KEYWORD_ROWS + 1]) + "\n")
    return path


def compact(database: Path) -> None:
    """Everything in the main file (no -wal beside it), and no free pages."""
    with closing(sqlite3.connect(database, isolation_level=None)) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        if "alembic_version" in tables:
            raise SystemExit("the database has alembic_version: it was not made by the old code")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="igny8-legacy-") as tmp:
        source, home = Path(tmp) / "src", Path(tmp) / "home"
        extract_commit(LEGACY_COMMIT, source)
        igny8(source, home, "site", "add", SITE, "--domain", "legacy-garden.example")
        igny8(
            source,
            home,
            "keywords",
            "import",
            "--site",
            SITE,
            str(first_keywords(source, Path(tmp))),
        )
        igny8(source, home, "credits", "--add", str(CREDITS))
        igny8(source, home, "run", "--site", SITE)
        compact(home / "igny8.db")
        FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(home / "igny8.db", FIXTURE)
    print(f"{FIXTURE.relative_to(REPO)}: {FIXTURE.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
