"""Failed items go back in their queue with `igny8 retry`, and a run with nothing to do is not
made: real failures (an image write that fails, a deleted image file, an AI's bad replies)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from igny8_tui.db.models import ActivityLog, Content, CreditLedger, Image, Task
from igny8_tui.errors import NothingToDoError
from igny8_tui.runtime import RunOutcome, Runtime
from igny8_tui.schemas import ConfigUpdate
from tests.conftest import demo_site, invoke_igny8, run_igny8
from tests.openai_server import FakeOpenAIServer, Fault
from tests.openai_server import fake_openai as fake_openai

SMALL_IMAGES = 30  # the small site's 6 articles have 5 images each
IMAGES_BEFORE_THE_FAULT = 27


def execute(runtime: Runtime, site_id: int) -> int:
    run_id = runtime.service.run_now(site_id).run_id
    assert runtime.executor(run_id, threading.Event()).execute() is RunOutcome.COMPLETED
    return run_id


def with_failed_images(runtime: Runtime) -> int:
    """The small site after one run in which the last 3 image writes failed (ENAMETOOLONG, an
    item's fault, not the machine's). In a process of its own: the fault plan counts writes
    per process."""
    site_id = demo_site(runtime, small=True)
    fault = f"media=ENAMETOOLONG@{IMAGES_BEFORE_THE_FAULT}"
    ran = run_igny8(runtime.settings.home, "run", "--site", "green-thumb", IGNY8_FAULTS=fault)
    assert ran.returncode == 0, ran.stderr
    return site_id


def with_a_publish_failure(runtime: Runtime) -> tuple[int, int]:
    """The small site whose article's image file was deleted before stage 7: (site, article)."""
    site_id = demo_site(runtime, small=True)
    runtime.service.update_config(site_id, ConfigUpdate(skip_stage_7=True))
    execute(runtime, site_id)
    with runtime.db.read() as s:
        image = s.scalars(select(Image).order_by(Image.id)).first()
        assert image is not None and image.file_path
        content_id = image.content_id
    Path(image.file_path).unlink()
    runtime.service.update_config(site_id, ConfigUpdate(skip_stage_7=False))
    execute(runtime, site_id)
    return site_id, content_id


def statuses(runtime: Runtime, column: object) -> list[str]:
    with runtime.db.read() as s:
        return list(s.scalars(select(column)))  # type: ignore[call-overload]


def stage_charges(runtime: Runtime, run_id: int, stage: int) -> list[str]:
    with runtime.db.read() as s:
        return list(
            s.scalars(
                select(CreditLedger.item_key).where(
                    CreditLedger.run_id == run_id, CreditLedger.stage == stage
                )
            )
        )


def test_failed_images_are_retried_and_the_next_run_charges_only_them(runtime: Runtime) -> None:
    site_id = with_failed_images(runtime)
    failed = SMALL_IMAGES - IMAGES_BEFORE_THE_FAULT
    assert statuses(runtime, Image.status).count("failed") == failed
    report = runtime.service.retry(site_id, stage=6)
    assert [f.stage for f in report.retried] == [6] * failed
    assert all("File name too long" in f.reason for f in report.retried)
    assert statuses(runtime, Image.status).count("pending") == failed
    with runtime.db.read() as s:
        logged = s.scalars(
            select(ActivityLog.message).where(ActivityLog.message.startswith("retried by test:"))
        ).all()
    assert len(logged) == failed and "image" in logged[0]
    run_id = execute(runtime, site_id)
    assert statuses(runtime, Image.status) == ["generated"] * SMALL_IMAGES
    assert len(stage_charges(runtime, run_id, 6)) == failed
    assert runtime.service.retry(site_id).retried == []


def test_an_article_whose_image_was_lost_is_regenerated_and_published_on_retry(
    runtime: Runtime,
) -> None:
    site_id, content_id = with_a_publish_failure(runtime)
    with runtime.db.read() as s:
        content = s.get(Content, content_id)
        assert content is not None and content.status == "review"
        message = s.scalars(
            select(ActivityLog.message).where(ActivityLog.message.contains("publishing failed"))
        ).one()
    assert f"igny8 retry --site green-thumb --item {content_id}" in message
    report = runtime.service.retry(site_id, stage=6, item_id=content_id)
    assert [(f.stage, f.item_id) for f in report.retried][-1] == (7, content_id)
    assert "is missing" in report.retried[0].reason
    assert "is missing" in report.retried[-1].reason, "the publish failure's reason, from the log"
    run_id = execute(runtime, site_id)
    with runtime.db.read() as s:
        content = s.get(Content, content_id)
        assert content is not None and content.status == "published"
    assert stage_charges(runtime, run_id, 6) == [f"image:{report.retried[0].item_id}"]


def test_retrying_a_stage_7_failure_alone_also_regenerates_its_lost_images(
    runtime: Runtime,
) -> None:
    site_id, _ = with_a_publish_failure(runtime)
    report = runtime.service.retry(site_id, stage=7)
    assert [f.stage for f in report.retried] == [6, 7]
    execute(runtime, site_id)
    assert "review" not in statuses(runtime, Content.status)


def test_failed_tasks_are_queued_again_and_written_by_the_next_run(
    home: Path, fake_openai: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "IGNY8_AI_PROVIDER": "openai",
        "IGNY8_AI_BASE_URL": fake_openai.base_url,
        "IGNY8_AI_API_KEY": "sk-test",
        "IGNY8_AI_MODEL": "gpt-test",
        "IGNY8_AI_MAX_RETRIES": "2",
        "IGNY8_AI_CONCURRENCY": "1",
    }.items():
        monkeypatch.setenv(name, value)
    runtime = Runtime.load(home, None, actor="test")
    csv = home / "five.csv"
    csv.write_text("keyword\n" + "\n".join(f"raised bed idea {n}" for n in range(5)) + "\n")
    site_id = runtime.workspace.add_site("green-thumb").id
    runtime.workspace.import_keywords(site_id, csv)
    runtime.workspace.add_credits(5000)
    runtime.service.update_config(site_id, ConfigUpdate(skip_stage_5=True, skip_stage_6=True))
    bad = Fault(content="{not json")
    fake_openai.script(Fault(), Fault(), bad, bad, bad, endpoint="chat")
    execute(runtime, site_id)
    assert statuses(runtime, Task.status).count("failed") == 1
    [listed] = runtime.workspace.content(site_id, status="failed")
    assert (listed.kind, listed.status, listed.location) == ("task", "failed", None)
    with pytest.raises(NothingToDoError, match="1 failed items wait; retry them with `igny8 retry"):
        runtime.service.run_now(site_id)
    report = runtime.service.retry(site_id, stage=4)
    assert len(report.retried) == 1 and "Invalid JSON" in report.retried[0].reason
    run_id = execute(runtime, site_id)
    assert set(statuses(runtime, Task.status)) == {"completed"}
    assert len(stage_charges(runtime, run_id, 4)) == 1
    runtime.close()


def test_a_site_with_nothing_pending_gets_no_run_but_advice(runtime: Runtime) -> None:
    site = runtime.workspace.add_site("empty")
    with pytest.raises(NothingToDoError, match="igny8 keywords import --site empty FILE"):
        runtime.service.run_now(site.id)
    assert runtime.service.history(site.id) == []
    result = invoke_igny8(runtime.settings.home, "run", "--site", "empty")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "igny8: error: nothing to do for site empty: import keywords with "
        "`igny8 keywords import --site empty FILE`"
    )


def test_igny8_retry_retries_says_when_nothing_failed_and_refuses_an_unknown_item(
    runtime: Runtime,
) -> None:
    with_failed_images(runtime)
    home = runtime.settings.home
    runtime.close()
    retried = run_igny8(home, "retry", "--site", "green-thumb", "--stage", "6", timeout=60)
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout.startswith("retried 3 ")
    assert "File name too long" in retried.stdout
    again = run_igny8(home, "retry", "--site", "green-thumb", "--json", timeout=60)
    assert again.returncode == 0 and '"retried": []' in again.stdout
    unknown = run_igny8(home, "retry", "--site", "green-thumb", "--item", "999", timeout=60)
    assert unknown.returncode == 2
    assert unknown.stderr == "igny8: error: --item 999: this site has no article 999\n"
