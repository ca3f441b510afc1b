"""Where each site publishes: its target's settings (in the database), its password (in the
secrets file), and the `PublishTarget` stage 7 publishes through."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr, ValidationError
from sqlalchemy.orm import Session

from igny8_tui.db.engine import Database
from igny8_tui.db.models import PublishTargetConfig, Site
from igny8_tui.errors import InvalidInputError, NotFoundError, first_validation_error
from igny8_tui.publish.folder import FolderTarget
from igny8_tui.publish.secrets import SecretStore
from igny8_tui.publish.target import PublishTarget
from igny8_tui.publish.webhook import WebhookPublishTarget, checked_secret, new_secret
from igny8_tui.redaction import redacted_url
from igny8_tui.schemas import (
    FolderTargetSettings,
    PostStatus,
    PublishKind,
    PublishTargetInfo,
    WordPressTargetSettings,
)
from igny8_tui.settings import Settings

# Builds the remote target for a site's WordPress settings and password (publish/wordpress.py).
WordPressFactory = Callable[[WordPressTargetSettings, SecretStr], PublishTarget]


class PublishTargets:
    """Each site's publish target: read, set, and built for stage 7."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.secrets = SecretStore(settings.home)

    def info(self, site_id: int) -> PublishTargetInfo:
        with self.db.read() as session:
            site, row = _site_and_row(session, site_id)
            return self._info(site, row)

    def set_folder(self, site_id: int, folder_dir: Path | None) -> PublishTargetInfo:
        """Publish to Markdown bundles in `folder_dir` (default: <home>/published)."""
        if folder_dir is not None:
            folder_dir = folder_dir.expanduser().absolute()
            if folder_dir.exists() and not folder_dir.is_dir():
                raise InvalidInputError(f"--dir {folder_dir}: not a directory")
        target = FolderTargetSettings(folder_dir=str(folder_dir) if folder_dir else None)
        with self.db.write() as session:
            site, row = _site_and_row(session, site_id)
            row = row or _new_row(session, site_id)
            row.kind, row.folder_dir = target.kind, target.folder_dir
            row.url = row.username = None
            info = self._info(site, row)
        self.secrets.forget(site_id)
        return info

    def set_wordpress(
        self, site_id: int, target: WordPressTargetSettings, password: SecretStr
    ) -> PublishTargetInfo:
        """Store a WordPress target the caller has checked; its password goes to the secrets
        file, first, so a stored target always has its password."""
        self.secrets.set_wordpress_password(site_id, password)
        with self.db.write() as session:
            site, row = _site_and_row(session, site_id)
            row = row or _new_row(session, site_id)
            row.kind, row.folder_dir = target.kind, None
            row.url, row.username = target.url, target.user
            row.post_status, row.drip_minutes = target.status, target.drip_minutes
            row.category_from_cluster = target.category_from_cluster
            row.tags_from_keywords = target.tags_from_keywords
            return self._info(site, row)

    def set_webhook(
        self, site_id: int, url: str, secret: str | None
    ) -> tuple[PublishTargetInfo, str]:
        """Publish through a webhook: `content.published`, signed with `secret` (checked) or a
        new one; the secret goes to the secrets file first, and is returned to be shown once."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidInputError(f"webhook URL {redacted_url(url)!r}: expected http(s)://...")
        signing = checked_secret(secret) if secret else new_secret()
        self.secrets.set_publish_webhook_secret(site_id, signing)
        with self.db.write() as session:
            site, row = _site_and_row(session, site_id)
            row = row or _new_row(session, site_id)
            row.kind, row.folder_dir, row.url, row.username = "webhook", None, url, None
            return self._info(site, row), signing.get_secret_value()

    def wordpress_settings(
        self, site_id: int, info: PublishTargetInfo | None = None
    ) -> tuple[WordPressTargetSettings, SecretStr]:
        """The site's WordPress target and its password, for a check or stage 7 (`info`: the
        target as already read)."""
        info = info or self.info(site_id)
        if info.kind != "wordpress" or info.url is None or info.user is None:
            raise InvalidInputError(
                f"site {info.site_name!r} publishes to a folder; set a WordPress target with "
                "`igny8 publish set --site S wordpress --url URL --user USER`"
            )
        password = self.secrets.wordpress_password(site_id)
        if password is None:
            raise InvalidInputError(
                f"no application password is stored for site {info.site_name!r}; set the target "
                "again with `igny8 publish set`"
            )
        return (
            WordPressTargetSettings(
                url=info.url,
                user=info.user,
                status=info.status,
                drip_minutes=info.drip_minutes,
                category_from_cluster=info.category_from_cluster,
                tags_from_keywords=info.tags_from_keywords,
            ),
            password,
        )

    def target(
        self, site_id: int, wordpress: WordPressFactory
    ) -> tuple[PublishTarget, PublishTargetInfo]:
        """The PublishTarget stage 7 uses for this site, and its settings."""
        info = self.info(site_id)
        if info.kind == "wordpress":
            return wordpress(*self.wordpress_settings(site_id, info)), info
        if info.kind == "webhook" and info.url:
            secret = self.secrets.publish_webhook_secret(site_id)
            if secret is None:
                raise InvalidInputError(
                    f"no webhook secret is stored for site {info.site_name!r}; set the target "
                    "again with `igny8 publish set --site S webhook URL`"
                )
            target = WebhookPublishTarget(
                info.url, secret, site_id, info.site_name, self.settings.event_timeout_s
            )
            return target, info
        return FolderTarget(Path(info.folder or self.settings.publish_dir)), info

    def _secret_stored(self, kind: PublishKind, site_id: int) -> bool:
        """Whether the target's password (WordPress) or signing secret (webhook) is kept."""
        if kind == "wordpress":
            return self.secrets.wordpress_password(site_id) is not None
        if kind == "webhook":
            return self.secrets.publish_webhook_secret(site_id) is not None
        return False

    def _info(self, site: Site, row: PublishTargetConfig | None) -> PublishTargetInfo:
        kind: PublishKind = "folder"
        if row is not None and row.kind == "wordpress":
            kind = "wordpress"
        elif row is not None and row.kind == "webhook":
            kind = "webhook"
        folder = None
        if kind == "folder":
            folder = (row.folder_dir if row else None) or str(self.settings.publish_dir)
        status: PostStatus = (
            "draft" if row is not None and row.post_status == "draft" else "publish"
        )
        return PublishTargetInfo(
            site_id=site.id,
            site_name=site.name,
            kind=kind,
            folder=folder,
            url=row.url if row else None,
            user=row.username if row else None,
            status=status,
            drip_minutes=row.drip_minutes if row else 0,
            category_from_cluster=row.category_from_cluster if row else True,
            tags_from_keywords=row.tags_from_keywords if row else True,
            password_stored=self._secret_stored(kind, site.id),
        )


def wordpress_settings_from(fields: dict[str, object]) -> WordPressTargetSettings:
    """The operator's WordPress settings, or one line naming the field that is wrong."""
    try:
        return WordPressTargetSettings.model_validate(fields)
    except ValidationError as exc:
        field, message = first_validation_error(exc)
        raise InvalidInputError(f"--{field.replace('_', '-')}: {message}") from None


def _site_and_row(session: Session, site_id: int) -> tuple[Site, PublishTargetConfig | None]:
    site = session.get(Site, site_id)
    if site is None:
        raise NotFoundError(f"no site {site_id}")
    return site, session.get(PublishTargetConfig, site_id)


def _new_row(session: Session, site_id: int) -> PublishTargetConfig:
    row = PublishTargetConfig(
        site_id=site_id,
        kind="folder",
        post_status="publish",
        drip_minutes=0,
        category_from_cluster=True,
        tags_from_keywords=True,
    )
    session.add(row)
    return row


def published_where(row: PublishTargetConfig | None, default_dir: Path, site_slug: str) -> str:
    """Where a site's articles go: the WordPress address, or the folder holding its bundles."""
    if row is not None and row.kind in ("wordpress", "webhook") and row.url:
        return row.url
    folder = Path(row.folder_dir) if row is not None and row.folder_dir else default_dir
    return str(FolderTarget(folder).site_folder(site_slug))


def target_label(row: PublishTargetConfig | None) -> str:
    """Where a site publishes, in two words: `folder`, `WordPress <host>` or `webhook <host>`."""
    if row is None or row.kind not in ("wordpress", "webhook") or not row.url:
        return "folder"
    name = "WordPress" if row.kind == "wordpress" else "webhook"
    return f"{name} {urlsplit(row.url).hostname or row.url}"
