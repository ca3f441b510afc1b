"""Settings: the data directory and database come from flags or env; the file is private."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.conftest import invoke_igny8


def test_the_database_is_created_in_the_home_readable_by_its_owner_only(home: Path) -> None:
    assert invoke_igny8(home, "site", "add", "one").returncode == 0
    db = home / "igny8.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_home_flag_and_db_url_override_the_environment(tmp_path: Path, home: Path) -> None:
    other = tmp_path / "other"
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    assert invoke_igny8(home, "--home", str(other), "site", "add", "x").returncode != 0
    assert invoke_igny8(home, "site", "add", "x", "--home", str(other)).returncode == 0
    assert invoke_igny8(home, "site", "add", "y", "--db", url).returncode == 0
    in_other = json.loads(invoke_igny8(home, "site", "list", "--home", str(other), "--json").stdout)
    in_url = json.loads(invoke_igny8(home, "site", "list", "--db", url, "--json").stdout)
    in_env = json.loads(invoke_igny8(home, "site", "list", "--json").stdout)
    assert [s["name"] for s in in_other] == ["x"]
    assert [s["name"] for s in in_url] == ["y"]
    assert in_env == []
    assert (other / "igny8.db").exists() and (tmp_path / "elsewhere.db").exists()


def test_credit_costs_come_from_the_config_file(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "config.toml").write_text("ideas_per_cluster = 2\n[credits]\nper_idea = 5\n")
    assert invoke_igny8(home, "site", "add", "s").returncode == 0
    csv = home / "k.csv"
    csv.write_text("keyword,volume\n" + "\n".join(f"compost bin model {n},{n}" for n in range(10)))
    assert invoke_igny8(home, "keywords", "import", "--site", "s", str(csv)).returncode == 0
    estimate = json.loads(invoke_igny8(home, "estimate", "--site", "s", "--json").stdout)
    assert estimate["stages"][1]["credits"] == 1 * 2 * 5
