"""Files the engine writes (images, published articles): whole or not at all, and their leftovers.

Every write goes through `write_atomic`: a temp file beside the target, then one rename. A host
killed mid-write leaves only a temp file, never half a target; `remove_temp_files` clears them
when another host recovers the run.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from igny8_tui import faults

TEMP_SUFFIX = ".igny8-tmp"


def write_atomic(target: Path, data: bytes, *, site: str, mode: int | None = None) -> None:
    """Replace ``target`` in one step; ``site`` names the write for fault injection."""
    faults.check(site, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temp_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=TEMP_SUFFIX
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            # Temp files are created private; a web server may run as another user.
            os.chmod(temp_name, mode)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def temp_files(root: Path) -> Iterator[Path]:
    """Temp files a killed writer left anywhere under ``root``."""
    if root.is_dir():
        yield from (path for path in root.rglob(f".*{TEMP_SUFFIX}") if path.is_file())


def remove_temp_files(root: Path) -> list[Path]:
    """Remove the temp files left under ``root``; the paths removed. One that cannot be removed
    is left: it is clutter, not harm, and must not stop the run that recovers."""
    removed: list[Path] = []
    for path in temp_files(root):
        try:
            path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed
