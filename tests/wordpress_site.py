"""A real WordPress on 127.0.0.1 for tests: its own MariaDB and `php -S` in a temporary directory.

Built from Debian's packages (`.ci/run` installs them): `wordpress` (6.1), `mariadb-server`,
`php-cli` and `php-mysql`. Everything runs as the user running the tests, on loopback only, and
nothing outside the temporary directory is written: MariaDB listens on a socket only (no TCP
port to collide with another run), and WordPress reads the site directory's own wp-config.php
(the router defines ABSPATH as the document root) instead of Debian's
/etc/wordpress/config-<host>.php. Use the fixtures in tests/conftest.py (`wordpress`, started
once per worker, and `wordpress_clean`, emptied before the test), or run one directly::

    with WordPressSite(tmp_path) as site:
        site.request("POST", "/wp/v2/posts", json={"title": "Hi", "status": "publish"})
        assert [post["slug"] for post in site.posts()] == ["hi"]

The site: pretty permalinks (`/%postname%/`), time zone `TIMEZONE` (not UTC, so a post's `date`
and `date_gmt` differ), `WP_ENVIRONMENT_TYPE=local` (application passwords over plain HTTP), no
WP-Cron (a `future` post stays `future`), no outgoing HTTP, no mail.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

JSON = Any  # a parsed JSON document from WordPress, whose shape the tests check
PHP_DIR = Path(__file__).with_name("wordpress")
WORDPRESS_DIR = Path("/usr/share/wordpress")
SBIN_PATH = "/usr/local/sbin:/usr/sbin:/sbin"
DATABASE = "wordpress"
TIMEZONE = "Asia/Kolkata"  # UTC+05:30 all year: no daylight saving, and not a whole hour
SITE_TITLE = "igny8 test site"
ADMIN_LOGIN = "admin"
ADMIN_EMAIL = "admin@example.test"
# Test data wants no durability; a small redo log is quick to delete (this disk deletes slowly).
MARIADB_OPTIONS = (
    "--innodb-log-file-size=8M",
    "--innodb-buffer-pool-size=32M",
    "--innodb-flush-log-at-trx-commit=0",
    "--innodb-doublewrite=0",
)
SECRET_KEYS = tuple(
    f"{kind}_{part}"
    for kind in ("AUTH", "SECURE_AUTH", "LOGGED_IN", "NONCE")
    for part in ("KEY", "SALT")
)
PHP_SERVER_WORKERS = 4  # requests served at once (`php -S` alone serves one at a time)
PHP_INI = ("post_max_size=64M", "upload_max_filesize=64M", "memory_limit=256M")

START_TIMEOUT_S = 120.0  # each step of the start-up: a busy machine is slow, not wrong
REQUEST_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
POLL_INTERVAL_S = 0.02
PORT_ATTEMPTS = 5
PER_PAGE = 100  # the REST API's largest page
LOG_TAIL_CHARS = 4000
UNIX_SOCKET_PATH_MAX = 100  # sun_path holds 108 bytes

# What each needed file comes from, for the message when one is missing.
PACKAGE_OF_PROGRAM = {
    "mariadb-install-db": "mariadb-server",
    "mariadbd": "mariadb-server",
    "mariadb": "mariadb-server",  # the client comes with the server
    "php": "php-cli",
}

# Deleting a test's content, before the next test (the tables have wp-config.php's prefix, wp_).
# Ids are not reused; term 1 (Uncategorized, the default category) stays.
RESET_SQL = """
DELETE FROM wp_posts; DELETE FROM wp_postmeta;
DELETE FROM wp_comments; DELETE FROM wp_commentmeta;
DELETE FROM wp_term_relationships; DELETE FROM wp_termmeta WHERE term_id <> 1;
DELETE FROM wp_term_taxonomy WHERE term_id <> 1; DELETE FROM wp_terms WHERE term_id <> 1;
UPDATE wp_term_taxonomy SET count = 0;
DELETE FROM wp_options WHERE option_name LIKE '\\_transient\\_%'
    OR option_name LIKE '\\_site\\_transient\\_%' OR option_name = 'category_children';
"""


class WordPressUnavailable(Exception):
    """The packages the test WordPress is built from are not installed."""


class WordPressStartError(RuntimeError):
    """The test WordPress did not start; the message ends with its servers' logs."""


@dataclass(frozen=True)
class WordPressUser:
    login: str
    role: str
    app_password: str

    @property
    def auth(self) -> tuple[str, str]:
        return (self.login, self.app_password)


def _search_path() -> str:
    return f"{os.environ.get('PATH', '')}:{SBIN_PATH}"


def missing_packages() -> list[str]:
    """What is missing to run the test WordPress, as Debian package names; empty when ready."""
    missing = [
        package
        for program, package in PACKAGE_OF_PROGRAM.items()
        if shutil.which(program, path=_search_path()) is None
    ]
    if not (WORDPRESS_DIR / "wp-load.php").is_file():
        missing.append("wordpress")
    php = shutil.which("php")
    if php is not None:
        probe = [php, "-r", "exit(extension_loaded('mysqli') ? 0 : 1);"]
        if subprocess.run(probe, capture_output=True).returncode != 0:
            missing.append("php-mysql")
    return sorted(set(missing))


def _program(name: str) -> str:
    found = shutil.which(name, path=_search_path())
    if found is None:
        raise WordPressUnavailable(f"{name} is not installed ({PACKAGE_OF_PROGRAM[name]})")
    return found


def _die_with_parent() -> None:
    """Run in a server's process before it starts: the kernel kills the server when the thread
    that started it dies, so a test process killed with SIGKILL leaves no MariaDB behind (start
    a site from a thread that outlives it). `php -S`'s forked workers do not inherit this and
    would be left holding their loopback port; `stop()` kills them with their process group."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _php_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _tail(path: Path) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return text[-LOG_TAIL_CHARS:]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class _Server:
    """A server process in its own process group, with its output in a log file."""

    def __init__(self, name: str, args: list[str], log: Path, env: dict[str, str]) -> None:
        self.name, self.log = name, log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Kill the whole group (`php -S` forks its workers): the data is thrown away anyway."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT_S)


class WordPressSite:
    """A WordPress installed from scratch in `root` (an empty or missing directory).

    `url`, `user` and `app_password` are the administrator's way in over the REST API;
    `user_with_role` adds users with fewer capabilities. `request`, `get`, `posts` and `media`
    talk to the REST API (paths relative to /wp-json), as the administrator unless told."""

    def __init__(self, root: Path, timezone: str = TIMEZONE) -> None:
        self.root = root
        self.timezone = timezone
        self.site_dir = root / "site"
        self.uploads_dir = self.site_dir / "wp-content" / "uploads"
        self.user = ADMIN_LOGIN
        self.admin_password = secrets.token_urlsafe(16)  # for wp-login.php, not the REST API
        self.app_password = ""  # the administrator's application password, made by start()
        self.url = ""
        self.port = 0
        self._db_password = secrets.token_urlsafe(16)
        self._os_user = pwd.getpwuid(os.geteuid()).pw_name
        self._socket = root / "mariadb.sock"  # or elsewhere when too long: see start()
        self._mariadb: _Server | None = None
        self._php: _Server | None = None
        self._users: dict[str, WordPressUser] = {}
        self._client: httpx.Client | None = None

    # Start and stop

    def __enter__(self) -> WordPressSite:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start MariaDB and PHP, install WordPress, and leave it without any content. Raises
        WordPressUnavailable when a package is missing, WordPressStartError on any failure."""
        missing = missing_packages()
        if missing:
            raise WordPressUnavailable("not installed: " + ", ".join(missing))
        self.root.mkdir(parents=True, exist_ok=True)
        self._socket = self._socket_path()
        try:
            self._start_mariadb()
            self._write_site()
            self._start_php()
            self._install()
            self.reset()
        except BaseException as error:
            self.stop()
            if not isinstance(error, Exception):
                raise
            reason = str(error) if isinstance(error, WordPressStartError) else repr(error)
            raise WordPressStartError(self._failure(reason)) from error

    def stop(self) -> None:
        """Stop both servers and delete the site (logs stay in `root` until it is deleted)."""
        if self._client is not None:
            self._client.close()
            self._client = None
        for server in (self._php, self._mariadb):
            if server is not None:
                server.stop()
        self._php = self._mariadb = None
        for directory in (self.site_dir, self.root / "mariadb"):
            shutil.rmtree(directory, ignore_errors=True)
        if self._socket.parent != self.root:
            shutil.rmtree(self._socket.parent, ignore_errors=True)

    def _socket_path(self) -> Path:
        """MariaDB's socket in `root`, or in a short directory of its own when `root`'s path is
        too long for a Unix socket."""
        path = self.root / "mariadb.sock"
        if len(os.fsencode(path)) <= UNIX_SOCKET_PATH_MAX:
            return path
        return Path(tempfile.mkdtemp(prefix="igny8-wp-")) / "mariadb.sock"

    def _failure(self, what: str) -> str:
        """The reason, then the end of every server's log (read once the servers are stopped,
        so nothing is still to be written)."""
        logs = sorted(self.root.glob("*.log"))
        sections = [f"--- {log.name} ---\n{_tail(log)}" for log in logs]
        return "\n".join([f"the test WordPress did not start: {what}", *sections])

    def _wait(self, condition: Callable[[], bool], what: str, server: _Server) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not condition():
            if not server.alive():
                raise WordPressStartError(
                    f"{server.name} exited ({server.process.returncode}) {what}"
                )
            if time.monotonic() > deadline:
                raise WordPressStartError(f"timed out after {START_TIMEOUT_S:g} s {what}")
            time.sleep(POLL_INTERVAL_S)

    def _run(self, args: list[str], what: str, log: Path | None = None) -> str:
        result = subprocess.run(
            args, capture_output=True, text=True, timeout=START_TIMEOUT_S, stdin=subprocess.DEVNULL
        )
        if log is not None:
            log.write_text(result.stdout + result.stderr)
        if result.returncode != 0:
            raise WordPressStartError(
                f"{what} failed ({result.returncode}): {result.stderr.strip()}"
            )
        return result.stdout

    # MariaDB

    def _start_mariadb(self) -> None:
        data = self.root / "mariadb"
        as_root = ["--user=root"] if os.geteuid() == 0 else []
        self._run(
            [
                _program("mariadb-install-db"),
                "--no-defaults",
                f"--datadir={data}",
                "--skip-test-db",
                "--auth-root-authentication-method=socket",
                f"--auth-root-socket-user={self._os_user}",
                *MARIADB_OPTIONS,
                *as_root,
            ],
            "mariadb-install-db",
            log=self.root / "mariadb-install-db.log",
        )
        self._mariadb = _Server(
            "mariadbd",
            [
                _program("mariadbd"),
                "--no-defaults",
                f"--datadir={data}",
                f"--socket={self._socket}",
                f"--pid-file={self.root / 'mariadbd.pid'}",
                f"--log-error={self.root / 'mariadbd.log'}",
                "--skip-networking",
                *MARIADB_OPTIONS,
                *as_root,
            ],
            self.root / "mariadbd.out.log",
            dict(os.environ),
        )
        self._wait(self._database_answers, "waiting for MariaDB", self._mariadb)
        self.sql(
            f"CREATE DATABASE {DATABASE};"
            f" CREATE USER 'wordpress'@'localhost' IDENTIFIED BY '{self._db_password}';"
            f" GRANT ALL PRIVILEGES ON {DATABASE}.* TO 'wordpress'@'localhost';",
            database=None,
        )

    def _database_answers(self) -> bool:
        if not self._socket.exists():
            return False
        query = [*self._sql_args(None), "-e", "SELECT 1"]
        return subprocess.run(query, capture_output=True, stdin=subprocess.DEVNULL).returncode == 0

    def _sql_args(self, database: str | None) -> list[str]:
        args = [_program("mariadb"), "--no-defaults", f"--socket={self._socket}"]
        return [*args, f"--user={self._os_user}", "--batch", *([database] if database else [])]

    def sql(self, statements: str, database: str | None = DATABASE) -> str:
        """Run SQL in MariaDB as its administrator; tab-separated rows out, with a header."""
        result = subprocess.run(
            [*self._sql_args(database), "-e", statements],
            capture_output=True,
            text=True,
            timeout=REQUEST_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            raise RuntimeError(f"SQL failed: {result.stderr.strip()}\n{statements}")
        return result.stdout

    # WordPress

    def _write_site(self) -> None:
        """The site directory: Debian's WordPress linked in, with this site's own wp-config.php
        and wp-content (themes linked, uploads and the must-use plugin here)."""
        self.site_dir.mkdir()
        for entry in WORDPRESS_DIR.iterdir():
            if entry.name not in {"wp-config.php", "wp-content"}:
                (self.site_dir / entry.name).symlink_to(entry)
        content = self.site_dir / "wp-content"
        (content / "mu-plugins").mkdir(parents=True)
        (content / "plugins").mkdir()
        (content / "themes").symlink_to(WORDPRESS_DIR / "wp-content" / "themes")
        self.uploads_dir.mkdir()
        shutil.copy(PHP_DIR / "mu-plugin.php", content / "mu-plugins" / "igny8-test-site.php")
        constants = {
            "DB_NAME": DATABASE,
            "DB_USER": "wordpress",
            "DB_PASSWORD": self._db_password,
            "DB_HOST": f"localhost:{self._socket}",
            "DB_CHARSET": "utf8mb4",
            "DB_COLLATE": "",
            "WP_CONTENT_DIR": str(content),
            "WP_ENVIRONMENT_TYPE": "local",
            **{key: secrets.token_hex(32) for key in SECRET_KEYS},
        }
        flags = ("DISABLE_WP_CRON", "WP_HTTP_BLOCK_EXTERNAL", "AUTOMATIC_UPDATER_DISABLED")
        lines = [f"define('{key}', {_php_string(value)});" for key, value in constants.items()]
        lines += [f"define('{flag}', true);" for flag in flags]
        (self.site_dir / "wp-config.php").write_text(
            "<?php\n// Written by tests/wordpress_site.py for one test site.\n"
            + "\n".join(lines)
            + "\n$table_prefix = 'wp_';\n"
            + "require_once ABSPATH . 'wp-settings.php';\n"
        )

    def _start_php(self) -> None:
        """`php -S` on a free port; another process may take the port first, so try a few."""
        env = {**os.environ, "PHP_CLI_SERVER_WORKERS": str(PHP_SERVER_WORKERS)}
        ini = [arg for setting in PHP_INI for arg in ("-d", setting)]
        for _attempt in range(PORT_ATTEMPTS):
            port = _free_port()
            args = [_program("php"), *ini, "-S", f"127.0.0.1:{port}", "-t", str(self.site_dir)]
            server = _Server(
                "php -S", [*args, str(PHP_DIR / "router.php")], self.root / "php.log", env
            )
            self._php = server
            try:
                self._wait(functools.partial(_port_open, port), f"waiting for port {port}", server)
            except WordPressStartError:
                if "Address already in use" not in _tail(server.log):
                    raise
                server.stop()
                continue
            self.port, self.url = port, f"http://127.0.0.1:{port}"
            return
        raise WordPressStartError(f"no free port in {PORT_ATTEMPTS} attempts")

    def _install(self) -> None:
        """Install through the installer's own form (step 2), then the set-up the REST API
        does not offer: permalinks, time zone, the administrator's application password."""
        with httpx.Client(base_url=self.url, timeout=REQUEST_TIMEOUT_S) as client:
            page = client.get("/wp-admin/install.php")
            if page.status_code != httpx.codes.OK:
                raise WordPressStartError(
                    f"install.php answered {page.status_code}: {page.text[:500]}"
                )
            installed = client.post(
                "/wp-admin/install.php?step=2",
                data={
                    "weblog_title": SITE_TITLE,
                    "user_name": self.user,
                    "admin_password": self.admin_password,
                    "admin_password2": self.admin_password,
                    "pw_weak": "1",
                    "admin_email": ADMIN_EMAIL,
                    "blog_public": "0",
                    "language": "",
                },
            )
            if installed.status_code != httpx.codes.OK or "<h1>Success!</h1>" not in installed.text:
                raise WordPressStartError(
                    f"installing answered {installed.status_code}: {installed.text[-2000:]}"
                )
        made = self._wp_tool("setup", self.user, self.timezone)
        self.app_password = made["app_password"]
        index = self.request("GET", "/")
        if index.status_code != httpx.codes.OK:
            raise WordPressStartError(f"/wp-json/ answered {index.status_code}")

    def _wp_tool(self, *args: str) -> dict[str, str]:
        output = self._run(
            [
                _program("php"),
                str(PHP_DIR / "wp_tool.php"),
                str(self.site_dir),
                f"127.0.0.1:{self.port}",
                *args,
            ],
            f"wp_tool.php {args[0]}",
        )
        made: dict[str, str] = json.loads(output)
        return made

    # Test helpers

    def user_with_role(self, role: str) -> WordPressUser:
        """A user with this role (`subscriber`, `contributor`, `author`, `editor`) and an
        application password of their own, made once per site."""
        if role not in self._users:
            login = f"test-{role}"
            made = self._wp_tool("add-user", login, role)
            self._users[role] = WordPressUser(login, role, made["app_password"])
        return self._users[role]

    def reset(self) -> None:
        """Delete every post, page, attachment, comment, category and tag (but Uncategorized)
        and every uploaded file; users and settings stay."""
        self.sql(RESET_SQL)
        if self.uploads_dir.is_dir():
            shutil.rmtree(self.uploads_dir)
        else:
            self.uploads_dir.unlink(missing_ok=True)
        self.uploads_dir.mkdir()

    @contextlib.contextmanager
    def uploads_unwritable(self) -> Iterator[None]:
        """Media uploads fail while inside: the uploads directory is replaced by a file, so
        WordPress cannot make its year/month directory (a chmod would not stop `php -S` running
        as root)."""
        shutil.rmtree(self.uploads_dir)
        self.uploads_dir.write_text("not a directory: media uploads fail (tests/wordpress_site.py)")
        try:
            yield
        finally:
            self.uploads_dir.unlink()
            self.uploads_dir.mkdir()

    def client(self, user: WordPressUser | None = None) -> httpx.Client:
        """A client for the REST API (base URL `.../wp-json`) with Basic auth as `user`, the
        administrator by default. Close it after use."""
        auth = user.auth if user is not None else (self.user, self.app_password)
        return httpx.Client(base_url=f"{self.url}/wp-json", auth=auth, timeout=REQUEST_TIMEOUT_S)

    def request(
        self, method: str, path: str, *, user: WordPressUser | None = None, **kwargs: Any
    ) -> httpx.Response:
        """One REST request (`path` under /wp-json), as the administrator unless `user`."""
        if user is not None:
            with self.client(user) as client:
                return client.request(method, path, **kwargs)
        if self._client is None:
            self._client = self.client()
        return self._client.request(method, path, **kwargs)

    def get(self, path: str, **params: Any) -> JSON:
        """GET `path` under /wp-json as the administrator; the JSON body, or HTTPStatusError."""
        response = self.request("GET", path, params=params)
        response.raise_for_status()
        return response.json()

    def _all_pages(self, path: str, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page, pages = 1, 1
        while page <= pages:
            response = self.request(
                "GET", path, params={**params, "per_page": PER_PAGE, "page": page}
            )
            response.raise_for_status()
            items.extend(response.json())
            pages = int(response.headers.get("X-WP-TotalPages", "1"))
            page += 1
        return items

    def posts(self, status: str = "any") -> list[dict[str, Any]]:
        """Every post with this status (`any`: all but trashed ones), newest first, as an
        editor sees them (context=edit: raw title and content, `date_gmt`, ...)."""
        return self._all_pages("/wp/v2/posts", status=status, context="edit")

    def media(self) -> list[dict[str, Any]]:
        """Every media item, newest first, with context=edit."""
        return self._all_pages("/wp/v2/media", context="edit")
