"""`igny8 serve`: the dashboard in a browser, over textual-serve's page and websocket, one
watch-only dashboard process per tab; loopback by default; faults in one line; stopping it ends
every tab's process. Each test runs the real command and kills its process group at the end."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from pathlib import Path

import aiohttp
import httpx
import pytest

from igny8_tui.runtime import Runtime
from tests.conftest import igny8_env, run_igny8, wait_until
from tests.stderr_lines import error_line

SITE = "green-thumb"
# Escape sequences in the terminal output: CSI (colours, cursor moves), OSC and single escapes.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")
_WEBSOCKET_URL = re.compile(r'data-session-websocket-url="([^"]+)"')


@pytest.fixture
def site_home(runtime: Runtime) -> Path:
    """A data directory with one site."""
    runtime.workspace.add_site(SITE)
    runtime.db.dispose()
    return runtime.settings.home


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Serving:
    """`igny8 serve` running in its own process group, its output in files."""

    def __init__(self, process: subprocess.Popen[str], port: int, err_path: Path) -> None:
        self.process, self.port, self.err_path = process, port, err_path
        self.url = f"http://127.0.0.1:{port}/"

    def stderr(self) -> str:
        return self.err_path.read_text()

    def page(self) -> httpx.Response:
        return httpx.get(self.url, timeout=5)

    def wait_until_answering(self) -> None:
        def answers() -> bool:
            assert self.process.poll() is None, f"igny8 serve exited: {self.stderr()}"
            try:
                return self.page().status_code == 200
            except httpx.TransportError:
                return False

        wait_until(answers, what=f"igny8 serve to answer on {self.url}")

    def websocket_url(self) -> str:
        found = _WEBSOCKET_URL.search(self.page().text)
        assert found, self.page().text
        return found.group(1)


@contextmanager
def serving(tmp_path: Path, *args: str, env_home: Path) -> Iterator[Serving]:
    """Start `igny8 serve ARGS --port PORT` and wait until it answers; at the end, kill its
    process group (the server and every tab's dashboard) whatever happened."""
    port = _free_port()
    out_path, err_path = tmp_path / "serve.out", tmp_path / "serve.err"
    with out_path.open("w") as out, err_path.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "igny8_tui", "serve", *args, "--port", str(port)],
            env=igny8_env(env_home),
            stdout=out,
            stderr=err,
            text=True,
            start_new_session=True,
        )
    try:
        server = Serving(process, port, err_path)
        server.wait_until_answering()
        yield server
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class BrowserTab:
    """A tab open on the server's websocket, as the page's script opens it."""

    def __init__(self, websocket: aiohttp.ClientWebSocketResponse) -> None:
        self.websocket = websocket
        self.output = ""

    def shown(self) -> str:
        """What the tab's dashboard has drawn, without escape sequences."""
        return _ESCAPES.sub("", self.output)

    async def until_drawn(self, text: str) -> None:
        """Read the terminal output until `text` shows (or the deadline passes)."""
        async with asyncio.timeout(60):
            async for message in self.websocket:
                if message.type == aiohttp.WSMsgType.BINARY:
                    self.output += message.data.decode("utf-8", "replace")
                if text in self.shown():
                    return
        pytest.fail(f"the tab closed before drawing {text!r}: {self.shown()[-2000:]}")


@asynccontextmanager
async def browser_tab(websocket_url: str) -> AsyncIterator[BrowserTab]:
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{websocket_url}?width=100&height=30") as websocket,
    ):
        yield BrowserTab(websocket)


def _children(pid: int) -> dict[int, list[str]]:
    """The processes whose parent is `pid`, with their command lines."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            if parent == pid:
                cmdline = (stat.parent / "cmdline").read_bytes().split(b"\0")
                found[int(stat.parent.name)] = [part.decode() for part in cmdline if part]
    return found


def _group_is_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def _listening_ipv4_addresses(port: int) -> set[str]:
    """The IPv4 addresses a socket listens on at `port`, from the kernel's table."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        address, port_hex = fields[1].split(":")
        if int(port_hex, 16) == port and fields[3] == "0A":  # 0A: LISTEN
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def test_a_browser_tab_runs_a_watch_only_dashboard_of_the_served_home(
    site_home: Path, tmp_path: Path
) -> None:
    # The environment names another, empty, home: the tab must use the one given to serve.
    elsewhere = tmp_path / "elsewhere"
    with serving(tmp_path, "--home", str(site_home), "--site", SITE, env_home=elsewhere) as server:
        page = server.page()
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert server.websocket_url() == f"ws://127.0.0.1:{server.port}/ws"

        async def open_tab() -> list[list[str]]:
            async with browser_tab(server.websocket_url()) as tab:
                await tab.until_drawn(SITE)
                return list(_children(server.process.pid).values())

        tabs = asyncio.run(open_tab())
        assert len(tabs) == 1
        assert tabs[0][:3] == [sys.executable, "-m", "igny8_tui"]
        assert "dashboard" in tabs[0] and "--watch-only" in tabs[0]
        assert "Traceback" not in server.stderr()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stopping_the_server_ends_the_dashboards_of_its_open_tabs(
    site_home: Path, tmp_path: Path, signum: signal.Signals
) -> None:
    with serving(tmp_path, env_home=site_home) as server:

        async def stop_with_a_tab_open() -> None:
            async with browser_tab(server.websocket_url()) as tab:
                await tab.until_drawn(SITE)
                assert _children(server.process.pid)
                os.kill(server.process.pid, signum)  # the server alone, not its tab
                await asyncio.to_thread(server.process.wait, 60)

        asyncio.run(stop_with_a_tab_open())
        assert server.process.returncode == 0, server.stderr()
        wait_until(lambda: _group_is_gone(server.process.pid), 10, what="the tabs' processes")
        assert "Traceback" not in server.stderr()


def test_a_port_in_use_is_one_line_naming_it(site_home: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_igny8(site_home, "serve", "--port", str(port), timeout=60)
    line = error_line(result)
    assert f"127.0.0.1:{port}" in line and "in use" in line


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--host", "no-such-host.invalid"), "no-such-host.invalid"),
        (("--site", "no-such-site"), "no-such-site"),
        (("--public-url", "igny8.example.com"), "--public-url"),
    ],
)
def test_a_bad_host_site_or_public_url_is_one_line_before_serving(
    site_home: Path, args: tuple[str, ...], named: str
) -> None:
    result = run_igny8(site_home, "serve", *args, "--port", str(_free_port()), timeout=60)
    assert named in error_line(result)


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's socket table")
def test_by_default_it_listens_on_loopback_only_and_warns_of_nothing(
    site_home: Path, tmp_path: Path
) -> None:
    with serving(tmp_path, env_home=site_home) as server:
        assert _listening_ipv4_addresses(server.port) == {"127.0.0.1"}
        assert "WARNING" not in server.stderr()


def test_beyond_loopback_it_warns_of_no_login_and_the_page_points_at_the_public_url(
    site_home: Path, tmp_path: Path
) -> None:
    public = "https://igny8.example.com/"
    with serving(
        tmp_path, "--host", "0.0.0.0", "--public-url", public, env_home=site_home
    ) as server:
        assert server.websocket_url() == "wss://igny8.example.com/ws"
        warnings = [line for line in server.stderr().splitlines() if "WARNING" in line]
        assert len(warnings) == 1, server.stderr()
        assert "no login" in warnings[0] and "reverse proxy" in warnings[0]
