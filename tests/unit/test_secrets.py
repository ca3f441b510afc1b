"""The secrets file: private to its owner, keyed by site, and never half-written."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from igny8_tui.errors import InvalidInputError
from igny8_tui.publish.secrets import SecretStore


def test_a_password_is_kept_per_site_in_a_file_only_its_owner_may_read(tmp_path: Path) -> None:
    store = SecretStore(tmp_path)
    store.set_wordpress_password(1, SecretStr("abcd efgh ijkl"))
    store.set_wordpress_password(2, SecretStr("other"))
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    again = SecretStore(tmp_path)
    assert again.wordpress_password(1) == SecretStr("abcd efgh ijkl")
    assert again.wordpress_password(2) == SecretStr("other")
    again.forget(1)
    assert SecretStore(tmp_path).wordpress_password(1) is None
    assert SecretStore(tmp_path).wordpress_password(2) == SecretStr("other")
    assert not list(tmp_path.glob("*.igny8-tmp"))


def test_a_damaged_secrets_file_is_one_line_naming_it_without_its_contents(
    tmp_path: Path,
) -> None:
    store = SecretStore(tmp_path)
    store.path.write_text('{"sites": {"1": {"wordpress_app_password": "hunter2"')
    with pytest.raises(InvalidInputError) as refused:
        store.wordpress_password(1)
    message = str(refused.value)
    assert str(store.path) in message and "hunter2" not in message
    assert len(message.splitlines()) == 1
