"""Long-lived hosts: the dashboard, the demo that opens it, and the headless daemon; and
`igny8 hosts`, which lists every host."""

from __future__ import annotations

import os
import signal
import threading

import click

from igny8_tui.cli.host_logging import activity_to, host_logger
from igny8_tui.cli.options import State, command, on_terminal
from igny8_tui.cli.payloads import HostList
from igny8_tui.constants import DAEMON_MAX_RUNS

DEMO_SITE = "green-thumb"
DEMO_DOMAIN = "green-thumb.example"


def open_dashboard(state: State, site_id: int | None, host: bool) -> None:
    from igny8_tui.tui.app import Igny8App

    app = Igny8App(state.runtime, site_id, host=host)
    app.run()
    if app.failure is not None:
        raise app.failure  # reported at the command's edge, now the terminal is back


@click.command()
@click.option("--site", "site_ref", help="Site id or name (default: the first site).")
@click.option("--watch-only", is_flag=True, help="Show and control runs, but host none here.")
@command(role="dashboard")
def dashboard(state: State, site_ref: str | None, watch_only: bool) -> None:
    """Open the dashboard (also what `igny8` alone does on a terminal)."""
    site_id = state.site_id(site_ref) if site_ref else None
    open_dashboard(state, site_id, host=not watch_only)


@click.command()
@command(role="dashboard")
def demo(state: State) -> None:
    """Create (once) a demo site with keywords and credits, then open the dashboard on it
    (off a terminal, or with --json, print its pipeline instead)."""
    grant = state.runtime.settings.demo_credits
    site = state.runtime.workspace.seed_demo(DEMO_SITE, DEMO_DOMAIN, grant)
    if on_terminal() and not state.as_json:
        open_dashboard(state, site.id, host=True)
        return
    state.emit(state.runtime.service.pipeline_overview(site.id))


@click.command()
@click.option(
    "--max-runs", type=click.IntRange(1, 64), default=DAEMON_MAX_RUNS, help="Runs at once."
)
@click.option("--json-logs", is_flag=True, help="One JSON document per log line.")
@command(role="daemon")
def daemon(state: State, max_runs: int, json_logs: bool) -> None:
    """Host runs headless until stopped: queued, resumed, stuck and scheduled runs.

    SIGINT/SIGTERM: finish the item in hand, release the runs, exit 0. A second signal exits
    at once, leaving the leases to expire."""
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
    state.runtime.open()
    host = state.runtime.host(logger, max_runs=max_runs, listener=activity_to(logger))
    host.serve(stop)


@click.command()
@command(read_only=True)
def hosts(state: State) -> None:
    """List the hosts: every one holding a run now, or seen in the last 24 hours, with the runs
    it holds (fencing token, heartbeat) and, for a stuck run, when another host recovers it."""
    state.emit(HostList(state.runtime.service.hosts()))


COMMANDS = (dashboard, demo, daemon, hosts)
