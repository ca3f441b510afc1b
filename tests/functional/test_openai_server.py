"""The fake OpenAI server speaks the wire format, answers validly and plays its scripted faults."""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from PIL import Image

from igny8_tui.ai.outputs import (
    ArticleDraft,
    ClusteringResult,
    IdeasResult,
    ImagePromptsResult,
)
from tests.conftest import wait_until
from tests.openai_server import (
    ARTICLE_MARKER,
    CLUSTER_MARKER,
    FakeOpenAIServer,
    Fault,
)
from tests.openai_server import fake_openai as fake_openai  # a fixture: `as` marks it used

STRICT_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}},
    "required": ["answer"],
    "additionalProperties": False,
}
CLUSTERING_INPUT = {
    "keywords": [
        {"text": "tomato plant care", "volume": 100, "intent": None},
        {"text": "how to prune tomato plants", "volume": 50, "intent": "informational"},
        {"text": "best running shoes", "volume": 300, "intent": "commercial"},
        {"text": "running shoes for flat feet", "volume": 30, "intent": None},
    ],
    "existing_clusters": [
        {"id": 42, "name": "Tomato plants", "keywords": ["tomato plants", "grow tomato plants"]}
    ],
}
IDEAS_INPUT = {
    "cluster": {
        "name": "running shoes",
        "description": "Shoes for runners.",
        "keywords": [{"text": "best running shoes", "volume": 300, "intent": "commercial"}],
    },
    "count": 3,
    "site": "runs.example",
    "target_word_count": 900,
}
ARTICLE_INPUT = {
    "task": {
        "title": "Best Running Shoes",
        "description": "A round-up.",
        "outline": ["Why fit matters", "Top picks"],
        "target_keywords": ["best running shoes"],
        "target_word_count": 400,
        "content_type": "post",
        "content_structure": "listicle",
    },
    "site": "runs.example",
}
IMAGE_PROMPTS_INPUT = {
    "content": {"title": "Best Running Shoes", "headings": ["Fit"], "keywords": ["shoes"]},
    "count": 3,
    "site": "runs.example",
}
IMAGE_REQUEST = {
    "model": "gpt-image-1",
    "prompt": "a running shoe on a track",
    "n": 1,
    "size": "1536x1024",
    "response_format": "b64_json",
}


def chat_body(
    name: str,
    data: object,
    *,
    json_object: bool = False,
    model: str = "gpt-4o-mini",
    schema: dict[str, Any] = STRICT_SCHEMA,
) -> dict[str, Any]:
    """A chat request as the provider sends it."""
    system = "You write SEO content."
    if json_object:
        response_format: dict[str, Any] = {"type": "json_object"}
        system += f"\nSCHEMA NAME: {name}\nAnswer with JSON only."
    else:
        response_format = {
            "type": "json_schema",
            "json_schema": {"name": name, "strict": True, "schema": schema},
        }
    user = f"Do the task.\nINPUT (JSON):\n{json.dumps(data, indent=2)}"
    return {
        "model": model,
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        "response_format": response_format,
        "temperature": 0.2,
    }


@pytest.fixture
def http(fake_openai: FakeOpenAIServer) -> Iterator[httpx.Client]:
    """One keep-alive client for the test's server (a client per call costs ~40 ms)."""
    with httpx.Client(base_url=fake_openai.base_url, timeout=60) as client:
        yield client


def post_chat(http: httpx.Client, body: dict[str, Any], **kwargs: Any) -> httpx.Response:
    return http.post("/chat/completions", json=body, **kwargs)


def answer_of(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return json.loads(response.json()["choices"][0]["message"]["content"])


def error_of(response: httpx.Response) -> dict[str, Any]:
    return response.json()["error"]


# ----- default answers -----


def test_clustering_answer_groups_every_keyword_and_joins_existing_clusters(
    fake_openai: FakeOpenAIServer, http: httpx.Client
) -> None:
    answer = answer_of(post_chat(http, chat_body("clustering_result", CLUSTERING_INPUT)))

    result = ClusteringResult.model_validate(answer)
    texts = sorted(k for cluster in result.clusters for k in cluster.keywords)
    assert texts == sorted(k["text"] for k in CLUSTERING_INPUT["keywords"])
    assert all(c.description.endswith(CLUSTER_MARKER) for c in result.clusters)
    tomato = next(c for c in result.clusters if "tomato plant care" in c.keywords)
    shoes = next(c for c in result.clusters if "best running shoes" in c.keywords)
    assert (tomato.existing_cluster_id, shoes.existing_cluster_id) == (42, None)


def test_ideas_answer_has_the_requested_count_and_word_count(
    fake_openai: FakeOpenAIServer, http: httpx.Client
) -> None:
    answer = answer_of(post_chat(http, chat_body("ideas_result", IDEAS_INPUT)))

    ideas = IdeasResult.model_validate(answer).ideas
    assert len(ideas) == 3
    assert {idea.target_word_count for idea in ideas} == {900}
    assert set(answer["ideas"][0]) == {
        "title",
        "description",
        "content_type",
        "content_structure",
        "outline",
        "target_keywords",
        "target_word_count",
    }


def test_article_answer_carries_the_marker_after_its_first_paragraph(
    fake_openai: FakeOpenAIServer, http: httpx.Client
) -> None:
    answer = answer_of(post_chat(http, chat_body("article", ARTICLE_INPUT)))

    article = ArticleDraft.model_validate(answer)
    assert set(answer) == {"title", "html", "meta_title", "meta_description"}
    assert article.title == "Best Running Shoes"
    first_paragraph_end = article.html.index("</p>") + len("</p>")
    assert article.html[first_paragraph_end:].lstrip().startswith(ARTICLE_MARKER)
    assert "<h2>Why fit matters</h2>" in article.html


def test_image_prompts_answer_starts_with_the_featured_prompt(
    fake_openai: FakeOpenAIServer, http: httpx.Client
) -> None:
    answer = answer_of(post_chat(http, chat_body("image_prompts_result", IMAGE_PROMPTS_INPUT)))

    prompts = ImagePromptsResult.model_validate(answer).prompts
    assert [p.kind for p in prompts] == ["featured", "in_article", "in_article"]


def test_json_object_requests_name_their_schema_in_the_system_message(
    fake_openai: FakeOpenAIServer, http: httpx.Client
) -> None:
    body = chat_body("ideas_result", IDEAS_INPUT, json_object=True)

    IdeasResult.model_validate(answer_of(post_chat(http, body)))
    assert fake_openai.requests[0].schema_name == "ideas_result"


def test_chat_completion_envelope_echoes_the_model_and_counts_tokens_deterministically(
    fake_openai: FakeOpenAIServer, http: httpx.Client
) -> None:
    body = chat_body("image_prompts_result", IMAGE_PROMPTS_INPUT, model="my-local-model")
    first, second = post_chat(http, body).json(), post_chat(http, body).json()

    assert first["object"] == "chat.completion"
    assert first["id"].startswith("chatcmpl-") and first["id"] != second["id"]
    assert first["model"] == "my-local-model"
    choice = first["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    assert choice["message"]["refusal"] is None
    usage = first["usage"]
    assert usage == second["usage"]
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_image_generation_returns_a_png_that_depends_on_the_prompt(
    fake_openai: FakeOpenAIServer, http: httpx.Client
) -> None:
    first = http.post("/images/generations", json=IMAGE_REQUEST).json()
    other = http.post("/images/generations", json=IMAGE_REQUEST | {"prompt": "a tomato"}).json()

    png = base64.b64decode(first["data"][0]["b64_json"])
    image = Image.open(io.BytesIO(png))
    assert (image.format, image.size) == ("PNG", (64, 40))
    assert isinstance(first["created"], int)
    assert other["data"][0]["b64_json"] != first["data"][0]["b64_json"]


def test_models_lists_the_known_models(fake_openai: FakeOpenAIServer, http: httpx.Client) -> None:
    fake_openai.model_ids = {"gpt-4o-mini", "gpt-4o"}

    listing = http.get("/models").json()

    assert listing["object"] == "list"
    assert [(m["id"], m["object"]) for m in listing["data"]] == [
        ("gpt-4o", "model"),
        ("gpt-4o-mini", "model"),
    ]


def test_bad_input_is_refused_with_a_message_naming_the_problem(
    fake_openai: FakeOpenAIServer, http: httpx.Client
) -> None:
    response = post_chat(http, chat_body("article", {"task": {"title": "x"}}))

    assert response.status_code == 400
    assert "INPUT does not fit 'article'" in error_of(response)["message"]


def test_a_strict_schema_missing_a_required_key_is_refused_like_openai(
    fake_openai: FakeOpenAIServer, http: httpx.Client
) -> None:
    loose = STRICT_SCHEMA | {"required": []}

    response = post_chat(http, chat_body("article", ARTICLE_INPUT, schema=loose))

    assert response.status_code == 400
    assert "Missing 'answer'" in error_of(response)["message"]


# ----- scripted faults -----


def test_429_carries_retry_after_and_the_next_request_gets_the_default_answer(
    fake_openai: FakeOpenAIServer, http: httpx.Client
) -> None:
    fake_openai.script(Fault(status=429, retry_after=1.5), endpoint="chat")
    body = chat_body("article", ARTICLE_INPUT)

    limited, answered = post_chat(http, body), post_chat(http, body)

    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1.5"
    assert error_of(limited)["code"] == "rate_limit_exceeded"
    assert ARTICLE_MARKER in answer_of(answered)["html"]
    assert fake_openai.pending_faults == 0


def test_500_is_a_server_error_without_retry_after(
    fake_openai: FakeOpenAIServer, http: httpx.Client
) -> None:
    fake_openai.script(Fault(status=500))

    response = post_chat(http, chat_body("article", ARTICLE_INPUT))

    assert response.status_code == 500
    assert error_of(response)["type"] == "server_error"
    assert "Retry-After" not in response.headers


def test_faults_are_taken_in_order_by_their_endpoint_only(
    fake_openai: FakeOpenAIServer, http: httpx.Client
) -> None:
    fake_openai.script(Fault(status=503), endpoint="images")
    fake_openai.script(Fault(status=502), Fault(status=500), endpoint="chat")
    body = chat_body("article", ARTICLE_INPUT)

    chat_statuses = [post_chat(http, body).status_code for _ in range(3)]
    image = http.post("/images/generations", json=IMAGE_REQUEST)

    assert chat_statuses == [502, 500, 200]
    assert image.status_code == 503


def test_delay_slows_a_normal_answer_enough_to_time_a_client_out(
    fake_openai: FakeOpenAIServer, http: httpx.Client
) -> None:
    fake_openai.script(Fault(delay_s=0.3), Fault(delay_s=0.5), endpoint="chat")
    body = chat_body("article", ARTICLE_INPUT)

    started = time.monotonic()
    answer = answer_of(post_chat(http, body))
    elapsed = time.monotonic() - started
    with pytest.raises(httpx.ReadTimeout):
        post_chat(http, body, timeout=0.1)

    assert elapsed >= 0.3
    assert ARTICLE_MARKER in answer["html"]


def test_drop_closes_the_connection_without_a_response(
    fake_openai: FakeOpenAIServer, http: httpx.Client
) -> None:
    fake_openai.script(Fault(drop=True))

    with pytest.raises(httpx.RemoteProtocolError):
        post_chat(http, chat_body("article", ARTICLE_INPUT))
    assert fake_openai.requests[0].status is None


def test_raw_body_is_sent_verbatim_with_status_200(
    fake_openai: FakeOpenAIServer, http: httpx.Client
) -> None:
    fake_openai.script(Fault(raw_body="<html>Bad gateway</html>"))

    response = post_chat(http, chat_body("article", ARTICLE_INPUT))

    assert (response.status_code, response.text) == (200, "<html>Bad gateway</html>")


def test_content_replaces_the_answer(fake_openai: FakeOpenAIServer, http: httpx.Client) -> None:
    fake_openai.script(Fault(content='{"title": "half'))

    response = post_chat(http, chat_body("article", ARTICLE_INPUT))

    message = response.json()["choices"][0]["message"]
    assert message["content"] == '{"title": "half'


def test_refusal_comes_with_null_content(fake_openai: FakeOpenAIServer, http: httpx.Client) -> None:
    fake_openai.script(Fault(refusal="I can't help with that."))

    response = post_chat(http, chat_body("article", ARTICLE_INPUT))

    message = response.json()["choices"][0]["message"]
    assert (message["content"], message["refusal"]) == (None, "I can't help with that.")


def test_finish_reason_length_truncates_the_default_answer(
    fake_openai: FakeOpenAIServer, http: httpx.Client
) -> None:
    fake_openai.script(Fault(finish_reason="length"))

    choice = post_chat(http, chat_body("article", ARTICLE_INPUT)).json()["choices"][0]

    assert choice["finish_reason"] == "length"
    assert choice["message"]["content"].startswith('{"title": "Best Running Shoes"')
    with pytest.raises(json.JSONDecodeError):
        json.loads(choice["message"]["content"])


def test_reject_json_schema_refuses_json_schema_but_not_json_object(
    fake_openai: FakeOpenAIServer, http: httpx.Client
) -> None:
    fake_openai.script(Fault(reject_json_schema=True), Fault(reject_json_schema=True))

    rejected = post_chat(http, chat_body("article", ARTICLE_INPUT))
    fallback = post_chat(http, chat_body("article", ARTICLE_INPUT, json_object=True))

    assert rejected.status_code == 400
    assert error_of(rejected) == {
        "message": "response_format json_schema is not supported by this model",
        "type": "invalid_request_error",
        "param": None,
        "code": "unsupported_response_format",
    }
    assert ARTICLE_MARKER in answer_of(fallback)["html"]


def test_api_key_is_required_when_set_and_never_recorded(
    fake_openai: FakeOpenAIServer, http: httpx.Client
) -> None:
    key = fake_openai.api_key = "sk-test-secret-123"
    body = chat_body("article", ARTICLE_INPUT)

    missing = post_chat(http, body)
    wrong = post_chat(http, body, headers={"Authorization": "Bearer sk-other"})
    right = post_chat(http, body, headers={"Authorization": f"Bearer {key}"})

    assert (missing.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert error_of(missing)["code"] == "invalid_api_key"
    assert error_of(missing)["message"] == "Incorrect API key provided"
    assert [r.authorization_present for r in fake_openai.requests] == [False, True, True]
    assert [r.status for r in fake_openai.requests] == [401, 401, 200]
    assert key not in repr(fake_openai.requests)


def test_an_unknown_model_is_not_found(fake_openai: FakeOpenAIServer, http: httpx.Client) -> None:
    fake_openai.model_ids = {"gpt-4o-mini"}

    response = post_chat(http, chat_body("article", ARTICLE_INPUT, model="gpt-9"))

    assert response.status_code == 404
    assert error_of(response)["message"] == "The model `gpt-9` does not exist"
    assert error_of(response)["code"] == "model_not_found"


# ----- observability and lifecycle -----


def test_four_concurrent_slow_requests_are_all_in_flight_at_once(
    fake_openai: FakeOpenAIServer, http: httpx.Client
) -> None:
    fake_openai.latency_s = 0.4
    release = threading.Event()
    fake_openai.script(*[Fault(hold_until=release)] * 4)
    body = chat_body("image_prompts_result", IMAGE_PROMPTS_INPUT)

    with ThreadPoolExecutor(4) as pool:
        calls = [pool.submit(lambda: post_chat(http, body).status_code) for _ in range(4)]
        wait_until(lambda: len(fake_openai.requests) == 4, what="four requests")
        release.set()
        statuses = [call.result() for call in calls]

    assert statuses == [200] * 4
    assert (fake_openai.max_in_flight, fake_openai.max_connections) == (4, 4)
    for record in fake_openai.requests:
        assert record.ended_at is not None and record.ended_at - record.started_at >= 0.4


def test_sequential_calls_reuse_one_connection_and_never_overlap(
    fake_openai: FakeOpenAIServer, http: httpx.Client
) -> None:
    for _ in range(3):
        http.get("/models").raise_for_status()

    assert (fake_openai.max_connections, fake_openai.max_in_flight) == (1, 1)
    assert [r.endpoint for r in fake_openai.requests] == ["models"] * 3


def test_hold_until_keeps_a_request_in_flight_until_released(
    fake_openai: FakeOpenAIServer, http: httpx.Client
) -> None:
    release = threading.Event()
    fake_openai.script(Fault(hold_until=release))
    with ThreadPoolExecutor(1) as pool:
        call = pool.submit(post_chat, http, chat_body("article", ARTICLE_INPUT))
        wait_until(lambda: fake_openai.requests, what="the request")
        held = fake_openai.requests[0]

        assert (held.ended_at, call.done()) == (None, False)
        release.set()
        answer = answer_of(call.result())

    assert held.ended_at is not None and held.status == 200
    assert ARTICLE_MARKER in answer["html"]


# Far longer than any stop may take: a stop that waited for it could not pass the test.
SLEEP_LONGER_THAN_ANY_STOP_S = 300.0


def test_stop_does_not_wait_for_a_sleeping_request() -> None:
    server = FakeOpenAIServer().start()
    server.script(Fault(delay_s=SLEEP_LONGER_THAN_ANY_STOP_S))
    errors: list[Exception] = []

    def call() -> None:
        try:
            httpx.post(
                f"{server.base_url}/chat/completions",
                json={},
                timeout=SLEEP_LONGER_THAN_ANY_STOP_S,
            )
        except httpx.HTTPError as error:
            errors.append(error)

    caller = threading.Thread(target=call)
    caller.start()
    wait_until(lambda: server.requests, what="the request")
    started = time.monotonic()
    server.stop()
    caller.join(SLEEP_LONGER_THAN_ANY_STOP_S / 5)

    assert server.requests[0].status is None
    assert time.monotonic() - started < SLEEP_LONGER_THAN_ANY_STOP_S / 5
    assert not caller.is_alive(), "the request still waits: stop left its connection open"
    assert len(errors) == 1 and not isinstance(errors[0], httpx.TimeoutException)
