"""Shared fixtures: a fresh data directory, the runtime over it, and the real `igny8` command."""

from __future__ import annotations

import os
import subprocess
import sys
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


def start_igny8(home: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "igny8_tui", *args],
        env=igny8_env(home, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
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


def demo_site(runtime: Runtime, name: str = "green-thumb", grant: float = 10_000) -> int:
    """A site with the 150 demo keywords (12 topics) and credits."""
    site = runtime.workspace.add_site(name)
    runtime.workspace.import_keywords(site.id, DEMO_CSV)
    if grant:
        runtime.workspace.add_credits(grant)
    return site.id
