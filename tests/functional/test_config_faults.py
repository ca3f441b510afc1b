"""A config file or data directory igny8 cannot use stops every command with one line naming
it, exit 2 (issue 9, defect 5)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import invoke_igny8
from tests.stderr_lines import error_line
from tests.unprivileged import run_igny8_unprivileged


def config_file(home: Path, content: bytes) -> Path:
    home.mkdir(parents=True)
    path = home / "config.toml"
    path.write_bytes(content)
    return path


def test_invalid_toml_is_named_with_its_line(home: Path) -> None:
    path = config_file(home, b"ideas_per_cluster = 3\nkeys = {x\n")
    line = error_line(invoke_igny8(home, "site", "list"))
    assert str(path) in line
    assert "line 2" in line


def test_a_config_file_that_is_not_utf8_is_named_with_its_line(home: Path) -> None:
    path = config_file(home, b"ideas_per_cluster = 3\n# caf\xe9 au lait\n")
    line = error_line(invoke_igny8(home, "site", "list"))
    assert str(path) in line
    assert "not UTF-8" in line and "line 2" in line


def test_a_directory_named_config_toml_is_named(home: Path) -> None:
    (home / "config.toml").mkdir(parents=True)
    line = error_line(invoke_igny8(home, "site", "list"))
    assert f"{home / 'config.toml'} is a directory" in line


def test_a_config_file_this_user_may_not_read_is_named(home: Path) -> None:
    path = config_file(home, b"ideas_per_cluster = 3\n")
    os.chmod(path, 0o000)
    line = error_line(run_igny8_unprivileged(home, "site", "list"))
    assert f"cannot read {path}" in line
    assert "Permission denied" in line


def test_a_data_directory_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory\n")
    home = tmp_path / "a-file" / "igny8"
    line = error_line(invoke_igny8(home, "site", "list"))
    assert f"cannot use {home} as the data directory" in line
    assert "--home" in line and "IGNY8_HOME" in line
