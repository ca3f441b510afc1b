"""A site's automation config, and the AI in use: `config`, `ai check`, `prompts`."""

from __future__ import annotations

import sys

import click
from pydantic import ValidationError

from igny8_tui.cli.options import EXIT_RUN_NOT_COMPLETED, State, command, site_option
from igny8_tui.cli.payloads import ConfigView, PromptInfo, PromptsReport
from igny8_tui.errors import InvalidInputError
from igny8_tui.redaction import redacted_notify_url
from igny8_tui.schemas import ConfigPayload, ConfigUpdate, describe_config_error
from igny8_tui.settings import notify_urls_for


def _view(state: State, config: ConfigPayload, site_name: str) -> ConfigView:
    settings = state.runtime.settings
    urls = [
        redacted_notify_url(url.get_secret_value()) for url in notify_urls_for(settings, site_name)
    ]
    return ConfigView(**config.model_dump(), ai=settings.ai_summary(), notify_urls=urls)


def parse_assignments(pairs: tuple[str, ...]) -> ConfigUpdate:
    """`key=value` pairs into a validated update; the first bad one is named."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"{pair!r}: expected key=value")
        values[key.strip()] = value.strip()
    if not values:
        raise InvalidInputError("give at least one key=value, e.g. stage_4_batch_size=6")
    try:
        return ConfigUpdate.model_validate(values)
    except ValidationError as exc:
        raise InvalidInputError(describe_config_error(exc, values)) from None


@click.group()
def config() -> None:
    """Show or change a site's automation config."""


@config.command("show")
@site_option
@command(read_only=True)
def config_show(state: State, site_ref: str) -> None:
    """Show a site's AutomationConfig and the AI provider in use (never its key)."""
    site = state.runtime.workspace.site(site_ref)
    state.emit(_view(state, state.runtime.service.config(site.id), site.name))


@config.command("set")
@site_option
@click.argument("assignments", nargs=-1, metavar="KEY=VALUE...")
@command()
def config_set(state: State, site_ref: str, assignments: tuple[str, ...]) -> None:
    """Change settings, e.g. `stage_4_batch_size=6 skip_stage_6=true`; all or nothing."""
    update = parse_assignments(assignments)
    site = state.runtime.workspace.site(site_ref)
    config = state.runtime.service.update_config(site.id, update)
    state.emit(_view(state, config, site.name))


@click.group()
def ai() -> None:
    """The AI provider in use."""


@ai.command("check")
@command()
def ai_check(state: State) -> None:
    """Send one tiny request and report whether the server answers, its model and latency."""
    result = state.runtime.check_ai()
    state.emit(result)
    if not result.ok:
        sys.exit(EXIT_RUN_NOT_COMPLETED)


@click.command()
@command()
def prompts(state: State) -> None:
    """List the prompt templates, where each comes from, and the fields it may use."""
    templates = [
        PromptInfo(name=t.name, source=t.source, fields=t.fields)
        for t in state.runtime.prompt_templates()
    ]
    directory = str(state.runtime.settings.prompts_dir)
    state.emit(PromptsReport(directory=directory, templates=templates))


COMMANDS = (config, ai, prompts)
