"""The OpenAI-compatible provider against a real HTTP server on 127.0.0.1 speaking the OpenAI
wire format (tests/openai_server.py), with scripted faults. Every test checks the outcome in the
database: items done, items failed with reasons, credits charged only for validated replies."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from igny8_tui.automation.credits import ledger_sum_milli
from igny8_tui.automation.executor import RunOutcome
from igny8_tui.db.models import Account, ActivityLog, Cluster, Content, CreditLedger, Task
from igny8_tui.runtime import Runtime
from igny8_tui.schemas import ConfigUpdate
from tests.conftest import DEMO_CSV, invoke_igny8, wait_until
from tests.openai_server import FakeOpenAIServer, Fault
from tests.openai_server import fake_openai as fake_openai

API_KEY = "sk-test-7f3a9c-do-not-leak"
FIVE_KEYWORDS = "\n".join(DEMO_CSV.read_text().splitlines()[:6]) + "\n"  # one topic


# Requests time out after this unless a test says otherwise: far longer than any answer of the
# test server takes, even on a busy machine, so only a scripted delay times out.
TIMEOUT_S = "60"
# The timeout test's own: a delayed answer takes this much longer than the timeout.
SHORT_TIMEOUT_S = 5.0
DELAY_PAST_THE_TIMEOUT_S = 60.0


def ai_env(server: FakeOpenAIServer, **extra: str) -> dict[str, str]:
    env = {
        "IGNY8_AI_PROVIDER": "openai",
        "IGNY8_AI_BASE_URL": server.base_url,
        "IGNY8_AI_API_KEY": API_KEY,
        "IGNY8_AI_MODEL": "gpt-test",
        "IGNY8_AI_TIMEOUT_S": TIMEOUT_S,
        "IGNY8_AI_MAX_RETRIES": "2",
        "IGNY8_AI_CONCURRENCY": "1",
    }
    return env | extra


RuntimeFactory = Callable[..., Runtime]


@pytest.fixture
def ai_runtime_with(
    home: Path, fake_openai: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> RuntimeFactory:
    """A runtime pointed at the fake server, with extra IGNY8_* settings."""

    def make(**extra: str) -> Runtime:
        for name, value in ai_env(fake_openai, **extra).items():
            monkeypatch.setenv(name, value)
        return Runtime.load(home, None, actor="test")

    return make


@pytest.fixture
def ai_runtime(ai_runtime_with: RuntimeFactory) -> Runtime:
    return ai_runtime_with()


def small_site(rt: Runtime, keywords: str = FIVE_KEYWORDS, images: bool = False) -> int:
    """Five keywords of one topic: 1 clustering call, 1 ideas call, 3 articles (with images:
    3 prompt calls and 15 images)."""
    csv = rt.settings.home / "five.csv"
    csv.write_text(keywords)
    site = rt.workspace.add_site("green-thumb")
    rt.workspace.import_keywords(site.id, csv)
    rt.workspace.add_credits(5000)
    if not images:
        rt.service.update_config(site.id, ConfigUpdate(skip_stage_5=True, skip_stage_6=True))
    return site.id


def execute(rt: Runtime, site_id: int) -> tuple[int, RunOutcome]:
    run_id = rt.service.run_now(site_id).run_id
    return run_id, rt.executor(run_id, threading.Event()).execute()


def charges(rt: Runtime, stage: int) -> list[int]:
    with rt.db.read() as s:
        return list(s.scalars(select(CreditLedger.amount_milli).where(CreditLedger.stage == stage)))


def balance_is_ledger(rt: Runtime) -> bool:
    with rt.db.read() as s:
        account = s.scalars(select(Account)).one()
        return account.balance_milli == ledger_sum_milli(s, account.id)


def chat_requests(server: FakeOpenAIServer) -> list:
    return [r for r in server.requests if r.endpoint == "chat"]


def test_a_whole_pipeline_of_150_keywords_completes_against_the_server(
    ai_runtime: Runtime, fake_openai: FakeOpenAIServer
) -> None:
    ai_runtime.workspace.import_keywords(ai_runtime.workspace.add_site("gt").id, DEMO_CSV)
    ai_runtime.workspace.add_credits(5000)
    _, outcome = execute(ai_runtime, 1)
    assert outcome is RunOutcome.COMPLETED
    with ai_runtime.db.read() as s:
        contents = s.scalars(select(Content)).all()
        clusters = s.scalars(select(Cluster)).all()
    assert len(clusters) == 12 and all(c.description.endswith("(fake server)") for c in clusters)
    assert len(contents) == 36 and {c.status for c in contents} == {"published"}
    for content in contents:
        assert "Written by the fake OpenAI server." in Path(content.published_path).read_text()
    images = [r for r in fake_openai.requests if r.endpoint == "images"]
    assert len(images) == 180
    assert {r.schema_name for r in chat_requests(fake_openai)} == {
        "clustering_result",
        "ideas_result",
        "article",
        "image_prompts_result",
    }
    assert all(r.authorization_present for r in fake_openai.requests)
    assert balance_is_ledger(ai_runtime)


@pytest.mark.parametrize(
    "fault",
    [
        Fault(status=429, retry_after=0.3),
        Fault(status=500),
        Fault(delay_s=DELAY_PAST_THE_TIMEOUT_S),
        Fault(drop=True),
    ],
    ids=["429-retry-after", "500", "timeout", "dropped-connection"],
)
def test_transient_faults_are_retried_and_the_item_is_done_and_charged_once(
    ai_runtime_with: RuntimeFactory, fake_openai: FakeOpenAIServer, fault: Fault
) -> None:
    timeout = {"IGNY8_AI_TIMEOUT_S": str(SHORT_TIMEOUT_S)} if fault.delay_s else {}
    rt = ai_runtime_with(**timeout)
    site_id = small_site(rt)
    fake_openai.script(fault, endpoint="chat")
    _, outcome = execute(rt, site_id)
    assert outcome is RunOutcome.COMPLETED
    assert charges(rt, 1) == [-15_000], "the clustering batch is charged once"
    first, second = chat_requests(fake_openai)[:2]
    assert first.schema_name == second.schema_name == "clustering_result"
    if fault.retry_after:
        assert second.started_at - first.ended_at >= fault.retry_after * 0.95
    with rt.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Content)) == 3
    assert balance_is_ledger(rt)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault(content="{not json"), "invalid reply: reply: Invalid JSON"),
        (Fault(content='{"title": "x"}'), "invalid reply: html: Field required"),
        (Fault(refusal="I can't help with that."), "the model refused: I can't help with that."),
        (Fault(finish_reason="length"), "the reply was cut off (finish_reason: length)"),
    ],
    ids=["malformed-json", "schema-invalid", "refusal", "cut-off"],
)
def test_a_bad_reply_is_asked_again_then_the_item_fails_with_the_reason_and_the_run_goes_on(
    ai_runtime: Runtime, fake_openai: FakeOpenAIServer, fault: Fault, reason: str
) -> None:
    site_id = small_site(ai_runtime)
    # clustering and ideas answer normally; the first article gets a bad reply three times.
    fake_openai.script(Fault(), Fault(), fault, fault, fault, endpoint="chat")
    run_id, outcome = execute(ai_runtime, site_id)
    assert outcome is RunOutcome.COMPLETED
    progress = ai_runtime.service.run_progress(site_id, run_id)
    assert progress is not None
    stage_4 = progress.stages[3].result or {}
    assert (stage_4["tasks_processed"], stage_4["content_created"]) == (3, 2)
    assert stage_4["items_failed"] == 1 and stage_4["partial"] is True
    assert reason in stage_4["errors"][0] and "no valid reply after 3 tries" in stage_4["errors"][0]
    with ai_runtime.db.read() as s:
        failed = s.scalars(select(Task).where(Task.status == "failed")).one()
        logged = s.scalars(select(ActivityLog.message).where(ActivityLog.level == "ERROR")).all()
    assert reason in (failed.error or "")
    assert any(reason in line for line in logged)
    assert len(charges(ai_runtime, 4)) == 2, "only validated articles are charged"
    assert balance_is_ledger(ai_runtime)


def test_a_stage_whose_items_all_fail_fails_the_run_with_the_reason(
    ai_runtime: Runtime, fake_openai: FakeOpenAIServer
) -> None:
    site_id = small_site(ai_runtime)
    fake_openai.script(*[Fault(content="[]")] * 3, endpoint="chat")
    _run_id, outcome = execute(ai_runtime, site_id)
    assert outcome is RunOutcome.FAILED
    run = ai_runtime.service.history(site_id)[0]
    assert run.status == "failed"
    assert run.error_message is not None and "stage 1: all 5" in run.error_message
    assert charges(ai_runtime, 1) == []


def test_a_refused_api_key_pauses_the_run_at_once_with_check_your_api_key(
    ai_runtime: Runtime, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.api_key = "sk-a-different-key"
    site_id = small_site(ai_runtime)
    _, outcome = execute(ai_runtime, site_id)
    assert outcome is RunOutcome.PAUSED
    run = ai_runtime.service.history(site_id)[0]
    assert run.status == "paused" and run.pause_cause == "credentials"
    assert "check your API key" in (run.pause_reason or "")
    assert API_KEY not in (run.pause_reason or "")
    assert len(chat_requests(fake_openai)) == 1, "a 401 is not retried"
    assert charges(ai_runtime, 1) == []

    # The operator fixes the key and resumes: the run goes on from where it paused.
    fake_openai.api_key = API_KEY
    ai_runtime.service.resume(site_id)
    assert ai_runtime.executor(run.run_id, threading.Event()).execute() is RunOutcome.COMPLETED


def test_an_unknown_model_pauses_the_run_naming_the_model(
    ai_runtime: Runtime, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.model_ids = {"some-other-model"}
    site_id = small_site(ai_runtime)
    _, outcome = execute(ai_runtime, site_id)
    assert outcome is RunOutcome.PAUSED
    run = ai_runtime.service.history(site_id)[0]
    assert run.pause_cause == "configuration"
    assert "has no model 'gpt-test' (HTTP 404)" in (run.pause_reason or "")


def test_a_server_without_json_schema_gets_json_object_with_the_schema_in_the_prompt(
    ai_runtime: Runtime, fake_openai: FakeOpenAIServer
) -> None:
    site_id = small_site(ai_runtime)
    fake_openai.script(Fault(reject_json_schema=True), endpoint="chat")
    _, outcome = execute(ai_runtime, site_id)
    assert outcome is RunOutcome.COMPLETED
    formats = [r.body["response_format"]["type"] for r in chat_requests(fake_openai)]
    assert formats[0] == "json_schema" and set(formats[1:]) == {"json_object"}
    system = chat_requests(fake_openai)[1].body["messages"][0]["content"]
    assert "SCHEMA NAME: clustering_result" in system


def _images_in_flight(server: FakeOpenAIServer) -> int:
    return sum(1 for r in server.requests if r.endpoint == "images" and r.ended_at is None)


def _set_when(event: threading.Event, condition: Callable[[], bool], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    event.set()


def test_items_run_concurrently_up_to_the_limit_with_that_many_connections(
    ai_runtime_with: RuntimeFactory, fake_openai: FakeOpenAIServer
) -> None:
    rt = ai_runtime_with(IGNY8_AI_CONCURRENCY="3")
    site_id = small_site(rt, images=True)
    fake_openai.latency_s = 0.15
    # The first images wait until three are in flight (or a minute has passed: then the test
    # fails on max_in_flight), so a busy machine cannot keep the three from overlapping.
    release = threading.Event()
    fake_openai.script(*[Fault(hold_until=release)] * 3, endpoint="images")
    threading.Thread(
        target=_set_when, args=(release, lambda: _images_in_flight(fake_openai) >= 3), daemon=True
    ).start()
    _, outcome = execute(rt, site_id)
    assert outcome is RunOutcome.COMPLETED
    assert fake_openai.max_in_flight == 3
    assert fake_openai.max_connections <= 3
    assert len(charges(rt, 6)) == 15 and balance_is_ledger(rt)


RETRY_AFTER_S = 2.0
# The two requests in flight beside the one that gets the 429 are answered this much later: by
# then the provider has long read the 429 (even on a busy machine), and their next requests
# must wait for its Retry-After.
HELD_S = 1.0


def test_a_429_slows_every_request_not_only_the_one_that_got_it(
    ai_runtime_with: RuntimeFactory, fake_openai: FakeOpenAIServer
) -> None:
    rt = ai_runtime_with(IGNY8_AI_CONCURRENCY="3")
    site_id = small_site(rt, images=True)
    fake_openai.script(
        Fault(status=429, retry_after=RETRY_AFTER_S),
        *[Fault(delay_s=HELD_S)] * 2,
        endpoint="images",
    )
    _, outcome = execute(rt, site_id)
    assert outcome is RunOutcome.COMPLETED
    images = [r for r in fake_openai.requests if r.endpoint == "images"]
    limited = next(r for r in images if r.status == 429)
    beside_it = [r for r in images if r.fault is not None and r.fault.delay_s]
    later = [r for r in images if r.fault is None]
    assert len(beside_it) == 2 and len(later) == 13
    assert all(r.started_at >= limited.ended_at + 0.95 * RETRY_AFTER_S for r in later)
    assert len(charges(rt, 6)) == 15


def test_token_billing_charges_from_the_usage_the_server_reports(
    ai_runtime_with: RuntimeFactory, fake_openai: FakeOpenAIServer
) -> None:
    rt = ai_runtime_with(IGNY8_CREDIT_MODE="tokens")
    site_id = small_site(rt)
    _, outcome = execute(rt, site_id)
    assert outcome is RunOutcome.COMPLETED
    usage = {
        r.schema_name: json.loads(r.response_body)["usage"]["total_tokens"]
        for r in chat_requests(fake_openai)
        if r.schema_name in ("clustering_result", "ideas_result")
    }
    assert charges(rt, 1) == [-max(2, -(-usage["clustering_result"] // 150)) * 1000]
    assert charges(rt, 2) == [-max(1, -(-usage["ideas_result"] // 200)) * 1000]
    assert all(amount <= -3000 for amount in charges(rt, 4))


def test_prompt_templates_can_be_overridden_and_a_bad_override_is_named(
    ai_runtime: Runtime, fake_openai: FakeOpenAIServer
) -> None:
    prompts = ai_runtime.settings.prompts_dir
    prompts.mkdir(parents=True)
    (prompts / "clustering.txt").write_text("Group these for {site}: {keywords}. HOUSE STYLE 42.")
    site_id = small_site(ai_runtime)
    _, outcome = execute(ai_runtime, site_id)
    assert outcome is RunOutcome.COMPLETED
    first = chat_requests(fake_openai)[0]
    assert "HOUSE STYLE 42." in first.body["messages"][1]["content"]
    listed = json.loads(invoke_igny8(ai_runtime.settings.home, "prompts", "--json").stdout)
    sources = {t["name"]: t["source"] for t in listed["templates"]}
    assert sources["clustering"] == str(prompts / "clustering.txt")
    assert sources["article"] == "default"
    (prompts / "ideas.txt").write_text("Ideas for {cluster} in {colour}")
    refused = invoke_igny8(ai_runtime.settings.home, "prompts")
    assert refused.returncode == 2
    assert f"{prompts / 'ideas.txt'}: unknown field {{colour}}" in refused.stderr


def test_ai_check_reports_the_model_and_latency_and_a_bad_key_plainly(
    home: Path, fake_openai: FakeOpenAIServer
) -> None:
    env = ai_env(fake_openai)
    ok = invoke_igny8(home, "ai", "check", "--json", **env)
    assert ok.returncode == 0, ok.stderr
    report = json.loads(ok.stdout)
    assert (report["ok"], report["model"], report["base_url"]) == (
        True,
        "gpt-test",
        env["IGNY8_AI_BASE_URL"],
    )
    assert report["latency_ms"] > 0
    fake_openai.api_key = "sk-another"
    bad = invoke_igny8(home, "ai", "check", **env)
    assert bad.returncode == 1
    assert "NOT OK · HTTP 401: check your API key" in bad.stdout
    assert API_KEY not in bad.stdout + bad.stderr


def test_the_api_key_never_reaches_the_database_logs_or_config_show(
    ai_runtime: Runtime, fake_openai: FakeOpenAIServer
) -> None:
    site_id = small_site(ai_runtime)
    fake_openai.script(Fault(status=500), Fault(status=401), endpoint="chat")
    execute(ai_runtime, site_id)
    home = ai_runtime.settings.home
    shown = invoke_igny8(home, "config", "show", "--site", "1", "--json", **ai_env(fake_openai))
    assert json.loads(shown.stdout)["ai"]["api_key"] == "set"
    ai_runtime.db.dispose()
    stored = b"".join(p.read_bytes() for p in home.glob("igny8.db*"))
    assert API_KEY.encode() not in stored
    logs = invoke_igny8(home, "logs", "--site", "1", "--lines", "1000").stdout
    assert API_KEY not in logs + shown.stdout


def test_clustering_matches_keywords_case_insensitively_ignores_invented_and_retries_forgotten(
    ai_runtime: Runtime, fake_openai: FakeOpenAIServer
) -> None:
    site_id = small_site(ai_runtime)
    texts = [line.split(",")[0] for line in FIVE_KEYWORDS.splitlines()[1:]]
    reply = {
        "clusters": [
            {
                "name": "Raised garden beds",
                "description": "beds",
                "keywords": [t.upper() for t in texts[:3]] + ["an invented keyword"],
                "existing_cluster_id": None,
            }
        ]
    }
    fake_openai.script(Fault(content=json.dumps(reply)), endpoint="chat")
    run_id, outcome = execute(ai_runtime, site_id)
    assert outcome is RunOutcome.COMPLETED
    listed = ai_runtime.workspace.keywords(site_id)
    assert {k.keyword for k in listed} == set(texts), "no invented keyword was stored"
    assert all(k.status == "mapped" for k in listed)
    clustering = [r for r in chat_requests(fake_openai) if r.schema_name == "clustering_result"]
    prompt = clustering[1].body["messages"][1]["content"]
    second_batch = [k["text"] for k in json.loads(prompt.split("INPUT (JSON):\n")[1])["keywords"]]
    assert sorted(second_batch) == sorted(texts[3:]), "the forgotten ones were offered again"
    assert len(charges(ai_runtime, 1)) == 2
    result = ai_runtime.service.run_progress(site_id, run_id).stages[0].result or {}  # type: ignore[union-attr]
    assert result["keywords_processed"] == 5


def test_pause_lets_the_items_in_hand_finish_and_commit(
    ai_runtime_with: RuntimeFactory, fake_openai: FakeOpenAIServer
) -> None:
    rt = ai_runtime_with(IGNY8_AI_CONCURRENCY="3")
    site_id = small_site(rt, images=True)
    # The first three images are answered at once; the others wait until the pause is asked
    # for, so it always lands with items in hand.
    release = threading.Event()
    fake_openai.script(*[Fault()] * 3, *[Fault(hold_until=release)] * 12, endpoint="images")
    run_id = rt.service.run_now(site_id).run_id
    outcome: list[RunOutcome] = []
    worker = threading.Thread(
        target=lambda: outcome.append(rt.executor(run_id, threading.Event()).execute())
    )
    worker.start()

    def images_in_hand() -> bool:
        stage_6 = rt.service.run_progress(site_id, run_id).stages[5]  # type: ignore[union-attr]
        started = [r for r in fake_openai.requests if r.endpoint == "images"]
        return stage_6.processed_count >= 3 and len(started) > stage_6.processed_count

    wait_until(images_in_hand, timeout_s=120, what="images in hand after three done")
    rt.service.pause(site_id)
    release.set()
    worker.join(120)
    assert outcome == [RunOutcome.PAUSED]
    started = [r for r in fake_openai.requests if r.endpoint == "images"]
    stage_6 = rt.service.run_progress(site_id, run_id).stages[5]  # type: ignore[union-attr]
    assert stage_6.processed_count == len(started), "every image started was committed"
    assert len(charges(rt, 6)) == len(started) < 15
    rt.service.resume(site_id)
    assert rt.executor(run_id, threading.Event()).execute() is RunOutcome.COMPLETED
    assert len(charges(rt, 6)) == 15 and balance_is_ledger(rt)
