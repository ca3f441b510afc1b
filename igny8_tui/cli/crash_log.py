"""The crash log: what an unexpected error leaves for whoever looks into it (the traceback, the
command line without its secrets, the versions), written under the data directory, else in the
temp directory. Writing it never raises: a crash report must not crash."""

from __future__ import annotations

import os
import platform
import re
import shlex
import tempfile
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import igny8_tui
from igny8_tui.redaction import HIDDEN, redacted_text, redacted_url
from igny8_tui.settings import resolve_home

CRASH_DIR_NAME = "crash"
# Options and KEY=VALUE assignments whose value is a secret by its name.
_SECRET_NAME = re.compile(r"^-*[\w.-]*(password|passwd|secret|token|api[-_]?key|credential)", re.I)


@dataclass(frozen=True)
class CrashLog:
    """Where the crash log went (None: nowhere), and why not under the data directory."""

    path: Path | None
    trouble: str | None = None


def write_crash_log(exc: BaseException, argv: list[str], home: Path | None) -> CrashLog:
    """The crash log of `exc`, as `<data directory>/crash/<UTC time>-<pid>.log` (owner-only);
    in the temp directory when the data directory cannot take it."""
    moment = datetime.now(UTC)
    name = f"{moment:%Y%m%dT%H%M%SZ}-{os.getpid()}.log"
    try:
        text = crash_report(exc, argv, moment)
    except Exception as failure:  # the report itself failed: keep what can be kept
        text = f"igny8 crash log (the full report failed: {failure!r})\n{exc!r}\n"
    directory: Path | str = "the data directory"
    try:
        directory = resolve_home(home) / CRASH_DIR_NAME
        return CrashLog(_write_new(directory, name, text))
    except Exception as failure:
        trouble = f"the data directory could not take it ({_reason(directory, failure)})"
    try:
        temp = Path(tempfile.gettempdir())
        return CrashLog(_write_new(temp, f"igny8-crash-{name}", text), trouble)
    except Exception as failure:
        return CrashLog(None, f"{trouble}; nor could the temp directory ({failure})")


def crash_report(exc: BaseException, argv: list[str], moment: datetime) -> str:
    lines = [
        "igny8 crash log",
        f"time: {moment.isoformat(timespec='seconds').replace('+00:00', 'Z')}",
        f"igny8 {igny8_tui.__version__}",
        f"Python {platform.python_version()} ({platform.python_implementation()}, "
        f"{platform.platform()})",
        f"command: {shlex.join(['igny8', *redacted_args(argv)])}",
        f"process: {os.getpid()}",
        "",
        "".join(traceback.format_exception(exc)),
    ]
    return redacted_text("\n".join(lines))


def redacted_args(argv: list[str]) -> list[str]:
    """The arguments without secrets: credentials in URLs, and values of options (`--api-key X`,
    `--password=X`) and assignments (`api_key=X`) named as secrets."""
    shown: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            shown.append(HIDDEN)
            hide_next = False
            continue
        name, equals, _ = arg.partition("=")
        if _SECRET_NAME.match(name):
            if equals:
                shown.append(f"{name}={HIDDEN}")
                continue
            hide_next = arg.startswith("-")
        shown.append(redacted_url(arg))
    return shown


def _write_new(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / name
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as out:
        out.write(text)
    return path


def _reason(directory: Path | str, failure: Exception) -> str:
    if isinstance(failure, OSError) and failure.strerror:
        return f"{failure.filename or directory}: {failure.strerror}"
    return f"{directory}: {failure}"
