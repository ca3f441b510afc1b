"""Processes that race: each gets ready (imports, opens the database), says so, and waits for the
start; the test starts them all at once, only when every one of them is ready. A racer that is
slow to start (a busy machine) delays the race instead of spoiling it."""

from __future__ import annotations

import select
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import igny8_env

# A racer's script calls this where the race starts.
READY_THEN_WAIT = """
def ready_then_wait():
    print("ready", flush=True)
    sys.stdin.readline()  # the start: the test writes a line to every racer at once
"""


def start_racers(
    home: Path, script: str, *args: str, count: int = 2
) -> list[subprocess.Popen[str]]:
    """`count` processes running `script` (which calls `ready_then_wait()`) with `args`."""
    return [
        subprocess.Popen(
            [sys.executable, "-c", "import sys\n" + READY_THEN_WAIT + script, *args],
            env=igny8_env(home),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]


def race(racers: list[subprocess.Popen[str]], timeout_s: float = 120) -> list[tuple[str, str]]:
    """Wait until every racer is ready, start them together, and return what each printed after
    `ready` (stdout, stderr)."""
    deadline = time.monotonic() + timeout_s
    try:
        for racer in racers:
            assert racer.stdout is not None
            waiting = max(deadline - time.monotonic(), 0)
            readable, _, _ = select.select([racer.stdout], [], [], waiting)
            line = racer.stdout.readline() if readable else ""
            if line != "ready\n":
                racer.kill()
                _, err = racer.communicate()
                raise AssertionError(f"a racer did not get ready: {line!r}\n{err}")
        for racer in racers:
            assert racer.stdin is not None
            racer.stdin.write("go\n")
            racer.stdin.flush()
        return [racer.communicate(timeout=max(deadline - time.monotonic(), 1)) for racer in racers]
    finally:
        for racer in racers:
            racer.kill()
