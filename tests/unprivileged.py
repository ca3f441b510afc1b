"""A child process that file permissions bind, even when the tests run as root (as in CI).

Root ignores `chmod` because it holds CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH. Dropping both
from the bounding set just before `exec` leaves the child, still uid 0, without them: a file
mode 0444 is then read-only to it, as it is to any other user. Not root: nothing to drop."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import igny8_env

_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE = 1
_CAP_DAC_READ_SEARCH = 2


def _drop_permission_overrides() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def _before_exec() -> Callable[[], None] | None:
    if os.geteuid() != 0:
        return None
    if not sys.platform.startswith("linux"):
        pytest.skip("running as root off Linux: no way to make file permissions bind")
    probe = subprocess.run(
        [sys.executable, "-c", "pass"], preexec_fn=_drop_permission_overrides, check=False
    )
    if probe.returncode != 0:
        pytest.skip("running as root without the right to drop capabilities")
    return _drop_permission_overrides


def run_igny8_unprivileged(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`run_igny8`, in a process that cannot override file permissions."""
    return subprocess.run(
        [sys.executable, "-m", "igny8_tui", *args],
        env=igny8_env(home, **env),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_before_exec(),
    )
