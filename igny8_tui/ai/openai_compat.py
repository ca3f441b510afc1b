"""The provider for any server that speaks the OpenAI API (OpenAI, Ollama, vLLM, LM Studio,
llama.cpp's server, OpenRouter): structured JSON replies checked by pydantic, bounded retries
that honour Retry-After, a shared slow-down after a 429, and bounded connections."""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from typing import Any, TypeVar

import httpx
from PIL import Image as PILImage
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import JsonSchemaValue

from igny8_tui.ai.outputs import (
    ArticleDraft,
    ClusteringResult,
    ClusterInput,
    ContentInput,
    ExistingCluster,
    GeneratedImage,
    IdeasResult,
    ImageMimeType,
    ImagePromptsResult,
    ImageRequest,
    KeywordInput,
    TaskInput,
    TokenUsage,
)
from igny8_tui.ai.prompts import Template, load_templates
from igny8_tui.ai.provider import ProviderError, ProviderFatalError
from igny8_tui.errors import first_validation_error
from igny8_tui.http_retry import BACKOFF_BASE_S, RetryableError, retry_after_s, with_retries
from igny8_tui.redaction import redacted_url
from igny8_tui.settings import Settings

Reply = TypeVar("Reply", bound=BaseModel)
RETRYABLE_STATUS = frozenset({408, 409, 429})
IMAGE_SIZES = {"featured": "1536x1024", "in_article": "1024x1024"}
# Pillow's name for each image format the images endpoint may return.
_MIME_TYPES: dict[str, ImageMimeType] = {"PNG": "image/png", "JPEG": "image/jpeg"}
SCHEMA_NAMES: dict[type[BaseModel], str] = {
    ClusteringResult: "clustering_result",
    IdeasResult: "ideas_result",
    ArticleDraft: "article",
    ImagePromptsResult: "image_prompts_result",
}
_KEPT_SCHEMA_KEYS = {
    "type",
    "properties",
    "items",
    "required",
    "enum",
    "anyOf",
    "$ref",
    "$defs",
    "description",
}


class InvalidReply(Exception):
    """The server answered, but not with valid JSON of the requested shape."""


class SchemaUnsupported(Exception):
    """The server rejected a json_schema response_format: ask with json_object instead."""


class RateGate:
    """After a 429, every request of this provider waits, not only the one that got it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._resume_at = 0.0

    def slow_down(self, seconds: float) -> None:
        with self._lock:
            self._resume_at = max(self._resume_at, time.monotonic() + seconds)

    def wait(self) -> None:
        with self._lock:
            pause = self._resume_at - time.monotonic()
        if pause > 0:
            time.sleep(pause)


def strict_schema(model: type[BaseModel]) -> JsonSchemaValue:
    """The model's JSON schema in OpenAI's strict form: every property required, no extra
    properties, no keywords strict mode rejects (pydantic still validates them all)."""
    return _strict_object(model.model_json_schema())


def _strict_object(node: JsonSchemaValue) -> JsonSchemaValue:
    kept = {k: _strict_node(v) for k, v in node.items() if k in _KEPT_SCHEMA_KEYS}
    if "properties" in node:
        properties = {
            name: _strict_node(prop) for name, prop in node["properties"].items() if name != "usage"
        }
        kept["properties"] = properties
        kept["required"] = list(properties)
        kept["additionalProperties"] = False
    if "$defs" in node:
        kept["$defs"] = {
            name: _strict_node(d) for name, d in node["$defs"].items() if name != "TokenUsage"
        }
    return kept


def _strict_node(node: object) -> object:
    if isinstance(node, dict):
        return _strict_object(node)
    if isinstance(node, list):
        return [_strict_node(item) for item in node]
    return node


def _error_message(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200] or response.reason_phrase


class OpenAICompatibleProvider:
    """Stages 1, 2, 4, 5 and 6 over the OpenAI chat-completions and images APIs."""

    name = "openai"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.model = settings.ai_model
        self.templates: dict[str, Template] = load_templates(settings.prompts_dir)
        self.gate = RateGate()
        self._json_schema_supported = True
        key = settings.ai_api_key.get_secret_value()
        limit = settings.ai_concurrency
        self.client = httpx.Client(
            base_url=settings.ai_base_url.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {key}"} if key else {},
            timeout=httpx.Timeout(settings.ai_timeout_s),
            limits=httpx.Limits(max_connections=limit, max_keepalive_connections=limit),
        )

    def close(self) -> None:
        self.client.close()

    # ----- HTTP with retries -----

    def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        try:
            return with_retries(self.settings.ai_max_retries + 1, self._post_once, path, body)
        except RetryableError as exc:
            attempts = self.settings.ai_max_retries + 1
            raise ProviderError(f"{exc} (gave up after {attempts} attempts)") from None

    def _post_once(self, path: str, body: dict[str, Any]) -> httpx.Response:
        self.gate.wait()
        try:
            response = self.client.post(path, json=body)
        except httpx.TimeoutException:
            raise RetryableError(f"no answer within {self.settings.ai_timeout_s:g}s") from None
        except httpx.TransportError as exc:
            raise RetryableError(f"connection failed: {type(exc).__name__}") from None
        status = response.status_code
        if status in RETRYABLE_STATUS or status >= 500:
            retry_after = retry_after_s(response)
            if status == 429:
                self.gate.slow_down(retry_after if retry_after is not None else BACKOFF_BASE_S)
            raise RetryableError(f"HTTP {status}: {_error_message(response)}", retry_after)
        if status in (401, 403):
            raise ProviderFatalError(
                f"the AI provider at {redacted_url(self.settings.ai_base_url)} refused the API key "
                f"(HTTP {status}): check your API key (IGNY8_AI_API_KEY or OPENAI_API_KEY)",
                "credentials",
            )
        if status == 404:
            raise ProviderFatalError(
                f"the AI provider at {redacted_url(self.settings.ai_base_url)} has no model "
                f"{body.get('model')!r} (HTTP 404): {_error_message(response)}",
                "configuration",
            )
        format_ = body.get("response_format")
        asked_schema = isinstance(format_, dict) and format_.get("type") == "json_schema"
        if status == 400 and asked_schema and "json_schema" in _error_message(response):
            raise SchemaUnsupported()
        if status >= 400:
            raise ProviderError(f"HTTP {status}: {_error_message(response)}")
        return response

    # ----- structured chat replies -----

    def _chat(self, reply_model: type[Reply], prompt: str, data: dict[str, Any]) -> Reply:
        """Ask for one JSON reply of `reply_model`'s shape; ask again when it is not valid."""
        last = ""
        for _ in range(self.settings.ai_invalid_reply_retries + 1):
            try:
                return self._chat_once(reply_model, prompt, data)
            except InvalidReply as exc:
                last = str(exc)
        tries = self.settings.ai_invalid_reply_retries + 1
        raise ProviderError(f"no valid reply after {tries} tries: {last}")

    def _chat_once(self, reply_model: type[Reply], prompt: str, data: dict[str, Any]) -> Reply:
        name = SCHEMA_NAMES[reply_model]
        try:
            response = self._post(
                "chat/completions", self._chat_body(reply_model, name, prompt, data)
            )
        except SchemaUnsupported:
            self._json_schema_supported = False
            response = self._post(
                "chat/completions", self._chat_body(reply_model, name, prompt, data)
            )
        try:
            payload = response.json()
            choice = payload["choices"][0]
            message = choice["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise InvalidReply("the server's answer is not a chat completion") from None
        if message.get("refusal"):
            raise InvalidReply(f"the model refused: {message['refusal']}")
        if choice.get("finish_reason") == "length":
            raise InvalidReply("the reply was cut off (finish_reason: length)")
        try:
            reply = reply_model.model_validate_json(message.get("content") or "")
        except ValidationError as exc:
            where, message_text = first_validation_error(exc, whole="reply")
            raise InvalidReply(f"invalid reply: {where}: {message_text}") from None
        usage = payload.get("usage") or {}
        return reply.model_copy(
            update={
                "usage": TokenUsage(
                    prompt_tokens=int(usage.get("prompt_tokens", 0)),
                    completion_tokens=int(usage.get("completion_tokens", 0)),
                )
            }
        )

    def _chat_body(
        self, reply_model: type[BaseModel], name: str, prompt: str, data: dict[str, Any]
    ) -> dict[str, Any]:
        system = self.templates["system"].render()
        if self._json_schema_supported:
            response_format: dict[str, Any] = {
                "type": "json_schema",
                "json_schema": {"name": name, "strict": True, "schema": strict_schema(reply_model)},
            }
        else:
            schema = json.dumps(strict_schema(reply_model))
            system += f"\nSCHEMA NAME: {name}\nJSON SCHEMA: {schema}"
            response_format = {"type": "json_object"}
        return {
            "model": self.model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": f"{prompt}\n\nINPUT (JSON):\n{json.dumps(data)}"},
            ],
            "response_format": response_format,
            "temperature": 0.7,
        }

    # ----- the five operations -----

    def cluster_keywords(
        self, batch: list[KeywordInput], existing: list[ExistingCluster]
    ) -> ClusteringResult:
        data = {
            "keywords": [{"text": k.text, "volume": k.volume, "intent": k.intent} for k in batch],
            "existing_clusters": [c.model_dump() for c in existing],
        }
        prompt = self.templates["clustering"].render(
            site="the site",
            keywords=", ".join(k.text for k in batch),
            keyword_count=len(batch),
            existing_clusters=", ".join(f"{c.id}: {c.name}" for c in existing) or "none",
        )
        return self._chat(ClusteringResult, prompt, data)

    def ideas_for_cluster(self, cluster: ClusterInput, count: int) -> IdeasResult:
        word_count = self.settings.target_word_count
        keywords = [
            {"text": k.text, "volume": k.volume, "intent": k.intent} for k in cluster.keywords
        ]
        intent = ", ".join(sorted({k.intent for k in cluster.keywords if k.intent})) or "unknown"
        data = {
            "cluster": {
                "name": cluster.name,
                "description": cluster.description,
                "keywords": keywords,
            },
            "count": count,
            "site": cluster.site_name,
            "target_word_count": word_count,
        }
        prompt = self.templates["ideas"].render(
            site=cluster.site_name,
            cluster=cluster.name,
            description=cluster.description,
            keywords=", ".join(k.text for k in cluster.keywords),
            intent=intent,
            count=count,
            word_count=word_count,
        )
        return self._chat(IdeasResult, prompt, data)

    def content_for_task(self, task: TaskInput) -> ArticleDraft:
        fields = ("title", "description", "outline", "target_keywords", "target_word_count")
        data = {
            "task": task.model_dump(include={*fields, "content_type", "content_structure"}),
            "site": task.site_name,
        }
        prompt = self.templates["article"].render(
            site=task.site_name,
            title=task.title,
            description=task.description,
            keywords=", ".join(task.target_keywords),
            outline="\n".join(f"- {heading}" for heading in task.outline),
            word_count=task.target_word_count,
            content_type=task.content_type,
            content_structure=task.content_structure,
        )
        return self._chat(ArticleDraft, prompt, data)

    def image_prompts_for_content(self, content: ContentInput, count: int) -> ImagePromptsResult:
        data = {
            "content": {
                "title": content.title,
                "headings": content.headings,
                "keywords": content.keywords,
            },
            "count": count,
            "site": content.site_name,
        }
        prompt = self.templates["image_prompts"].render(
            site=content.site_name,
            title=content.title,
            headings="; ".join(content.headings),
            keywords=", ".join(content.keywords),
            count=count,
        )
        return self._chat(ImagePromptsResult, prompt, data)

    def generate_image(self, request: ImageRequest) -> GeneratedImage:
        body = {
            "model": self.settings.ai_image_model,
            "prompt": request.prompt,
            "n": 1,
            "size": IMAGE_SIZES[request.kind],
            "response_format": "b64_json",
        }
        response = self._post("images/generations", body)
        try:
            data = base64.b64decode(response.json()["data"][0]["b64_json"], validate=True)
            with PILImage.open(io.BytesIO(data)) as picture:
                picture.verify()
                kind, size = picture.format, picture.size
        except (ValueError, KeyError, IndexError, TypeError, OSError):
            raise ProviderError("the images endpoint did not return a PNG or JPEG image") from None
        if kind not in _MIME_TYPES:
            raise ProviderError(f"the images endpoint returned a {kind} image, not PNG or JPEG")
        mime = _MIME_TYPES[kind]
        return GeneratedImage(data=data, mime_type=mime, width=size[0], height=size[1])
