"""`igny8 serve`: the dashboard in web browsers, one watch-only dashboard process per tab."""

from __future__ import annotations

import errno
import ipaddress
import shlex
import socket
import sys
from urllib.parse import urlsplit

import click

from igny8_tui.cli.host_logging import host_logger
from igny8_tui.cli.options import State, command
from igny8_tui.constants import SERVE_DEFAULT_HOST, SERVE_DEFAULT_PORT
from igny8_tui.errors import InvalidInputError

_BACKLOG = 128


@click.command()
@click.option(
    "--host",
    "bind_host",
    default=SERVE_DEFAULT_HOST,
    show_default=True,
    help="Address to listen on; anything but loopback is reachable by others.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=SERVE_DEFAULT_PORT,
    show_default=True,
    help="Port to listen on (0: any free one).",
)
@click.option("--site", "site_ref", help="Site id or name each tab opens on (default: the first).")
@click.option(
    "--public-url",
    help="The address browsers use, behind a reverse proxy (e.g. https://igny8.example.com); "
    "the page points them there.",
)
@command(role="serve")
def serve(
    state: State, bind_host: str, port: int, site_ref: str | None, public_url: str | None
) -> None:
    """Serve the dashboard to web browsers until stopped: each tab is its own watch-only
    dashboard (it shows and controls runs, and hosts none).

    It has no login of its own: it listens on 127.0.0.1 unless told otherwise; put a reverse
    proxy that asks for one in front of it (README, "The dashboard in a browser").
    SIGINT/SIGTERM: close every tab, end its dashboard, exit 0."""
    from igny8_tui.cli.dashboard_server import DashboardServer, log

    site_id = state.site_id(site_ref) if site_ref else None
    state.runtime.open()  # a database fault is one line now, not one per tab
    state.runtime.close()  # each tab opens its own
    page_url = _public_url(public_url)
    listening = _listen(bind_host, port)
    host_logger(json_lines=False)
    address, bound_port = listening.getsockname()[:2]
    where = _host_port(address, bound_port)
    if not ipaddress.ip_address(address).is_loopback:
        log.warning(
            "serving on %s, beyond this machine, and the dashboard has no login of its own: "
            "put it behind a reverse proxy that asks for one",
            where,
        )
    server = DashboardServer(tab_command(state, site_id), listening, page_url or f"http://{where}")
    log.info("serving the dashboard on %s, the page at %s/", where, server.public_url)
    server.serve()
    log.info("stopped")


def tab_command(state: State, site_id: int | None) -> str:
    """The shell command of one tab: this Python's `igny8 dashboard --watch-only`, on the same
    data directory and database. The environment is inherited; what was given on this
    command line is passed on (a --db URL too: it is already on this process's)."""
    ctx = click.get_current_context()
    argv = [sys.executable, "-m", "igny8_tui"]
    if ctx.find_root().params.get("debug"):
        argv.append("--debug")
    argv += ["dashboard", "--watch-only", "--home", str(state.runtime.settings.home)]
    if ctx.get_parameter_source("db_url") is click.core.ParameterSource.COMMANDLINE:
        argv += ["--db", str(ctx.params["db_url"])]
    if ctx.params.get("no_upgrade"):
        argv.append("--no-upgrade")
    if site_id is not None:
        argv += ["--site", str(site_id)]
    # exec: the shell textual-serve starts becomes the dashboard, so ending it ends the tab.
    return "exec " + shlex.join(argv)


def _public_url(given: str | None) -> str | None:
    if given is None:
        return None
    parts = urlsplit(given)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError(
            f"--public-url {given!r} is not an http:// or https:// address; give the one "
            "browsers use, e.g. https://igny8.example.com"
        )
    return given.rstrip("/")


def _listen(host: str, port: int) -> socket.socket:
    """A socket listening on host:port, or one line saying why not."""
    where = _host_port(host, port)
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise InvalidInputError(
            f"cannot serve on {where}: {host!r} is not an address or host name ({reason})"
        ) from None
    listening = socket.socket(family, kind, proto)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(address)
        listening.listen(_BACKLOG)
    except OSError as exc:
        listening.close()
        raise InvalidInputError(f"cannot serve on {where}: {_bind_trouble(exc)}") from None
    return listening


def _bind_trouble(exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return "the port is in use; stop what listens there, or choose another with --port"
    if exc.errno == errno.EADDRNOTAVAIL:
        return "that is not an address of this machine; give one of its own with --host"
    if exc.errno == errno.EACCES:
        return "this user may not listen on that port; choose one above 1023 with --port"
    return exc.strerror or str(exc)


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


COMMANDS = (serve,)
