"""Shared fixtures: a fresh data directory, the runtime over it, the `igny8` command (a real
process, or in this process through click's CliRunner), waiting on conditions, the cached
dashboard states, and the services: PostgreSQL and a real WordPress."""

from __future__ import annotations

import inspect
import os
import signal
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Callable, Iterator
from importlib.resources import files
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Connection, Engine, Pool, event

from igny8_tui.cli import cli
from igny8_tui.runtime import Runtime
from tests.dashboard_states import StateCache
from tests.wordpress_site import WordPressSite, missing_packages

DEMO_CSV = Path(str(files("igny8_tui") / "data" / "demo_keywords.csv"))


def igny8_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IGNY8_")}
    env["IGNY8_HOME"] = str(home)
    env.update(extra)
    return env


def run_igny8(
    home: Path, *args: str, timeout: float = 240, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the real command in a subprocess, as an operator would. For what only a process has:
    the entry point, signals, kill -9, races between processes, hosts."""
    return subprocess.run(
        [sys.executable, "-m", "igny8_tui", *args],
        env=igny8_env(home, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# Every connection pool an engine has opened in this process, with its database file.
_POOLS_OPENED: weakref.WeakKeyDictionary[Pool, str | None] = weakref.WeakKeyDictionary()


@event.listens_for(Engine, "engine_connect")
def _remember_pool(connection: Connection) -> None:
    _POOLS_OPENED[connection.engine.pool] = connection.engine.url.database


def _close_idle_connections(database: Path) -> None:
    """Close this process's idle database connections before a command opens its own database.

    Opening a database opens and closes its file with a plain file descriptor (the product's
    `_prepare_sqlite_file`), which cancels every POSIX lock this process holds on the file
    through SQLite. Another process could then take itself for the file's last user and delete
    the WAL under this one: reads go stale and writes get lost. With no connection left open
    here, there is no lock to lose."""
    for pool, path in list(_POOLS_OPENED.items()):
        if path == str(database) and getattr(pool, "checkedout", lambda: 0)():
            raise RuntimeError(f"invoke_igny8 while a connection to {database} is in use")
        pool.dispose()


def _cli_runner() -> CliRunner:
    """A runner that keeps stderr apart from stdout (click 8.1 needs asking; 8.2+ always does)."""
    if "mix_stderr" in inspect.signature(CliRunner).parameters:
        return CliRunner(**{"mix_stderr": False})
    return CliRunner()


def invoke_igny8(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The command in this process: the same arguments, environment (IGNY8_* from the test's
    own environment dropped, as for `run_igny8`), exit code, stdout and stderr, without a Python
    start-up of about a second. Each invocation opens its own database, closed afterwards."""
    environment: dict[str, str | None] = {k: None for k in os.environ if k.startswith("IGNY8_")}
    environment |= {"IGNY8_HOME": str(home), **env}
    _close_idle_connections(home / "igny8.db")
    pools_before = set(_POOLS_OPENED)
    # `igny8 run` installs its own Ctrl-C handler: this process keeps pytest's.
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        result = _cli_runner().invoke(
            cli, list(args), env=environment, catch_exceptions=False, prog_name="igny8"
        )
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        for pool in set(_POOLS_OPENED) - pools_before:
            pool.dispose()
    return subprocess.CompletedProcess(
        ["igny8", *args], result.exit_code, result.stdout, result.stderr
    )


def wait_until(
    predicate: Callable[[], object],
    timeout_s: float = 60,
    interval_s: float = 0.05,
    what: str = "the condition",
) -> None:
    """Return as soon as `predicate()` holds. The deadline is generous because a busy machine is
    slow, not wrong: it only costs time when the test is failing anyway."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(interval_s)


class Igny8Process(subprocess.Popen[str]):
    """The real command running in the background; its output goes to files, so a chatty
    process never blocks on a full pipe, and `communicate` returns what it wrote."""

    def __init__(self, args: list[str], env: dict[str, str], logs: Path) -> None:
        logs.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=logs, prefix="proc-")
        os.close(fd)
        self.out_path, self.err_path = Path(name + ".out"), Path(name + ".err")
        with self.out_path.open("w") as out, self.err_path.open("w") as err:
            super().__init__(args, env=env, stdout=out, stderr=err, text=True)

    def communicate(  # type: ignore[override]
        self, input: str | None = None, timeout: float | None = None
    ) -> tuple[str, str]:
        self.wait(timeout)
        return self.out_path.read_text(), self.err_path.read_text()

    def stderr_so_far(self) -> str:
        return self.err_path.read_text()


def start_igny8(home: Path, *args: str, **env: str) -> Igny8Process:
    return Igny8Process(
        [sys.executable, "-m", "igny8_tui", *args], igny8_env(home, **env), home.parent / "logs"
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "igny8-home"


@pytest.fixture
def runtime(home: Path) -> Iterator[Runtime]:
    rt = Runtime.load(home, None, actor="test")
    yield rt
    if "db" in rt.__dict__:
        rt.db.dispose()


@pytest.fixture(scope="session")
def dashboard_states(tmp_path_factory: pytest.TempPathFactory) -> StateCache:
    """The dashboard states, each made once per test run. Under pytest-xdist every worker has
    its own base directory inside the run's: the workers share the run's."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return StateCache(shared / "dashboard-states")


SMALL_TOPICS_ROWS = 26  # the demo file's first two topics: raised beds and composting


def small_csv(directory: Path) -> Path:
    """26 demo keywords in 2 topics: a whole pipeline in about a second (2 clusters, 6 ideas,
    6 articles, 30 images, 153 credits)."""
    path = directory / "small-keywords.csv"
    lines = DEMO_CSV.read_text().splitlines()[: SMALL_TOPICS_ROWS + 1]
    path.write_text("\n".join(lines) + "\n")
    return path


def demo_site(
    runtime: Runtime, name: str = "green-thumb", grant: float = 10_000, small: bool = False
) -> int:
    """A site with the 150 demo keywords (12 topics), or the 26 of `small_csv`, and credits."""
    site = runtime.workspace.add_site(name)
    csv = small_csv(runtime.settings.home) if small else DEMO_CSV
    runtime.workspace.import_keywords(site.id, csv)
    if grant:
        runtime.workspace.add_credits(grant)
    return site.id


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """An empty PostgreSQL database (.ci/run starts one); where services are required, a
    missing one fails the test instead of skipping it."""
    url = os.environ.get("IGNY8_TEST_POSTGRES_URL")
    if url:
        return url
    if os.environ.get("IGNY8_REQUIRE_SERVICES"):
        pytest.fail("IGNY8_TEST_POSTGRES_URL is not set, and services are required")
    pytest.skip("set IGNY8_TEST_POSTGRES_URL to an empty PostgreSQL database to run it")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--chaos-seed",
        type=int,
        default=None,
        help="seed of the chaos test's kills (tests/functional/test_chaos.py); random if unset",
    )


@pytest.fixture(scope="session")
def wordpress(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WordPressSite]:
    """A real WordPress on 127.0.0.1 (tests/wordpress_site.py), started once per xdist worker
    and shared by its tests; see `wordpress_clean` for a site without the previous tests'
    content. Where services are required, missing packages fail the test instead of
    skipping it."""
    missing = missing_packages()
    if missing:
        reason = f"the WordPress tests need Debian's packages: {', '.join(missing)} missing"
        if os.environ.get("IGNY8_REQUIRE_SERVICES"):
            pytest.fail(f"{reason}, and services are required")
        pytest.skip(f"{reason} (apt-get install mariadb-server wordpress php-cli php-mysql)")
    with WordPressSite(tmp_path_factory.mktemp("wordpress")) as site:
        yield site


@pytest.fixture
def wordpress_clean(wordpress: WordPressSite) -> WordPressSite:
    """The shared WordPress with no posts, media, comments, categories (but Uncategorized), tags
    or uploaded files; its users stay."""
    wordpress.reset()
    return wordpress


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test using WordPress runs on one xdist worker (`--dist loadgroup`), so one
    WordPress starts per test run rather than one per worker. Before pytest-xdist's own hook,
    which reads the mark."""
    for item in items:
        if "wordpress" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("wordpress"))


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: two workers per CPU. Most tests spend their time waiting on a subprocess, a
    lease or a condition rather than computing, so one worker per CPU leaves CPUs idle."""
    return min(2 * (os.cpu_count() or 1), 16)
