"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests, with scripted faults.

Tests of the OpenAI provider talk to this server over real sockets. Use the fixture::

    from tests.openai_server import Fault, FakeOpenAIServer
    from tests.openai_server import fake_openai as fake_openai

    def test_a_rate_limit_is_retried(fake_openai: FakeOpenAIServer) -> None:
        fake_openai.script(Fault(status=429, retry_after=0.1), endpoint="chat")
        ...  # point the provider at fake_openai.base_url

(the redundant `as` tells ruff the imported fixture is used: no F401 on the import, no F811 on
the test's parameter), or run one directly with
`with FakeOpenAIServer(api_key="sk-test") as server: ...`.

Endpoints under `base_url` (`http://127.0.0.1:PORT/v1`): `POST /chat/completions`,
`POST /images/generations` and `GET /models`. Unless a fault is scripted, a chat request is
answered from its last user message's `INPUT (JSON):` block by the project's offline
generators, marked as this server's work: every article's html holds `ARTICLE_MARKER` after its
first paragraph and every cluster description ends with `CLUSTER_MARKER`.

A request is handled in this order: `latency_s`, then it takes the next scripted fault for its
endpoint, sleeps `delay_s` and waits for `hold_until`, then `drop`, the API key check, `status`,
`raw_body`, the model check (chat only), `reject_json_schema`, the strict-schema check, and
finally the answer, which `content`, `refusal` and `finish_reason` shape.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import itertools
import json
import re
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import urlsplit

import pytest
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from igny8_tui.ai.articles import write_article
from igny8_tui.ai.clustering import cluster_batch
from igny8_tui.ai.ideas import ideas_for_cluster
from igny8_tui.ai.image_prompts import image_prompts
from igny8_tui.ai.outputs import (
    ClusterInput,
    ContentInput,
    ExistingCluster,
    Intent,
    KeywordInput,
    TaskInput,
)
from igny8_tui.ai.provider import ProviderError

ARTICLE_MARKER = "<p>Written by the fake OpenAI server.</p>"
CLUSTER_MARKER = " (fake server)"
DEFAULT_MODEL_IDS = ("gpt-4o-mini", "gpt-image-1")
IMAGE_SIZE_PX = (64, 40)
WORDS_PER_TOKEN = 0.75
# An idle keep-alive connection is closed after this, so no handler thread waits forever.
IDLE_CONNECTION_TIMEOUT_S = 30.0
SERVE_POLL_INTERVAL_S = 0.01
STOP_JOIN_TIMEOUT_S = 5.0
LISTEN_BACKLOG = 64

Endpoint = Literal["chat", "images", "models"]
FaultTarget = Literal["chat", "images", "models", "any"]
JSON = Any  # a parsed JSON document, whose shape the request handling checks

_ROUTES: dict[tuple[str, str], Endpoint] = {
    ("POST", "/v1/chat/completions"): "chat",
    ("POST", "/v1/images/generations"): "images",
    ("GET", "/v1/models"): "models",
}
_INPUT_LINE = re.compile(r"^INPUT \(JSON\):[ \t]*$", re.MULTILINE)
_SCHEMA_NAME_LINE = re.compile(r"^SCHEMA NAME:[ \t]*(\S+)[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class Fault:
    """What to do to one request instead of (or on top of) the default answer.

    `status`: answer with this error status and an OpenAI error body (`error_code` and `message`
    override its code and message; `retry_after` adds a `Retry-After` header, in seconds).
    `delay_s`: sleep first. `hold_until`: then wait until the test sets this event, so requests
    stay in flight exactly as long as the test needs (a fixed delay can be too short on a busy
    machine). `drop`: close the connection without a response. `raw_body`: HTTP 200
    with exactly this body. Chat only: `content` replaces the answer's message.content;
    `refusal` sets message.refusal with null content; `finish_reason` other than "stop" cuts the
    default answer in half; `reject_json_schema` refuses a json_schema response_format with 400.
    """

    status: int | None = None
    retry_after: float | None = None
    error_code: str | None = None
    message: str | None = None
    delay_s: float = 0.0
    hold_until: threading.Event | None = None
    drop: bool = False
    raw_body: str | None = None
    content: str | None = None
    refusal: str | None = None
    finish_reason: str | None = None
    reject_json_schema: bool = False


@dataclass
class RecordedRequest:
    """One request as the server saw it; the API key itself is never kept."""

    endpoint: Endpoint | None
    method: str
    path: str
    body: JSON
    schema_name: str | None
    authorization_present: bool
    started_at: float
    fault: Fault | None = None
    ended_at: float | None = None
    status: int | None = None  # None: the connection was dropped without a response
    response_body: str | None = None


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


class _RequestError(Exception):
    """A request the real API would refuse, with the OpenAI error fields."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        error_type: str = "invalid_request_error",
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code
        self.error_type, self.param = error_type, param


def _json_response(
    status: int, document: JSON, headers: tuple[tuple[str, str], ...] = ()
) -> _Response:
    return _Response(status, json.dumps(document).encode(), headers=headers)


def _error_response(error: _RequestError, headers: tuple[tuple[str, str], ...] = ()) -> _Response:
    body = {
        "error": {
            "message": error.message,
            "type": error.error_type,
            "param": error.param,
            "code": error.code,
        }
    }
    return _json_response(error.status, body, headers)


def _fault_error(fault: Fault, status: int) -> _Response:
    if status == 429:
        error = _RequestError(
            429, "Rate limit reached for requests", "rate_limit_exceeded", "requests"
        )
    elif status >= 500:
        error = _RequestError(
            status, "The server had an error processing your request.", None, "server_error"
        )
    else:
        error = _RequestError(status, f"Scripted error {status}")
    error.message = fault.message or error.message
    error.code = fault.error_code or error.code
    headers = () if fault.retry_after is None else (("Retry-After", f"{fault.retry_after:g}"),)
    return _error_response(error, headers)


# ----- the INPUT block of each schema -----


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _KeywordIn(_Strict):
    text: str
    volume: int
    intent: Intent | None


class _ClusteringIn(_Strict):
    keywords: list[_KeywordIn]
    existing_clusters: list[ExistingCluster]


class _ClusterIn(_Strict):
    name: str
    description: str
    keywords: list[_KeywordIn]


class _IdeasIn(_Strict):
    cluster: _ClusterIn
    count: int = Field(ge=1)
    site: str
    target_word_count: int = Field(gt=0)


class _TaskIn(_Strict):
    title: str
    description: str
    outline: list[str]
    target_keywords: list[str]
    target_word_count: int
    content_type: str
    content_structure: str


class _ArticleIn(_Strict):
    task: _TaskIn
    site: str


class _ContentIn(_Strict):
    title: str
    headings: list[str]
    keywords: list[str]


class _ImagePromptsIn(_Strict):
    content: _ContentIn
    count: int = Field(ge=1)
    site: str


def _keywords(keywords: list[_KeywordIn]) -> list[KeywordInput]:
    return [KeywordInput(id=i, **k.model_dump()) for i, k in enumerate(keywords, 1)]


def _clustering_answer(data: JSON) -> JSON:
    request = _ClusteringIn.model_validate(data)
    groups = cluster_batch(_keywords(request.keywords), request.existing_clusters)
    clusters = [
        {
            "name": group.name,
            "description": group.description + CLUSTER_MARKER,
            "keywords": [keyword.text for keyword in group.keywords],
            "existing_cluster_id": group.existing_cluster_id,
        }
        for group in groups
    ]
    return {"clusters": clusters}


def _ideas_answer(data: JSON) -> JSON:
    request = _IdeasIn.model_validate(data)
    cluster = ClusterInput(
        id=1,
        name=request.cluster.name,
        description=request.cluster.description,
        keywords=_keywords(request.cluster.keywords),
        site_name=request.site,
    )
    ideas = ideas_for_cluster(cluster, request.count, request.target_word_count)
    return {"ideas": [idea.model_dump() for idea in ideas]}


def _article_answer(data: JSON) -> JSON:
    request = _ArticleIn.model_validate(data)
    article = write_article(TaskInput(id=1, site_name=request.site, **request.task.model_dump()))
    html = article.html
    end = html.find("</p>")
    at = end + len("</p>") if end >= 0 else 0
    marked = f"{html[:at]}\n{ARTICLE_MARKER}{html[at:]}" if at else f"{ARTICLE_MARKER}\n{html}"
    return article.model_dump(exclude={"usage"}) | {"html": marked}


def _image_prompts_answer(data: JSON) -> JSON:
    request = _ImagePromptsIn.model_validate(data)
    content = ContentInput(id=1, site_name=request.site, **request.content.model_dump())
    return {"prompts": [p.model_dump() for p in image_prompts(content, request.count)]}


_ANSWERS: dict[str, Callable[[JSON], JSON]] = {
    "clustering_result": _clustering_answer,
    "ideas_result": _ideas_answer,
    "article": _article_answer,
    "image_prompts_result": _image_prompts_answer,
}


# ----- reading a chat request -----


def _messages(body: JSON) -> list[dict[str, JSON]]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise _RequestError(400, "'messages' must be a list of message objects", param="messages")
    return messages


def _response_format(body: JSON) -> dict[str, JSON]:
    response_format = body.get("response_format")
    return response_format if isinstance(response_format, dict) else {}


def _schema_name(body: JSON) -> str | None:
    """The answer a chat request asks for: its json_schema name, else its SCHEMA NAME line."""
    if not isinstance(body, dict):
        return None
    response_format = _response_format(body)
    json_schema = response_format.get("json_schema")
    if response_format.get("type") == "json_schema" and isinstance(json_schema, dict):
        name = json_schema.get("name")
        return name if isinstance(name, str) else None
    messages = body.get("messages")
    systems = [
        m.get("content")
        for m in (messages if isinstance(messages, list) else [])
        if isinstance(m, dict) and m.get("role") == "system"
    ]
    for content in systems:
        if isinstance(content, str) and (found := _SCHEMA_NAME_LINE.search(content)):
            return found.group(1)
    return None


def _input_block(messages: list[dict[str, JSON]]) -> JSON:
    users = [m for m in messages if m.get("role") == "user"]
    content = users[-1].get("content") if users else None
    if not isinstance(content, str):
        raise _RequestError(400, "fake server: the last user message must be a string")
    lines = list(_INPUT_LINE.finditer(content))
    if not lines:
        raise _RequestError(400, "fake server: the last user message has no 'INPUT (JSON):' line")
    try:
        return json.loads(content[lines[-1].end() :])
    except json.JSONDecodeError as error:
        raise _RequestError(400, f"fake server: the INPUT block is not JSON: {error}") from None


def _strict_schema_problem(schema: JSON, context: tuple[str, ...] = ()) -> str | None:
    """Why OpenAI's strict mode would refuse this schema, or None if it would accept it."""
    if not isinstance(schema, dict):
        return None
    properties = schema.get("properties")
    if schema.get("type") == "object" or isinstance(properties, dict):
        keys = list(properties) if isinstance(properties, dict) else []
        if schema.get("additionalProperties") is not False:
            return (
                f"In context={context}, 'additionalProperties' is required to be supplied "
                "and to be false."
            )
        required = schema.get("required")
        missing = [k for k in keys if not isinstance(required, list) or k not in required]
        if missing:
            return (
                f"In context={context}, 'required' is required to be supplied and to be an "
                f"array including every key in properties. Missing '{missing[0]}'."
            )
    children: list[tuple[tuple[str, ...], JSON]] = []
    if isinstance(properties, dict):
        children += [((*context, "properties", k), v) for k, v in properties.items()]
    children.append(((*context, "items"), schema.get("items")))
    for keyword in ("anyOf", "allOf", "oneOf"):
        options = schema.get(keyword)
        children += [((*context, keyword, str(i)), v) for i, v in enumerate(options or [])]
    for keyword in ("$defs", "definitions"):
        defined = schema.get(keyword)
        if isinstance(defined, dict):
            children += [((*context, keyword, k), v) for k, v in defined.items()]
    for child_context, child in children:
        if problem := _strict_schema_problem(child, child_context):
            return problem
    return None


def _check_response_format(body: JSON, fault: Fault) -> None:
    response_format = _response_format(body)
    if response_format.get("type") != "json_schema":
        return
    if fault.reject_json_schema:
        raise _RequestError(
            400,
            "response_format json_schema is not supported by this model",
            "unsupported_response_format",
        )
    json_schema = response_format.get("json_schema")
    strict = isinstance(json_schema, dict) and json_schema.get("strict") is True
    if strict and (problem := _strict_schema_problem(json_schema.get("schema"))):
        raise _RequestError(
            400,
            f"Invalid schema for response_format '{json_schema.get('name')}': {problem}",
            param="response_format",
        )


def _default_content(body: JSON, messages: list[dict[str, JSON]]) -> str:
    name = _schema_name(body)
    if name is None:
        return json.dumps({"ok": True})  # a plain request, like `igny8 ai check` sends
    answer = _ANSWERS.get(name)
    if answer is None:
        raise _RequestError(400, f"fake server: no answer for schema name {name!r}")
    data = _input_block(messages)
    try:
        return json.dumps(answer(data))
    except ValidationError as error:
        raise _RequestError(400, f"fake server: INPUT does not fit {name!r}: {error}") from None
    except ProviderError as error:
        raise _RequestError(400, f"fake server: {error}") from None


def _tokens(text: str) -> int:
    return round(len(text.split()) / WORDS_PER_TOKEN)


def _png(prompt: str) -> bytes:
    colour = tuple(hashlib.sha256(prompt.encode()).digest()[:3])
    buffer = io.BytesIO()
    Image.new("RGB", IMAGE_SIZE_PX, colour).save(buffer, format="PNG")
    return buffer.getvalue()


# ----- the server -----


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, owner: FakeOpenAIServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test) or a stop mid-request breaks the socket.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_CONNECTION_TIMEOUT_S
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.owner._connection_opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._connection_closed(self.connection)

    def do_GET(self) -> None:
        self.server.owner._handle(self)

    def do_POST(self) -> None:
        self.server.owner._handle(self)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read `FakeOpenAIServer.requests` instead."""


class FakeOpenAIServer:
    """An OpenAI-compatible server on 127.0.0.1 with scripted faults; see the module docstring.

    `api_key`: when set, requests need `Authorization: Bearer <api_key>`. `model_ids`: when
    set, a chat request for any other model gets 404. `latency_s`: a delay for every request.
    """

    def __init__(
        self,
        api_key: str | None = None,
        model_ids: set[str] | None = None,
        latency_s: float = 0.0,
    ) -> None:
        self.api_key = api_key
        self.model_ids = model_ids
        self.latency_s = latency_s
        self.requests: list[RecordedRequest] = []
        self.max_in_flight = 0
        self.max_connections = 0
        self._lock = threading.Lock()
        self._faults: deque[tuple[FaultTarget, Fault]] = deque()
        self._in_flight = 0
        self._connections: set[socket.socket] = set()
        self._completion_ids = itertools.count(1)
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----- lifecycle -----

    def start(self) -> FakeOpenAIServer:
        self._stopping.clear()
        self._httpd = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": SERVE_POLL_INTERVAL_S},
            name="fake-openai-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake sleeping handlers and close every open connection."""
        if self._httpd is None or self._thread is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        self._thread.join(STOP_JOIN_TIMEOUT_S)
        self._httpd = self._thread = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("The fake OpenAI server is not running; call start() first.")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    # ----- scripting and observing -----

    def script(self, *faults: Fault, endpoint: FaultTarget = "any") -> None:
        """Queue faults; each request to `endpoint` ("any": every endpoint) takes the next one."""
        if endpoint not in ("chat", "images", "models", "any"):
            raise ValueError(f"Unknown endpoint {endpoint!r}")
        with self._lock:
            self._faults.extend((endpoint, fault) for fault in faults)

    @property
    def pending_faults(self) -> int:
        with self._lock:
            return len(self._faults)

    def _next_fault(self, endpoint: Endpoint) -> Fault | None:
        with self._lock:
            for entry in self._faults:
                if entry[0] in (endpoint, "any"):
                    self._faults.remove(entry)
                    return entry[1]
        return None

    def _connection_opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)
            self.max_connections = max(self.max_connections, len(self._connections))

    def _connection_closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    # ----- handling a request -----

    def _handle(self, handler: _Handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length > 0 else b""
        try:
            body: JSON = json.loads(raw) if raw else None
        except ValueError:
            body = None
        path = urlsplit(handler.path).path
        endpoint = _ROUTES.get((handler.command, path))
        record = RecordedRequest(
            endpoint=endpoint,
            method=handler.command,
            path=path,
            body=body,
            schema_name=_schema_name(body) if endpoint == "chat" else None,
            authorization_present="Authorization" in handler.headers,
            started_at=time.monotonic(),
        )
        with self._lock:
            self.requests.append(record)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        bug: Exception | None = None
        try:
            response = self._respond(handler, endpoint, raw, body, record)
        except Exception as error:
            # A bug in this server: answer 500 so the client does not mistake it for a
            # scripted drop, then let socketserver print the traceback.
            bug = error
            message = f"fake server bug: {error!r}"
            response = _error_response(_RequestError(500, message, None, "server_error"))
        # Book-keeping comes before sending: a client holding its answer must find the record
        # finished, and its next request must not overlap this one in `max_in_flight`.
        record.status = response.status if response is not None else None
        record.response_body = response.body.decode(errors="replace") if response else None
        record.ended_at = time.monotonic()
        with self._lock:
            self._in_flight -= 1
        if response is None:
            handler.close_connection = True
        else:
            _send(handler, response)
        if bug is not None:
            raise bug

    def _pause(self, seconds: float) -> bool:
        """Sleep, unless the server stops first; False when it stopped."""
        return seconds <= 0 or not self._stopping.wait(seconds)

    def _hold(self, release: threading.Event | None) -> bool:
        """Wait until `release` is set, unless the server stops first; False when it stopped."""
        while release is not None and not release.wait(SERVE_POLL_INTERVAL_S):
            if self._stopping.is_set():
                return False
        return True

    def _respond(
        self,
        handler: _Handler,
        endpoint: Endpoint | None,
        raw: bytes,
        body: JSON,
        record: RecordedRequest,
    ) -> _Response | None:
        """The response to send, or None to drop the connection without one."""
        if not self._pause(self.latency_s):
            return None
        if endpoint is None:
            message = f"Unknown request URL: {handler.command} {record.path}."
            return _error_response(_RequestError(404, message, "unknown_url"))
        fault = record.fault = self._next_fault(endpoint)
        fault = fault or Fault()
        if not self._pause(fault.delay_s) or not self._hold(fault.hold_until) or fault.drop:
            return None
        if self.api_key is not None and (
            handler.headers.get("Authorization") != f"Bearer {self.api_key}"
        ):
            message = "Incorrect API key provided"
            return _error_response(_RequestError(401, message, "invalid_api_key"))
        if fault.status is not None:
            return _fault_error(fault, fault.status)
        if fault.raw_body is not None:
            return _Response(200, fault.raw_body.encode())
        try:
            return self._answer(endpoint, raw, body, fault)
        except _RequestError as error:
            return _error_response(error)

    def _answer(self, endpoint: Endpoint, raw: bytes, body: JSON, fault: Fault) -> _Response:
        if endpoint == "models":
            ids = sorted(self.model_ids) if self.model_ids is not None else DEFAULT_MODEL_IDS
            models = [{"id": i, "object": "model", "created": 0, "owned_by": "fake"} for i in ids]
            return _json_response(200, {"object": "list", "data": models})
        if not isinstance(body, dict):
            message = "We could not parse the JSON body of your request."
            raise _RequestError(400, message if raw else "The request body must be JSON.")
        if endpoint == "images":
            return _json_response(200, _image_answer(body))
        return _json_response(200, self._chat_answer(body, fault))

    def _chat_answer(self, body: dict[str, JSON], fault: Fault) -> JSON:
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise _RequestError(400, "you must provide a model parameter", param="model")
        if self.model_ids is not None and model not in self.model_ids:
            message = f"The model `{model}` does not exist"
            raise _RequestError(404, message, "model_not_found", param="model")
        messages = _messages(body)
        _check_response_format(body, fault)
        content: str | None = fault.content
        finish_reason = fault.finish_reason or "stop"
        if content is None and fault.refusal is None:
            content = _default_content(body, messages)
            if finish_reason != "stop":
                content = content[: len(content) // 2]
        completion = content if content is not None else fault.refusal or ""
        prompt_tokens = sum(
            _tokens(m["content"]) for m in messages if isinstance(m.get("content"), str)
        )
        message = {
            "role": "assistant",
            "content": content,
            "refusal": fault.refusal if content is None else None,
        }
        with self._lock:
            number = next(self._completion_ids)
        return {
            "id": f"chatcmpl-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": _tokens(completion),
                "total_tokens": prompt_tokens + _tokens(completion),
            },
        }


def _image_answer(body: dict[str, JSON]) -> JSON:
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise _RequestError(400, "'prompt' must be a non-empty string", param="prompt")
    count = body.get("n", 1)
    if not isinstance(count, int) or not 1 <= count <= 10:
        raise _RequestError(400, "'n' must be an integer from 1 to 10", param="n")
    image = base64.b64encode(_png(prompt)).decode()
    return {"created": int(time.time()), "data": [{"b64_json": image}] * count}


def _send(handler: _Handler, response: _Response) -> None:
    handler.send_response(response.status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(response.body)))
    for name, value in response.headers:
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(response.body)


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAIServer]:
    """A started `FakeOpenAIServer` (any key, any model, no latency), stopped afterwards."""
    with FakeOpenAIServer() as server:
        yield server


__all__ = [
    "ARTICLE_MARKER",
    "CLUSTER_MARKER",
    "FakeOpenAIServer",
    "Fault",
    "RecordedRequest",
    "fake_openai",
]
