"""Notifications: messages reach a real SMTP server and a real JSON endpoint on loopback, a
failure says why without the URL's secrets, and `igny8 notify test` uses the URLs that apply."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr

from igny8_tui.notify import NOTIFIED_EVENTS, human_message, send
from igny8_tui.redaction import redacted_notify_url
from igny8_tui.runtime import Runtime
from tests.conftest import demo_site, invoke_igny8, start_igny8, wait_until

SECRET = "s3cr3t-pa55word"
TOKEN = "tok3n-in-the-path-9f8e7d"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller.port, mailbox
    controller.stop()


@dataclass
class Endpoint:
    port: int
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    status: int = 200
    fail_first: int = 0  # answer 500 to this many requests first


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    """A JSON webhook receiver: records each POST (path, JSON body), answers `status`."""
    server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    state = Endpoint(port=server.server_address[1])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            state.received.append((self.path, json.loads(self.rfile.read(length))))
            failing = len(state.received) <= state.fail_first
            self.send_response(500 if failing else state.status)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def _json_url(endpoint: Endpoint, path: str = "hook") -> str:
    return f"json://igny8:{SECRET}@127.0.0.1:{endpoint.port}/{path}/{TOKEN}"


def test_a_mailto_notification_arrives_at_the_smtp_server(smtp: tuple[int, Mailbox]) -> None:
    port, mailbox = smtp
    url = f"mailto://127.0.0.1:{port}?from=igny8@example.com&to=ops@example.com"
    result = send(SecretStr(url), "igny8 · green-thumb: run 4 completed", "36 articles published")
    assert result.ok, result.error
    [message] = mailbox.messages
    assert message["Subject"] == "igny8 · green-thumb: run 4 completed"
    assert message["To"] == "ops@example.com"
    text = message.get_body(("plain",))
    assert text is not None and "36 articles published" in text.get_content()


def test_a_refused_smtp_login_says_so_without_the_password(smtp: tuple[int, Mailbox]) -> None:
    port, mailbox = smtp
    url = f"mailto://ops:{SECRET}@127.0.0.1:{port}?from=igny8@example.com&to=ops@example.com"
    result = send(SecretStr(url), "title", "body", timeout_s=10)
    assert not result.ok and result.error
    assert SECRET not in result.error
    assert mailbox.messages == []


def test_a_json_notification_carries_title_and_body(endpoint: Endpoint) -> None:
    result = send(SecretStr(_json_url(endpoint)), "the title", "the body")
    assert result.ok, result.error
    [(path, document)] = endpoint.received
    assert path == f"/hook/{TOKEN}"
    assert (document["title"], document["message"]) == ("the title", "the body")


def test_a_failing_endpoint_gives_a_reason_without_the_url_secrets(endpoint: Endpoint) -> None:
    endpoint.status = 500
    result = send(SecretStr(_json_url(endpoint)), "title", "body")
    assert not result.ok and result.error
    assert "500" in result.error
    assert SECRET not in result.error and TOKEN not in result.error


def test_an_unreachable_endpoint_and_an_unreadable_url_fail_with_a_reason() -> None:
    unreachable = send(SecretStr(f"json://u:{SECRET}@127.0.0.1:{_free_port()}/x"), "t", "b")
    assert not unreachable.ok and unreachable.error and "connection" in unreachable.error.lower()
    unreadable = send(SecretStr(f"slack://{TOKEN}/only-two"), "t", "b")
    assert not unreadable.ok and unreadable.error
    assert TOKEN not in unreadable.error


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("mailto://user:pass@example.com", "mailto://***@example.com"),
        ("json://127.0.0.1:8080", "json://127.0.0.1:8080"),
        (f"json://127.0.0.1:8080/hooks/{TOKEN}", "json://127.0.0.1:8080/***"),
        ("slack://TokenA/TokenB/TokenC", "slack://***"),
        ("tgram://123456789:AAbbCC/987654", "tgram://***"),
        ("ntfy://ntfy.sh/private-topic", "ntfy://ntfy.sh/***"),
    ],
)
def test_a_notify_url_is_shown_with_scheme_and_host_only(url: str, shown: str) -> None:
    assert redacted_notify_url(url) == shown


WITHOUT_APPRISE = """
import sys
sys.modules["apprise"] = None  # as if the notify extra were not installed
from pathlib import Path
from igny8_tui.notify import send
from igny8_tui.settings import load_settings, notify_urls_for
settings = load_settings(Path(sys.argv[1]))
[url] = notify_urls_for(settings, None)
print(send(url, "t", "b").error)
"""


def test_without_the_extra_any_scheme_loads_and_sending_names_the_extra(home: Path) -> None:
    _config(home, 'notify_urls = ["anything://token"]\n')
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_APPRISE, str(home)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout.strip()
        == "notifications need the notify extra: pip install 'igny8-tui[notify]'"
    )


FULL = {
    "run_id": 4,
    "status": "completed",
    "published": 36,
    "total_credits_used": 873.4,
    "duration_seconds": 761,
    "error_message": "the AI server answered 503 five times",
    "pause_reason": "insufficient credits: 120 left, 900 needed",
    "balance": 120,
    "required_credits": 900,
}


def test_a_completed_run_reads_as_one_line_of_what_it_did() -> None:
    title, body = human_message("run.completed", "green-thumb", FULL)
    assert title == "igny8 · green-thumb: run 4 completed"
    assert body == "36 articles published · 873 credits · 12:41"


def test_failed_and_paused_runs_say_why() -> None:
    _, failed = human_message("run.failed", "green-thumb", FULL)
    _, paused = human_message("run.paused", "green-thumb", FULL)
    assert failed.startswith("the AI server answered 503 five times")
    assert paused.startswith("insufficient credits: 120 left, 900 needed")


def test_low_credits_give_the_balance_and_the_estimate() -> None:
    title, body = human_message("credits.low", "green-thumb", FULL)
    assert title == "igny8 · green-thumb: credits are low"
    assert "balance 120" in body and "900" in body


@pytest.mark.parametrize("event_type", NOTIFIED_EVENTS)
@pytest.mark.parametrize("payload", [{}, {"run_id": 7}, {"published": 1, "balance": None}])
def test_every_event_has_a_message_from_a_partial_payload(
    event_type: str, payload: dict[str, Any]
) -> None:
    title, body = human_message(event_type, "green-thumb", payload)
    assert title.startswith("igny8 · green-thumb: ") and body


def _config(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text)


def test_notify_test_sends_to_the_global_urls(home: Path, endpoint: Endpoint) -> None:
    _config(home, f'notify_urls = ["{_json_url(endpoint)}"]\n')
    result = invoke_igny8(home, "notify", "test")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"json://***@127.0.0.1:{endpoint.port}/***: OK"
    [(_, document)] = endpoint.received
    assert document["title"] == "igny8 test message"


def test_a_sites_own_urls_replace_the_global_ones(home: Path, endpoint: Endpoint) -> None:
    _config(
        home,
        f'notify_urls = ["{_json_url(endpoint, "global")}"]\n'
        f'[sites.green-thumb]\nnotify_urls = ["{_json_url(endpoint, "site")}"]\n',
    )
    assert invoke_igny8(home, "site", "add", "green-thumb").returncode == 0
    assert invoke_igny8(home, "site", "add", "other").returncode == 0
    assert invoke_igny8(home, "notify", "test", "--site", "green-thumb").returncode == 0
    assert invoke_igny8(home, "notify", "test", "--site", "other").returncode == 0
    paths = [path.split("/")[1] for path, _ in endpoint.received]
    assert paths == ["site", "global"]


def test_notify_test_fails_when_a_url_fails_and_never_prints_secrets(
    home: Path, endpoint: Endpoint
) -> None:
    endpoint.status = 500
    _config(home, f'notify_urls = ["{_json_url(endpoint)}"]\n')
    assert invoke_igny8(home, "site", "add", "green-thumb").returncode == 0
    tested = invoke_igny8(home, "notify", "test", "--json")
    shown = invoke_igny8(home, "config", "show", "--site", "green-thumb")
    shown_json = invoke_igny8(home, "config", "show", "--site", "green-thumb", "--json")
    assert tested.returncode == 1
    [delivery] = json.loads(tested.stdout)["deliveries"]
    assert delivery["ok"] is False and "500" in delivery["error"]
    assert f"notify_urls = json://***@127.0.0.1:{endpoint.port}/***" in shown.stdout
    assert json.loads(shown_json.stdout)["notify_urls"] == [delivery["url"]]
    for output in (tested, shown, shown_json):
        assert SECRET not in output.stdout + output.stderr
        assert TOKEN not in output.stdout + output.stderr


def test_notify_test_without_urls_says_how_to_configure(home: Path) -> None:
    result = invoke_igny8(home, "notify", "test")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert "notify_urls" in line and "config.toml" in line


def test_an_unknown_scheme_is_a_one_line_error_naming_the_field(home: Path) -> None:
    _config(home, f'[sites.green-thumb]\nnotify_urls = ["nosuchservice://me:{SECRET}@x"]\n')
    result = invoke_igny8(home, "notify", "test")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert "config.toml" in line and "sites.green-thumb.notify_urls.0" in line
    assert "nosuchservice://" in line and SECRET not in line


def test_a_runs_notifications_go_through_the_outbox_and_are_retried(
    home: Path, runtime: Runtime, endpoint: Endpoint
) -> None:
    """`run.completed` as a short message to the json:// URL; the first attempt fails (500),
    a daemon's retry delivers it; `igny8 events` shows it without the URL's secrets."""
    demo_site(runtime, "green-thumb", small=True)
    runtime.db.dispose()
    (home / "config.toml").write_text(f'notify_urls = ["{_json_url(endpoint)}"]\n')
    endpoint.fail_first = 1
    fast = {"IGNY8_EVENT_RETRY_SCALE": "0.001"}
    ran = invoke_igny8(home, "run", "--site", "green-thumb", **fast)
    assert ran.returncode == 0, ran.stderr
    daemon = start_igny8(home, "daemon", **fast)
    try:
        wait_until(lambda: len(endpoint.received) == 2, timeout_s=120, what="the retry")
    finally:
        daemon.terminate()
        daemon.wait(60)
    titles = [document["title"] for _, document in endpoint.received]
    assert titles == ["igny8 · green-thumb: run 1 completed"] * 2
    listed = invoke_igny8(home, "events", "--json")
    [row] = [r for r in json.loads(listed.stdout) if r["channel"] == "notify"]
    assert (row["type"], row["status"], row["attempts"]) == ("run.completed", "delivered", 2)
    shown = invoke_igny8(home, "events").stdout + listed.stdout
    assert SECRET not in shown and TOKEN not in shown
    assert SECRET.encode() not in (home / "igny8.db").read_bytes()
