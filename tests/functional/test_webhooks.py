"""Signed webhooks from the event outbox, against a real receiver on 127.0.0.1 that verifies every
signature with the `standardwebhooks` package (tests/webhook_receiver.py)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

import pytest

from igny8_tui.runtime import RunOutcome, Runtime
from tests.conftest import DEMO_CSV, demo_site, invoke_igny8, start_igny8, wait_until
from tests.webhook_receiver import webhook_receiver

SITE = "green-thumb"
# Retries after 5 ms, 0.3 s, 1.8 s, ... instead of 5 s, 5 min, 30 min.
FAST_RETRIES = {"IGNY8_EVENT_RETRY_SCALE": "0.001"}


def add_webhook(home: Path, url: str, *args: str) -> tuple[int, str]:
    added = invoke_igny8(home, "webhook", "add", url, *args, "--json")
    assert added.returncode == 0, added.stderr
    document = json.loads(added.stdout)
    return int(document["webhook"]["id"]), str(document["secret"])


def deliveries(home: Path, *args: str) -> list[dict[str, object]]:
    listed = invoke_igny8(home, "events", *args, "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert isinstance(rows, list)
    return rows


def test_a_run_sends_signed_events_retried_with_the_same_id_until_accepted(
    home: Path, runtime: Runtime
) -> None:
    demo_site(runtime, SITE, small=True)
    runtime.db.dispose()
    with webhook_receiver(fail_first=2) as receiver:
        _, receiver.secret = add_webhook(
            home, receiver.url, "--events", "run.started,run.completed,content.published"
        )
        ran = invoke_igny8(home, "run", "--site", SITE, **FAST_RETRIES)
        assert ran.returncode == 0, ran.stderr
        # `igny8 run` made the first attempts before it exited; a daemon makes the retries.
        daemon = start_igny8(home, "daemon", **FAST_RETRIES)
        try:
            wait_until(
                lambda: len(receiver.delivered()) == 8,  # started, completed, 6 published
                timeout_s=120,
                what="every event delivered",
            )
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(60)
    assert all(r.verified for r in receiver.requests), "a signature did not verify"
    completed = receiver.of_type("run.completed")
    assert len({r.webhook_id for r in completed}) == 1, "one event, one webhook-id"
    assert [r.answered for r in completed] == [500, 500, 200]
    assert completed[-1].body["data"]["status"] == "completed"
    assert completed[-1].body["data"]["stage_results"]["7"]["published"] == 6
    published = receiver.of_type("content.published")
    assert len({r.webhook_id for r in published}) == 6
    article = published[-1].body["data"]
    assert article["html"].startswith("<") and article["images"] and article["location"]
    shown = [row for row in deliveries(home) if row["channel"] == "webhook"]
    assert {row["status"] for row in shown} == {"delivered"}
    assert {row["attempts"] for row in shown} == {3}


def test_410_disables_the_endpoint_and_the_list_says_so(home: Path, runtime: Runtime) -> None:
    demo_site(runtime, SITE, small=True)
    runtime.db.dispose()
    with webhook_receiver(status=410) as receiver:
        endpoint_id, receiver.secret = add_webhook(home, receiver.url)
        tested = invoke_igny8(home, "webhook", "test", str(endpoint_id))
        assert tested.returncode == 1
        assert len(receiver.requests) == 1
    listed = invoke_igny8(home, "webhook", "list", "--json")
    (endpoint,) = json.loads(listed.stdout)
    assert endpoint["enabled"] is False and "410" in endpoint["disabled_reason"]
    # A disabled endpoint gets no new events.
    runtime.service.run_now(runtime.workspace.site(SITE).id)
    runtime.db.dispose()
    assert [row["status"] for row in deliveries(home)] == ["disabled"]


def test_the_secret_is_shown_once_and_kept_only_in_the_0600_secrets_file(
    home: Path, runtime: Runtime
) -> None:
    demo_site(runtime, SITE, small=True)
    runtime.db.dispose()
    _, secret = add_webhook(home, "https://hooks.example/igny8")
    assert secret.startswith("whsec_")
    shown = invoke_igny8(home, "webhook", "list").stdout + invoke_igny8(home, "events").stdout
    assert secret not in shown
    raw_secret = secret.removeprefix("whsec_")
    for path in home.rglob("*"):
        if path.is_file() and path.name != "secrets.json":
            assert raw_secret.encode() not in path.read_bytes(), path
    with closing(sqlite3.connect(home / "igny8.db")) as conn:
        dumped = "\n".join(conn.iterdump())
    assert raw_secret not in dumped
    assert os.stat(home / "secrets.json").st_mode & 0o777 == 0o600
    own = add_webhook(home, "https://hooks.example/b", "--secret", secret)
    assert own[1] == secret
    refused = invoke_igny8(home, "webhook", "add", "https://x.example", "--secret", "whsec_short")
    assert refused.returncode == 2 and "whsec_short" not in refused.stderr


def test_a_host_killed_mid_delivery_leaves_the_event_to_the_next_host_with_the_same_id(
    home: Path, runtime: Runtime
) -> None:
    site_id = demo_site(runtime, SITE, small=True)
    with webhook_receiver(hang_s=3) as receiver:
        _, receiver.secret = add_webhook(home, receiver.url, "--events", "run.started")
        runtime.service.run_now(site_id)  # the event is in the outbox, with the run
        runtime.db.dispose()
        first = start_igny8(home, "daemon", "--max-runs", "1", IGNY8_AI_CONCURRENCY="1")
        wait_until(lambda: sum(receiver.arrivals.values()) == 1, what="the first attempt sent")
        first.send_signal(signal.SIGKILL)  # while the receiver holds the request
        first.wait(30)
        second = start_igny8(home, "daemon")
        try:
            wait_until(
                lambda: [row["status"] for row in deliveries(home)] == ["delivered"],
                timeout_s=120,
                what="the delivery made by the next host",
            )
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(60)
        wait_until(lambda: len(receiver.requests) == 2, what="both attempts answered")
    ids = {r.webhook_id for r in receiver.of_type("run.started")}
    assert len(ids) == 1, "every attempt of the event carries its one webhook-id"
    assert all(r.verified for r in receiver.requests)
    (row,) = deliveries(home)
    assert row["attempts"] == 2


def test_two_daemons_make_each_attempt_once(home: Path, runtime: Runtime) -> None:
    site_id = demo_site(runtime, SITE, small=True)
    with webhook_receiver() as receiver:
        _, receiver.secret = add_webhook(home, receiver.url, "--events", "run.started")
        daemons = [start_igny8(home, "daemon", "--max-runs", "1") for _ in range(2)]
        try:
            runtime.service.run_now(site_id)
            runtime.db.dispose()
            wait_until(lambda: receiver.delivered(), timeout_s=120, what="a delivery")
            wait_until(
                lambda: all(row["status"] == "delivered" for row in deliveries(home)),
                what="the delivery recorded",
            )
        finally:
            for daemon in daemons:
                daemon.send_signal(signal.SIGTERM)
            for daemon in daemons:
                daemon.wait(60)
    assert len(receiver.of_type("run.started")) == 1


def test_a_receiver_that_hangs_is_timed_out_and_tried_again(home: Path, runtime: Runtime) -> None:
    demo_site(runtime, SITE, small=True)
    runtime.db.dispose()
    with webhook_receiver(hang_s=5) as receiver:
        endpoint_id, receiver.secret = add_webhook(home, receiver.url)
        tested = invoke_igny8(home, "webhook", "test", str(endpoint_id), IGNY8_EVENT_TIMEOUT_S="1")
        assert tested.returncode == 1
        (row,) = deliveries(home)
        assert row["status"] == "pending" and "timeout" in str(row["last_error"])
        again = invoke_igny8(home, "events", "redeliver", str(row["id"]), "--json")
        assert json.loads(again.stdout)["status"] == "delivered"
    ids = {r.webhook_id for r in receiver.requests}
    assert len(ids) == 1


async def test_the_events_view_redelivers_and_the_dashboard_says_an_endpoint_is_off(
    home: Path, runtime: Runtime
) -> None:
    from textual.widgets import DataTable

    from igny8_tui.tui.app import Igny8App
    from tests.dashboard_states import settled

    site_id = demo_site(runtime, SITE, small=True)
    runtime.db.dispose()
    with webhook_receiver(status=500) as receiver, webhook_receiver(status=410) as gone:
        endpoint_id, receiver.secret = add_webhook(home, receiver.url)
        assert invoke_igny8(home, "webhook", "test", str(endpoint_id)).returncode == 1
        gone_id, gone.secret = add_webhook(home, gone.url)
        assert invoke_igny8(home, "webhook", "test", str(gone_id)).returncode == 1
        app = Igny8App(Runtime.load(home, None, actor="test"), site_id, host=False)
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await settled()(pilot)
            card = "\n".join(str(w.render()) for w in app.screen.query("#processing Static"))
            assert f"webhook {gone_id}" in card and "410" in card
            await pilot.press("E")
            table = app.screen.query_one("#events-table", DataTable)
            wait = 0
            while table.row_count < 2 and wait < 600:
                await pilot.pause(0.1)
                wait += 1
            first = [str(cell) for cell in table.get_row_at(table.row_count - 1)]
            assert "pending" in first and "HTTP 500" in " ".join(first)
            receiver.status = None  # it answers 2xx from now on
            table.move_cursor(row=table.row_count - 1)
            await pilot.press("R")
            wait = 0
            while not receiver.delivered() and wait < 600:
                await pilot.pause(0.1)
                wait += 1
            assert receiver.delivered()
    assert len({r.webhook_id for r in receiver.requests}) == 1


def test_a_webhook_as_the_publish_target_publishes_each_article_only_when_accepted(
    home: Path, runtime: Runtime
) -> None:
    demo_site(runtime, SITE, small=True)
    runtime.db.dispose()
    with webhook_receiver(fail_first=1) as receiver:
        set_target = invoke_igny8(home, "publish", "set", "--site", SITE, "webhook", receiver.url)
        assert set_target.returncode == 0, set_target.stderr
        receiver.secret = set_target.stdout.strip().splitlines()[-1]
        assert receiver.secret.startswith("whsec_")
        refused = invoke_igny8(home, "publish", "test", "--site", SITE)
        assert refused.returncode == 2 and "HTTP 500" in refused.stderr
        receiver.fail_first = 0
        assert invoke_igny8(home, "publish", "test", "--site", SITE).returncode == 0
        receiver.fail_first = 1
        ran = invoke_igny8(home, "run", "--site", SITE)
        # Every article's first try was refused: stage 7 failed them all, and the run with it.
        assert ran.returncode == 1 and "HTTP 500" in ran.stderr
        articles = _articles(home)
        # Each article's first try was refused (500): none counts as published.
        assert {a["status"] for a in articles} == {"review"}
        retried = invoke_igny8(home, "retry", "--site", SITE)
        assert retried.returncode == 0, retried.stderr
        again = invoke_igny8(home, "run", "--site", SITE)
        assert again.returncode == 0, again.stderr
    assert {a["status"] for a in _articles(home)} == {"published"}
    published = receiver.of_type("content.published")
    assert all(r.verified for r in published)
    by_id: dict[str, list[int]] = {}
    for r in published:
        by_id.setdefault(r.webhook_id, []).append(r.answered)
    assert len(by_id) == 6 and all(answers == [500, 200] for answers in by_id.values())
    article = published[-1].body["data"]
    assert article["html"] and article["images"][0]["png_base64"]


def _articles(home: Path) -> list[dict[str, object]]:
    listed = invoke_igny8(home, "content", "list", "--site", SITE, "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert isinstance(rows, list)
    return [row for row in rows if row.get("kind", "article") == "article"]


def test_an_endpoint_failing_for_five_days_is_turned_off(home: Path, runtime: Runtime) -> None:
    demo_site(runtime, SITE, small=True)
    runtime.db.dispose()
    with webhook_receiver(status=503) as receiver:
        endpoint_id, receiver.secret = add_webhook(home, receiver.url)
        assert invoke_igny8(home, "webhook", "test", str(endpoint_id)).returncode == 1
        (listed,) = json.loads(invoke_igny8(home, "webhook", "list", "--json").stdout)
        assert listed["enabled"] is True and listed["failing_since"]
        with closing(sqlite3.connect(home / "igny8.db")) as conn, conn:  # as if days went by
            five_days_ago = "datetime('now', '-5 days', '-1 minute')"
            conn.execute(f"UPDATE webhook_endpoints SET failing_since = {five_days_ago}")
        (row,) = deliveries(home)
        again = invoke_igny8(home, "events", "redeliver", str(row["id"]), "--json")
        assert json.loads(again.stdout)["status"] == "failed"
    (listed,) = json.loads(invoke_igny8(home, "webhook", "list", "--json").stdout)
    assert listed["enabled"] is False and "failing since" in listed["disabled_reason"]


def test_a_run_that_leaves_work_the_balance_would_not_start_sends_credits_low(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keywords imported while the run is past stage 1 wait for the next run; a balance below
    that run's estimate is told as the run completes, not when the next one is refused."""
    monkeypatch.setenv("IGNY8_LOCAL_LATENCY_MS", "50")
    rt = Runtime.load(home, None, actor="test")
    site_id = demo_site(rt, SITE, small=True, grant=200)
    with webhook_receiver() as receiver:
        receiver.secret = rt.webhooks.add(receiver.url, None, ["credits.low"]).secret
        run_id = rt.service.run_now(site_id).run_id
        done: list[RunOutcome] = []
        worker = threading.Thread(
            target=lambda: done.append(rt.executor(run_id, threading.Event()).execute())
        )
        worker.start()

        def past_stage_1() -> bool:
            run = rt.service.current_run(site_id)
            return run is not None and run.current_stage > 1

        wait_until(past_stage_1, what="the run past stage 1")
        rt.workspace.import_keywords(site_id, DEMO_CSV)  # 124 more keywords wait
        worker.join(120)
        assert done == [RunOutcome.COMPLETED]
        assert rt.courier().deliver_due() >= 1
        (low,) = receiver.of_type("credits.low")
    data = low.body["data"]
    assert data["run_id"] == run_id
    assert data["balance"] < data["required_credits"]
    assert data["balance"] == rt.workspace.credits().balance
