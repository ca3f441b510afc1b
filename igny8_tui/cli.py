"""The `igny8` command: parse arguments, call the workspace or service, print text or --json."""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import BaseModel, ValidationError

from igny8_tui.automation.executor import RunOutcome
from igny8_tui.automation.foreground import host_until_done
from igny8_tui.automation.lease import host_identity
from igny8_tui.cli_output import render
from igny8_tui.constants import DAEMON_MAX_RUNS, DEFAULT_LOG_LINES, POLL_INTERVAL_S
from igny8_tui.db.engine import Database
from igny8_tui.db.migrate import SchemaState
from igny8_tui.errors import AlreadyRunningError, Igny8Error, InvalidInputError
from igny8_tui.runtime import Runtime
from igny8_tui.schemas import ConfigPayload, ConfigUpdate, RunSummary, describe_config_error
from igny8_tui.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])
EXIT_USER_ERROR = 2
EXIT_RUN_NOT_COMPLETED = 1
EXIT_INTERRUPTED = 130


class State:
    """Per-invocation options shared by every command."""

    def __init__(
        self, home: Path | None, db: str | None, as_json: bool, role: str, no_upgrade: bool
    ) -> None:
        self.as_json = as_json
        self.runtime = Runtime.load(home, db, actor=host_identity(role))
        if no_upgrade:
            settings = self.runtime.settings.model_copy(update={"auto_upgrade": False})
            self.runtime.settings = settings

    def emit(self, data: Any, kind: str) -> None:
        if self.as_json:
            click.echo(json.dumps(_jsonable(data), indent=2, default=str))
        else:
            click.echo(render(kind, data))

    def site_id(self, ref: str) -> int:
        return self.runtime.workspace.site(ref).id


def _jsonable(data: Any) -> Any:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, list):
        return [_jsonable(item) for item in data]
    if isinstance(data, dict):
        return {key: _jsonable(value) for key, value in data.items()}
    return data


def command(role: str = "cli") -> Callable[[F], F]:
    """Adds --home/--db/--json/--no-upgrade to a command; a user error is one line and exit 2."""

    def decorate(func: F) -> F:
        @click.option(
            "--no-upgrade",
            is_flag=True,
            help="Refuse a database older than this igny8 instead of upgrading it.",
        )
        @click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
        @click.option("--db", "db_url", envvar="IGNY8_DB", help="Database URL.")
        @click.option(
            "--home",
            type=click.Path(file_okay=False, path_type=Path),
            envvar="IGNY8_HOME",
            help="Data directory.",
        )
        @functools.wraps(func)
        def wrapper(
            home: Path | None, db_url: str | None, as_json: bool, no_upgrade: bool, **kwargs: Any
        ) -> Any:
            try:
                state = State(home, db_url, as_json, role, no_upgrade)
                return func(state, **kwargs)
            except Igny8Error as exc:
                click.echo(f"igny8: error: {exc}", err=True)
                sys.exit(EXIT_USER_ERROR)

        return wrapper  # type: ignore[return-value]

    return decorate


site_option = click.option("--site", "site_ref", required=True, help="Site id or name.")


@click.group(invoke_without_command=True)
@click.version_option(package_name="igny8-tui")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """igny8: run and watch the SEO content pipeline of your sites.

    With no command on a terminal, opens the dashboard."""
    if ctx.invoked_subcommand is None:
        if _on_terminal():
            ctx.invoke(dashboard)
        else:
            click.echo(ctx.get_help())


def _on_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def open_dashboard(state: State, site_id: int | None, host: bool) -> None:
    from igny8_tui.tui.app import Igny8App

    Igny8App(state.runtime, site_id, host=host).run()


@cli.command()
@click.option("--site", "site_ref", help="Site id or name (default: the first site).")
@click.option("--watch-only", is_flag=True, help="Show and control runs, but host none here.")
@command(role="dashboard")
def dashboard(state: State, site_ref: str | None, watch_only: bool) -> None:
    """Open the dashboard (also what `igny8` alone does on a terminal)."""
    site_id = state.site_id(site_ref) if site_ref else None
    open_dashboard(state, site_id, host=not watch_only)


# ----- demo, credits, sites -----

DEMO_SITE = "green-thumb"


@cli.command()
@command(role="dashboard")
def demo(state: State) -> None:
    """Create (once) a demo site with keywords and credits, then open the dashboard on it
    (off a terminal, or with --json, print its pipeline instead)."""
    from importlib.resources import as_file, files

    workspace = state.runtime.workspace
    if DEMO_SITE not in {s.name for s in workspace.list_sites()}:
        workspace.add_site(DEMO_SITE, domain="green-thumb.example")
        with as_file(files("igny8_tui") / "data" / "demo_keywords.csv") as path:
            workspace.import_keywords(DEMO_SITE, path)
        workspace.add_credits(state.runtime.settings.demo_credits, note="demo grant")
    site_id = state.site_id(DEMO_SITE)
    if _on_terminal() and not state.as_json:
        open_dashboard(state, site_id, host=True)
        return
    state.emit(state.runtime.service.pipeline_overview(site_id), "overview")


@cli.command()
@click.option("--add", "amount", type=float, help="Grant this many credits.")
@command()
def credits(state: State, amount: float | None) -> None:
    """Show the account's credit balance, or grant credits."""
    workspace = state.runtime.workspace
    report = workspace.add_credits(amount) if amount is not None else workspace.credits()
    state.emit(report, "credits")


@cli.group()
def site() -> None:
    """Add and list sites."""


@site.command("add")
@click.argument("name")
@click.option("--domain", help="The site's domain.")
@command()
def site_add(state: State, name: str, domain: str | None) -> None:
    """Add a site."""
    state.emit(state.runtime.workspace.add_site(name, domain), "site")


@site.command("list")
@command()
def site_list(state: State) -> None:
    """List the sites."""
    state.emit(state.runtime.workspace.list_sites(), "sites")


# ----- keywords, clusters, content -----


@cli.group()
def keywords() -> None:
    """Import and list keywords."""


@keywords.command("import")
@site_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@command()
def keywords_import(state: State, site_ref: str, file: Path) -> None:
    """Import keywords from a CSV file (columns keyword, volume, difficulty, intent)."""
    state.emit(state.runtime.workspace.import_keywords(site_ref, file), "import")


@keywords.command("list")
@site_option
@click.option("--status", type=click.Choice(["new", "mapped"]))
@command()
def keywords_list(state: State, site_ref: str, status: str | None) -> None:
    """List a site's keywords."""
    state.emit(state.runtime.workspace.keywords(site_ref, status), "keywords")


@cli.group()
def clusters() -> None:
    """List clusters."""


@clusters.command("list")
@site_option
@command()
def clusters_list(state: State, site_ref: str) -> None:
    """List a site's clusters."""
    state.emit(state.runtime.workspace.clusters(site_ref), "clusters")


@cli.group()
def content() -> None:
    """List content."""


@content.command("list")
@site_option
@command()
def content_list(state: State, site_ref: str) -> None:
    """List a site's articles."""
    state.emit(state.runtime.workspace.content(site_ref), "content")


# ----- config -----


@cli.group()
def config() -> None:
    """Show or change a site's automation config."""


@config.command("show")
@site_option
@command()
def config_show(state: State, site_ref: str) -> None:
    """Show a site's AutomationConfig and the AI provider in use (never its key)."""
    config = state.runtime.service.config(state.site_id(site_ref))
    state.emit(with_ai(config, state.runtime.settings), "config")


class ConfigWithAI(ConfigPayload):
    """A site's config as `config show` prints it: with the AI in use, never its key."""

    ai: dict[str, object]


def with_ai(config: ConfigPayload, settings: Settings) -> ConfigWithAI:
    return ConfigWithAI(**config.model_dump(), ai=ai_summary(settings))


def ai_summary(settings: Settings) -> dict[str, object]:
    """Which AI is in use; the key only as set or not set."""
    remote = settings.ai_provider == "openai"
    return {
        "provider": settings.ai_provider,
        "base_url": settings.ai_base_url if remote else None,
        "model": settings.ai_model if remote else "offline",
        "image_provider": settings.images_from,
        "image_model": settings.ai_image_model if settings.images_from == "openai" else "offline",
        "concurrency": settings.ai_concurrency,
        "api_key": "set" if settings.ai_api_key.get_secret_value() else "not set",
        "credit_mode": settings.credit_mode,
    }


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


@config.command("set")
@site_option
@click.argument("assignments", nargs=-1, metavar="KEY=VALUE...")
@command()
def config_set(state: State, site_ref: str, assignments: tuple[str, ...]) -> None:
    """Change settings, e.g. `stage_4_batch_size=6 skip_stage_6=true`; all or nothing."""
    update = parse_assignments(assignments)
    config = state.runtime.service.update_config(state.site_id(site_ref), update)
    state.emit(with_ai(config, state.runtime.settings), "config")


# ----- running -----


class _ProgressLine:
    """A one-line progress report on stderr, redrawn in place on a terminal."""

    def __init__(self, state: State, site_id: int) -> None:
        self.state, self.site_id = state, site_id
        self.tty = sys.stderr.isatty()
        self.last = ""
        self.stage_shown: int | None = None

    def draw(self) -> None:
        progress = self.state.runtime.service.run_progress(self.site_id)
        if progress is None:
            return
        g = progress.global_progress
        width = 30
        filled = width * g.percentage // 100
        bar = "█" * filled + "░" * (width - filled)
        line = (
            f"{bar} {g.percentage:3d}%  stage {progress.run.current_stage}/7 "
            f"{progress.run.status}  {g.completed_items:,}/{g.total_items:,} items  "
            f"{progress.metrics.credits_used:g} credits"
        )
        if line == self.last:
            return
        self.last = line
        if self.tty:
            click.echo(f"\r{line}\x1b[K", err=True, nl=False)
        elif progress.run.current_stage != self.stage_shown:
            self.stage_shown = progress.run.current_stage
            click.echo(line, err=True)

    def notice(self, message: str) -> None:
        prefix = "\n" if self.tty and self.last else ""
        click.echo(f"{prefix}{message}", err=True)
        self.last = ""


@cli.command()
@site_option
@click.option("--detach", is_flag=True, help="Only create the run, for a daemon or dashboard.")
@command(role="run")
def run(state: State, site_ref: str, detach: bool) -> None:
    """Start a run and execute it here until it ends; Ctrl-C pauses it."""
    site_id = state.site_id(site_ref)
    if detach:
        state.emit(state.runtime.service.run_now(site_id), "started")
        return
    line = _ProgressLine(state, site_id)
    run_id = _start_or_adopt(state, site_id, line)
    stop = threading.Event()
    outcome: list[RunOutcome] = []
    worker = threading.Thread(
        target=lambda: outcome.append(
            host_until_done(
                state.runtime.db,
                run_id,
                lambda: state.runtime.executor(run_id, stop),
                stop,
                notice=line.notice,
            )
        ),
        name=f"run-{run_id}",
        daemon=True,
    )
    _interrupt_sets(stop, line)
    worker.start()
    while worker.is_alive():
        line.draw()
        worker.join(POLL_INTERVAL_S)
    line.draw()
    if line.tty:
        click.echo("", err=True)
    _finish_run(state, site_id, run_id, outcome[0] if outcome else RunOutcome.FAILED)


def _start_or_adopt(state: State, site_id: int, line: _ProgressLine) -> int:
    """A new run, or the site's active run when no live host is executing it."""
    service = state.runtime.service
    try:
        started = service.run_now(site_id, host=state.runtime.actor)
    except AlreadyRunningError:
        active = service.current_run(site_id)
        if active is None or active.host is not None:
            raise
        if active.status == "paused":
            service.resume(site_id, active.run_id)
        line.notice(f"run {active.run_id} has no host; continuing it here")
        return active.run_id
    line.notice(f"run {started.run_id} started · estimate {started.estimated_credits:g} credits")
    return started.run_id


def _interrupt_sets(stop: threading.Event, line: _ProgressLine) -> None:
    def handler(signum: int, frame: object) -> None:
        if stop.is_set():
            os._exit(EXIT_INTERRUPTED)
        stop.set()
        line.notice("stopping after the current item (Ctrl-C again to quit at once)…")

    signal.signal(signal.SIGINT, handler)


def _finish_run(state: State, site_id: int, run_id: int, outcome: RunOutcome) -> None:
    summary = next(r for r in state.runtime.service.history(site_id) if r.run_id == run_id)
    state.emit(summary, "run")
    if outcome is RunOutcome.COMPLETED:
        return
    if outcome is RunOutcome.PAUSED:
        click.echo(f"igny8: run {run_id} paused: {summary.pause_reason}", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if outcome is RunOutcome.RELEASED:
        click.echo(f"igny8: stopped following run {run_id}; it goes on elsewhere", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if outcome is RunOutcome.LOST:
        click.echo(
            f"igny8: run {run_id}: this host lost its lease; another host took over", err=True
        )
        sys.exit(EXIT_RUN_NOT_COMPLETED)
    reason = summary.error_message or outcome.value
    click.echo(f"igny8: run {run_id} {summary.status}: {reason}", err=True)
    sys.exit(EXIT_RUN_NOT_COMPLETED)


# ----- reading -----


@cli.command()
@site_option
@command()
def status(state: State, site_ref: str) -> None:
    """The site's active (or latest) run and its progress."""
    site_id = state.site_id(site_ref)
    service = state.runtime.service
    current = service.current_run(site_id)
    latest = current or next(iter(service.history(site_id, limit=1)), None)
    progress = service.run_progress(site_id, latest.run_id) if latest else None
    state.emit({"run": latest, "progress": progress}, "status")


@cli.command()
@site_option
@command()
def overview(state: State, site_ref: str) -> None:
    """Pending items at each stage."""
    state.emit(state.runtime.service.pipeline_overview(state.site_id(site_ref)), "overview")


@cli.command()
@site_option
@command()
def processing(state: State, site_ref: str) -> None:
    """What the active run is processing right now."""
    state.emit(state.runtime.service.current_processing(state.site_id(site_ref)), "processing")


@cli.command()
@site_option
@command()
def estimate(state: State, site_ref: str) -> None:
    """The credit estimate for a run now."""
    state.emit(state.runtime.service.estimate(state.site_id(site_ref)), "estimate")


@cli.command()
@site_option
@command()
def history(state: State, site_ref: str) -> None:
    """The last 20 runs, and scheduled runs that were due but not started."""
    site_id = state.site_id(site_ref)
    service = state.runtime.service
    state.emit(
        {"runs": service.history(site_id), "not_started": service.schedule_notes(site_id)},
        "history",
    )


@cli.command()
@site_option
@click.option("--run", "run_id", type=int, help="A run id (default: the latest run).")
@click.option("--lines", type=click.IntRange(1, 100_000), default=DEFAULT_LOG_LINES)
@click.option("--follow", is_flag=True, help="Keep printing new lines until the run ends.")
@command()
def logs(state: State, site_ref: str, run_id: int | None, lines: int, follow: bool) -> None:
    """The activity log of a run."""
    site_id = state.site_id(site_ref)
    service = state.runtime.service
    if not follow:
        state.emit(service.logs(site_id, run_id, lines), "logs")
        return
    run_id = run_id or _run_to_follow(state, site_id)
    last_id = 0
    backlog = lines
    while True:
        for entry in service.logs(site_id, run_id, backlog, after_id=last_id):
            state.emit(entry, "log")
            last_id = entry.id
        backlog = 100_000
        active = service.current_run(site_id)
        if active is None or active.run_id != run_id:
            for entry in service.logs(site_id, run_id, backlog, after_id=last_id):
                state.emit(entry, "log")
            return
        time.sleep(POLL_INTERVAL_S)


def _run_to_follow(state: State, site_id: int) -> int:
    """The site's active run, else its latest; with no run yet, wait for the first."""
    service = state.runtime.service
    while True:
        active = service.current_run(site_id)
        latest = active or next(iter(service.history(site_id, limit=1)), None)
        if latest is not None:
            return latest.run_id
        time.sleep(POLL_INTERVAL_S)


# ----- control -----


def _control(state: State, site_ref: str, action: str) -> None:
    service = state.runtime.service
    site_id = state.site_id(site_ref)
    summary: RunSummary = getattr(service, action)(site_id)
    state.emit(summary, "run")


@cli.command()
@site_option
@command()
def pause(state: State, site_ref: str) -> None:
    """Pause the site's active run after the current item."""
    _control(state, site_ref, "pause")


@cli.command()
@site_option
@command()
def resume(state: State, site_ref: str) -> None:
    """Resume the site's paused run."""
    _control(state, site_ref, "resume")


@cli.command()
@site_option
@command()
def cancel(state: State, site_ref: str) -> None:
    """Cancel the site's active run after the current item."""
    _control(state, site_ref, "cancel")


# ----- AI -----


@cli.group()
def ai() -> None:
    """The AI provider in use."""


@ai.command("check")
@command()
def ai_check(state: State) -> None:
    """Send one tiny request and report whether the server answers, its model and latency."""
    from igny8_tui.ai.check import check_provider

    result = check_provider(state.runtime.settings)
    state.emit(result, "ai_check")
    if not result.ok:
        sys.exit(EXIT_RUN_NOT_COMPLETED)


@cli.command()
@command()
def prompts(state: State) -> None:
    """List the prompt templates, where each comes from, and the fields it may use."""
    from igny8_tui.ai.prompts import load_templates

    templates = load_templates(state.runtime.settings.prompts_dir)
    rows = [{"name": t.name, "source": t.source, "fields": t.fields} for t in templates.values()]
    state.emit({"directory": str(state.runtime.settings.prompts_dir), "templates": rows}, "prompts")


# ----- hosting -----


@cli.command()
@click.option(
    "--max-runs", type=click.IntRange(1, 64), default=DAEMON_MAX_RUNS, help="Runs at once."
)
@click.option("--json-logs", is_flag=True, help="One JSON document per log line.")
@command(role="daemon")
def daemon(state: State, max_runs: int, json_logs: bool) -> None:
    """Host runs headless until stopped: queued, resumed, stuck and scheduled runs.

    SIGINT/SIGTERM: finish the item in hand, release the runs, exit 0. A second signal exits
    at once, leaving the leases to expire."""
    from igny8_tui.automation.host import Host
    from igny8_tui.host_logging import activity_to, host_logger

    logger = host_logger(json_logs)
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        if stop.is_set():
            logger.warning("second signal: exiting at once; leases expire on their own")
            os._exit(128 + signum)
        logger.info("signal %s: finishing the items in hand, then exiting", signum)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    state.runtime.db  # noqa: B018 - open (and create) the database before serving
    host = Host(state.runtime, logger, max_runs=max_runs, listener=activity_to(logger))
    host.serve(stop)


# ----- database schema -----


class SchemaReport(BaseModel):
    """`igny8 db current`: the database's schema revision against this igny8's head."""

    database: str
    current: str | None
    head: str
    state: SchemaState


class SchemaUpgrade(BaseModel):
    """`igny8 db upgrade`: where the schema started and ended, and the backup it made."""

    database: str
    from_state: SchemaState
    from_revision: str | None
    to_revision: str
    backup: Path | None


def _database_as_it_is(state: State) -> Database:
    return Database(state.runtime.settings.database_url, check_schema=False)


@cli.group()
def db() -> None:
    """The database's schema revision, and upgrading it."""


@db.command("current")
@command()
def db_current(state: State) -> None:
    """Show the database's schema revision, this igny8's head revision, and the state."""
    database = _database_as_it_is(state)
    try:
        status = database.schema_status()
    finally:
        database.dispose()
    state.emit(SchemaReport(database=database.location, **asdict(status)), "db_current")


@db.command("upgrade")
@command()
def db_upgrade(state: State) -> None:
    """Upgrade the database to this igny8's schema, backing up an SQLite file first."""
    database = _database_as_it_is(state)
    try:
        done = database.upgrade_schema()
    finally:
        database.dispose()
    state.emit(SchemaUpgrade(database=database.location, **asdict(done)), "db_upgrade")


def main() -> None:
    cli(prog_name="igny8")
