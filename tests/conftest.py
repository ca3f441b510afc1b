"""Shared fixtures: a fresh data directory, the runtime over it, and the real `igny8` command."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest

from igny8_tui.runtime import Runtime

DEMO_CSV = Path(str(files("igny8_tui") / "data" / "demo_keywords.csv"))


def igny8_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IGNY8_")}
    env["IGNY8_HOME"] = str(home)
    env.update(extra)
    return env


def run_igny8(
    home: Path, *args: str, timeout: float = 120, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the real command in a subprocess, as an operator would."""
    return subprocess.run(
        [sys.executable, "-m", "igny8_tui", *args],
        env=igny8_env(home, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Igny8Process(subprocess.Popen[str]):
    """The real command running in the background; its output goes to files, so a chatty
    process never blocks on a full pipe, and `communicate` returns what it wrote."""

    def __init__(self, args: list[str], env: dict[str, str], logs: Path) -> None:
        logs.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=logs, prefix="proc-")
        os.close(fd)
        self.out_path, self.err_path = Path(name + ".out"), Path(name + ".err")
        with self.out_path.open("w") as out, self.err_path.open("w") as err:
            super().__init__(args, env=env, stdout=out, stderr=err, text=True)

    def communicate(  # type: ignore[override]
        self, input: str | None = None, timeout: float | None = None
    ) -> tuple[str, str]:
        self.wait(timeout)
        return self.out_path.read_text(), self.err_path.read_text()


def start_igny8(home: Path, *args: str, **env: str) -> Igny8Process:
    return Igny8Process(
        [sys.executable, "-m", "igny8_tui", *args], igny8_env(home, **env), home.parent / "logs"
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "igny8-home"


@pytest.fixture
def runtime(home: Path) -> Iterator[Runtime]:
    rt = Runtime.load(home, None, actor="test")
    yield rt
    if "db" in rt.__dict__:
        rt.db.dispose()


SMALL_TOPICS_ROWS = 26  # the demo file's first two topics: raised beds and composting


def small_csv(directory: Path) -> Path:
    """26 demo keywords in 2 topics: a whole pipeline in about a second (2 clusters, 6 ideas,
    6 articles, 30 images, 153 credits)."""
    path = directory / "small-keywords.csv"
    lines = DEMO_CSV.read_text().splitlines()[: SMALL_TOPICS_ROWS + 1]
    path.write_text("\n".join(lines) + "\n")
    return path


def demo_site(
    runtime: Runtime, name: str = "green-thumb", grant: float = 10_000, small: bool = False
) -> int:
    """A site with the 150 demo keywords (12 topics), or the 26 of `small_csv`, and credits."""
    site = runtime.workspace.add_site(name)
    csv = small_csv(runtime.settings.home) if small else DEMO_CSV
    runtime.workspace.import_keywords(site.id, csv)
    if grant:
        runtime.workspace.add_credits(grant)
    return site.id


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """An empty PostgreSQL database (.ci/run starts one); where services are required, a
    missing one fails the test instead of skipping it."""
    url = os.environ.get("IGNY8_TEST_POSTGRES_URL")
    if url:
        return url
    if os.environ.get("IGNY8_REQUIRE_SERVICES"):
        pytest.fail("IGNY8_TEST_POSTGRES_URL is not set, and services are required")
    pytest.skip("set IGNY8_TEST_POSTGRES_URL to an empty PostgreSQL database to run it")
