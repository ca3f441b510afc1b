"""Commands around the automation: credits, sites, keyword import, and what the pipeline made."""

from __future__ import annotations

from pathlib import Path

import click

from igny8_tui.cli.options import State, command, site_option
from igny8_tui.cli.payloads import ClusterList, ContentList, KeywordList, SiteList
from igny8_tui.schemas import CONTENT_STATUSES


@click.command()
@click.option("--add", "amount", type=float, help="Grant this many credits.")
@command()
def credits(state: State, amount: float | None) -> None:
    """Show the account's credit balance, or grant credits."""
    workspace = state.runtime.workspace
    state.emit(workspace.add_credits(amount) if amount is not None else workspace.credits())


@click.group()
def site() -> None:
    """Add and list sites."""


@site.command("add")
@click.argument("name")
@click.option("--domain", help="The site's domain.")
@command()
def site_add(state: State, name: str, domain: str | None) -> None:
    """Add a site."""
    state.emit(state.runtime.workspace.add_site(name, domain))


@site.command("list")
@command(read_only=True)
def site_list(state: State) -> None:
    """List the sites."""
    state.emit(SiteList(state.runtime.workspace.list_sites()))


@click.group()
def keywords() -> None:
    """Import and list keywords."""


@keywords.command("import")
@site_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@command()
def keywords_import(state: State, site_ref: str, file: Path) -> None:
    """Import keywords from a CSV file (columns keyword, volume, difficulty, intent)."""
    state.emit(state.runtime.workspace.import_keywords(site_ref, file))


@keywords.command("list")
@site_option
@click.option("--status", type=click.Choice(["new", "mapped"]))
@command(read_only=True)
def keywords_list(state: State, site_ref: str, status: str | None) -> None:
    """List a site's keywords."""
    state.emit(KeywordList(state.runtime.workspace.keywords(site_ref, status)))


@click.group()
def clusters() -> None:
    """List clusters."""


@clusters.command("list")
@site_option
@command(read_only=True)
def clusters_list(state: State, site_ref: str) -> None:
    """List a site's clusters."""
    state.emit(ClusterList(state.runtime.workspace.clusters(site_ref)))


@click.group()
def content() -> None:
    """List content, and show one article."""


@content.command("list")
@site_option
@click.option("--status", type=click.Choice(CONTENT_STATUSES), help="Only articles in this status.")
@click.option("--search", "text", help="Only titles containing this text (any case).")
@command(read_only=True)
def content_list(state: State, site_ref: str, status: str | None, text: str | None) -> None:
    """List a site's articles, and its failed tasks (status failed: no article was written)."""
    state.emit(ContentList(state.runtime.workspace.content(site_ref, status, text)))


@content.command("show")
@site_option
@click.argument("content_id", metavar="ID", type=click.IntRange(min=1))
@click.option("--markdown", is_flag=True, help="Print only the article's body as Markdown.")
@command(read_only=True)
def content_show(state: State, site_ref: str, content_id: int, markdown: bool) -> None:
    """One article: its metadata, images and failures (or, with --markdown, its body)."""
    article = state.runtime.workspace.article(site_ref, content_id)
    if markdown and not state.as_json:
        click.echo(article.markdown)
        return
    state.emit(article)


COMMANDS = (credits, site, keywords, clusters, content)
