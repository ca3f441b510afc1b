"""Publish credentials: one 0600 file under the data directory, keyed by site id.

Never in the database, the logs, the screens or `--json` output: a database is copied, backed
up and shared between hosts far more freely than a file only its owner may read."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import SecretStr

from igny8_tui.atomic_files import write_atomic
from igny8_tui.errors import InvalidInputError

SECRETS_FILE_NAME = "secrets.json"
SECRETS_FILE_MODE = 0o600
_WORDPRESS_PASSWORD = "wordpress_app_password"


class SecretStore:
    """The secrets file of a data directory."""

    def __init__(self, home: Path) -> None:
        self.path = home / SECRETS_FILE_NAME

    def wordpress_password(self, site_id: int) -> SecretStr | None:
        value = self._read().get(str(site_id), {}).get(_WORDPRESS_PASSWORD)
        return SecretStr(value) if isinstance(value, str) else None

    def set_wordpress_password(self, site_id: int, password: SecretStr) -> None:
        sites = self._read()
        sites.setdefault(str(site_id), {})[_WORDPRESS_PASSWORD] = password.get_secret_value()
        self._write(sites)

    def forget(self, site_id: int) -> None:
        sites = self._read()
        if sites.pop(str(site_id), None) is not None:
            self._write(sites)

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise InvalidInputError(
                f"{self.path}: cannot read the secrets file ({type(exc).__name__}); fix or "
                "remove it, then set the publish target again"
            ) from None
        sites = document.get("sites") if isinstance(document, dict) else None
        return sites if isinstance(sites, dict) else {}

    def _write(self, sites: dict[str, dict[str, str]]) -> None:
        data = json.dumps({"version": 1, "sites": sites}, indent=2).encode()
        write_atomic(self.path, data, site="secrets", mode=SECRETS_FILE_MODE)
