"""Publish credentials (by site id) and webhook secrets (by endpoint id): one 0600 file under
the data directory.

Never in the database, the logs, the screens or `--json` output: a database is copied, backed
up and shared between hosts far more freely than a file only its owner may read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from igny8_tui.atomic_files import write_atomic
from igny8_tui.errors import InvalidInputError

SECRETS_FILE_NAME = "secrets.json"
SECRETS_FILE_MODE = 0o600
_WORDPRESS_PASSWORD = "wordpress_app_password"
_PUBLISH_WEBHOOK_SECRET = "publish_webhook_secret"


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

    def publish_webhook_secret(self, site_id: int) -> SecretStr | None:
        value = self._read().get(str(site_id), {}).get(_PUBLISH_WEBHOOK_SECRET)
        return SecretStr(value) if isinstance(value, str) else None

    def set_publish_webhook_secret(self, site_id: int, secret: SecretStr) -> None:
        sites = self._read()
        sites[str(site_id)] = {_PUBLISH_WEBHOOK_SECRET: secret.get_secret_value()}
        self._write(sites)

    def forget(self, site_id: int) -> None:
        sites = self._read()
        if sites.pop(str(site_id), None) is not None:
            self._write(sites)

    def webhook_secret(self, endpoint_id: int) -> SecretStr | None:
        value = self._document().get("webhooks", {}).get(str(endpoint_id))
        return SecretStr(value) if isinstance(value, str) else None

    def set_webhook_secret(self, endpoint_id: int, secret: SecretStr) -> None:
        document = self._document()
        document.setdefault("webhooks", {})[str(endpoint_id)] = secret.get_secret_value()
        self._save(document)

    def forget_webhook(self, endpoint_id: int) -> None:
        document = self._document()
        if document.get("webhooks", {}).pop(str(endpoint_id), None) is not None:
            self._save(document)

    def _read(self) -> dict[str, dict[str, str]]:
        return self._document().get("sites", {})

    def _document(self) -> dict[str, dict[str, Any]]:
        """The file's sections: `sites` (publish credentials by site id) and `webhooks`
        (webhook secrets by endpoint id)."""
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise InvalidInputError(
                f"{self.path}: cannot read the secrets file ({type(exc).__name__}); fix or "
                "remove it, then set the publish target or the webhook again"
            ) from None
        if not isinstance(document, dict):
            return {}
        return {
            section: value
            for section in ("sites", "webhooks")
            if isinstance(value := document.get(section), dict)
        }

    def _write(self, sites: dict[str, dict[str, str]]) -> None:
        document = self._document()
        document["sites"] = sites
        self._save(document)

    def _save(self, document: dict[str, dict[str, Any]]) -> None:
        data = json.dumps({"version": 1, **document}, indent=2).encode()
        write_atomic(self.path, data, site="secrets", mode=SECRETS_FILE_MODE)
