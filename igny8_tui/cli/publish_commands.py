"""Where each site publishes: `publish set`, `publish show`, `publish test`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from pydantic import SecretStr

from igny8_tui.cli.options import State, command, on_terminal, site_option
from igny8_tui.cli.payloads import PublishWebhookSet
from igny8_tui.errors import InvalidInputError

PASSWORD_ENV = "IGNY8_WP_APP_PASSWORD"


@click.group()
def publish() -> None:
    """Where each site publishes: a folder of Markdown bundles (the default) or WordPress."""


@publish.group("set")
@click.option("--site", "site_ref", help="Site id or name (also accepted after the target).")
@click.pass_context
def publish_set(ctx: click.Context, site_ref: str | None) -> None:
    """Set a site's publish target: `folder`, `wordpress` or `webhook`."""
    ctx.obj = site_ref


def _site(state: State, ctx: click.Context, site_ref: str | None) -> int:
    ref = site_ref or ctx.obj
    if not ref:
        raise InvalidInputError("give the site: igny8 publish set --site S folder|wordpress ...")
    return state.site_id(ref)


@publish_set.command("folder")
@click.option("--site", "site_ref", help="Site id or name.")
@click.option(
    "--dir",
    "folder_dir",
    type=click.Path(path_type=Path),
    help="Write the bundles here (e.g. a Hugo site's content/posts); default <home>/published.",
)
@command()
@click.pass_context
def set_folder(
    ctx: click.Context, state: State, site_ref: str | None, folder_dir: Path | None
) -> None:
    """Publish to Markdown page bundles in a folder; forgets any WordPress password."""
    site_id = _site(state, ctx, site_ref)
    state.emit(state.runtime.publish_targets.set_folder(site_id, folder_dir))


@publish_set.command("wordpress")
@click.option("--site", "site_ref", help="Site id or name.")
@click.option("--url", required=True, help="The WordPress site, e.g. https://example.com.")
@click.option("--user", required=True, help="The WordPress user the application password is of.")
@click.option("--status", type=click.Choice(["publish", "draft"]), default="publish")
@click.option(
    "--drip",
    "drip_minutes",
    type=int,
    default=0,
    help="Schedule posts (status future) this many minutes apart, after the last scheduled one.",
)
@click.option("--no-category", is_flag=True, help="Don't file posts under their cluster's name.")
@click.option("--no-tags", is_flag=True, help="Don't tag posts with their target keywords.")
@click.option("--password-stdin", is_flag=True, help="Read the application password from stdin.")
@command()
@click.pass_context
def set_wordpress(
    ctx: click.Context,
    state: State,
    site_ref: str | None,
    url: str,
    user: str,
    status: str,
    drip_minutes: int,
    no_category: bool,
    no_tags: bool,
    password_stdin: bool,
) -> None:
    """Publish to a WordPress site over its REST API, checked at once. The application password
    comes from $IGNY8_WP_APP_PASSWORD, --password-stdin, or a prompt on a terminal."""
    site_id = _site(state, ctx, site_ref)
    settings = state.runtime.wordpress_settings_from(
        {
            "url": url,
            "user": user,
            "status": status,
            "drip_minutes": drip_minutes,
            "category_from_cluster": not no_category,
            "tags_from_keywords": not no_tags,
        }
    )
    password = _password(password_stdin)
    state.emit(state.runtime.set_wordpress_target(site_id, settings, password))


@publish_set.command("webhook")
@click.argument("url")
@click.option("--site", "site_ref", help="Site id or name.")
@click.option(
    "--secret", envvar="IGNY8_WEBHOOK_SECRET", help="Use this whsec_ secret instead of a new one."
)
@command()
@click.pass_context
def set_webhook(
    ctx: click.Context, state: State, url: str, site_ref: str | None, secret: str | None
) -> None:
    """Publish each article as a signed `content.published` event (HTML and images) to URL;
    it counts as published only when the receiver answers 2xx. Prints the secret once."""
    site_id = _site(state, ctx, site_ref)
    info, shown = state.runtime.publish_targets.set_webhook(site_id, url, secret)
    state.emit(PublishWebhookSet(target=info, secret=shown))


def _password(from_stdin: bool) -> SecretStr:
    if from_stdin:
        value = sys.stdin.readline().strip()
    elif os.environ.get(PASSWORD_ENV):
        value = os.environ[PASSWORD_ENV].strip()
    elif on_terminal():
        value = click.prompt("Application password", hide_input=True).strip()
    else:
        raise InvalidInputError(
            f"no application password: set ${PASSWORD_ENV}, or pass --password-stdin"
        )
    if not value:
        raise InvalidInputError("the application password is empty")
    return SecretStr(value)


@publish.command("show")
@site_option
@command(read_only=True)
def publish_show(state: State, site_ref: str) -> None:
    """Where the site publishes (never the password: only whether one is stored)."""
    state.emit(state.runtime.publish_targets.info(state.site_id(site_ref)))


@publish.command("test")
@site_option
@command(read_only=True)
def publish_test(state: State, site_ref: str) -> None:
    """Check the site's target now, as setting it did: the folder can be written, or the
    WordPress user may publish posts and upload files."""
    state.emit(state.runtime.check_publish_target(state.site_id(site_ref)))


COMMANDS = (publish,)
