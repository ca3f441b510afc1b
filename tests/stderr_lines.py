"""What a failing command leaves on stderr: one line, no traceback, and its exit code."""

from __future__ import annotations

import subprocess


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a user error leaves on stderr, with exit code 2."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("igny8: error: ")
    return lines[0]
