"""A webhook receiver on 127.0.0.1 for the tests: it verifies each request's signature with the
`standardwebhooks` package (the reference implementation), records it, and answers as told:
fail an id's first attempts, answer one status to everything, or hang."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    webhook_id: str
    timestamp: str
    body: dict[str, Any]
    verified: bool
    answered: int


@dataclass
class Receiver:
    secret: str = ""
    fail_first: int = 0  # per webhook-id: answer 500 to this many attempts first
    status: int | None = None  # answer this to every request
    hang_s: float = 0.0  # hold the first attempt of each id this long before answering
    requests: list[Received] = field(default_factory=list)
    arrivals: dict[str, int] = field(default_factory=dict)  # requests per id, as they arrive
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def attempts(self, webhook_id: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.webhook_id == webhook_id]

    def delivered(self) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if 200 <= r.answered < 300]

    def of_type(self, event_type: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.body.get("type") == event_type]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                Webhook(receiver.secret).verify(raw, headers)
                verified = True
            except WebhookVerificationError:
                verified = False
            webhook_id = headers.get("webhook-id", "")
            with receiver.lock:
                earlier = receiver.arrivals.get(webhook_id, 0)
                receiver.arrivals[webhook_id] = earlier + 1
            if receiver.status is not None:
                answer = receiver.status
            elif earlier < receiver.fail_first:
                answer = 500
            else:
                answer = 200 if verified else 401
            if receiver.hang_s and earlier == 0:
                threading.Event().wait(receiver.hang_s)
            with receiver.lock:
                receiver.requests.append(
                    Received(
                        webhook_id,
                        headers.get("webhook-timestamp", ""),
                        json.loads(raw),
                        verified,
                        answer,
                    )
                )
            self.send_response(answer)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def webhook_receiver(**behaviour: Any) -> Iterator[Receiver]:
    receiver = Receiver(**behaviour)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/igny8"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
