"""A host's name (`run:alice@web1:4242`): how a process names itself, what the name says, and
whether the process it names has died on this machine."""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HostName:
    """The parts of a `host_identity`; a name of another shape keeps only its role."""

    role: str
    user: str
    machine: str
    pid: int | None


def host_identity(role: str) -> str:
    """A readable name for this process, e.g. `run:alice@web1:4242`."""
    return f"{role}:{getpass.getuser()}@{socket.gethostname()}:{os.getpid()}"


def parse_host_name(name: str) -> HostName:
    role, _, where = name.partition(":")
    user, _, place = where.rpartition("@")
    machine, _, pid_text = place.rpartition(":")
    pid = int(pid_text) if pid_text.isdigit() else None
    return HostName(role=role, user=user, machine=machine, pid=pid)


def holder_is_dead_here(owner: str) -> bool:
    """Is ``owner`` (a `host_identity`) a process of this machine that no longer runs?

    False whenever in doubt (another machine, a name of another shape, a pid now reused):
    then the lease simply runs out first."""
    parsed = parse_host_name(owner)
    pid = parsed.pid
    if parsed.machine != socket.gethostname() or pid is None or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, as another user
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """Killed but not yet reaped by its parent: dead, though the pid still answers."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]
