"""Fault injection at the engine's write sites, so tests meet a full disk without filling one.

``IGNY8_FAULTS`` lists faults as ``SITE=ERRNO[@N]``, comma-separated: every write at SITE
(``database``, ``hosts``, ``media``, ``published``, ``secrets`` or ``export``) after the first N
raises ``OSError(ERRNO)``, e.g. ``IGNY8_FAULTS="media=ENOSPC@2"`` lets two images land, then the
disk is "full". Tests use it because a real full disk is hard to make and a real EACCES doesn't bite
root, which CI runs as.
Unset, as in production, a check costs one dictionary lookup.
"""

from __future__ import annotations

import errno
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from igny8_tui.errors import InvalidInputError

FAULTS_ENV = "IGNY8_FAULTS"
SITES = frozenset({"database", "export", "hosts", "media", "published", "secrets"})


@dataclass
class _Fault:
    code: int
    writes_before: int
    writes_seen: int = 0


_lock = threading.Lock()
_plan: dict[str, _Fault] | None = None
_plan_text: str | None = None


def check(site: str, target: Path | str) -> None:
    """Raise the injected OSError for this write, if one is due."""
    text = os.environ.get(FAULTS_ENV)
    if not text:
        return
    with _lock:
        fault = _current_plan(text).get(site)
        if fault is None:
            return
        fault.writes_seen += 1
        if fault.writes_seen <= fault.writes_before:
            return
    raise OSError(fault.code, os.strerror(fault.code), str(target))


def _current_plan(text: str) -> dict[str, _Fault]:
    global _plan, _plan_text
    if _plan is None or text != _plan_text:
        _plan, _plan_text = parse(text), text
    return _plan


def parse(text: str) -> dict[str, _Fault]:
    plan: dict[str, _Fault] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        site, _, spec = entry.partition("=")
        name, _, count = spec.partition("@")
        code = getattr(errno, name.strip(), None)
        if site.strip() not in SITES or not isinstance(code, int) or not (count or "0").isdigit():
            raise InvalidInputError(
                f"{FAULTS_ENV}: {entry!r} is not SITE=ERRNO[@N] with SITE one of "
                f"{', '.join(sorted(SITES))} and ERRNO a name like ENOSPC"
            )
        plan[site.strip()] = _Fault(code, int(count or 0))
    return plan
