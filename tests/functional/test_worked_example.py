"""The spec's worked example, end to end through the `igny8` command: the run in a real process."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image as PILImage
from sqlalchemy import func, select

from igny8_tui.automation.credits import ledger_sum_milli
from igny8_tui.content_html import count_words
from igny8_tui.db.models import Account, Cluster, Content, ContentIdea, Image, Keyword, Task
from igny8_tui.runtime import Runtime
from tests.conftest import DEMO_CSV, invoke_igny8, run_igny8

GRANT = 5000
EXPECTED_CREDITS = {1: 45, 2: 72, 3: 0, 4: 540, 5: 36, 6: 180, 7: 0}


def _prepare(home: Path) -> None:
    assert invoke_igny8(home, "site", "add", "green-thumb").returncode == 0
    assert invoke_igny8(home, "credits", "--add", str(GRANT)).returncode == 0
    imported = invoke_igny8(home, "keywords", "import", "--site", "green-thumb", str(DEMO_CSV))
    assert imported.returncode == 0, imported.stderr


def test_worked_example_150_keywords_become_36_published_articles(home: Path) -> None:
    _prepare(home)
    done = run_igny8(home, "run", "--site", "green-thumb", "--json", timeout=600)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "completed"
    assert summary["total_credits_used"] == 873

    progress = json.loads(invoke_igny8(home, "status", "--site", "green-thumb", "--json").stdout)
    results = {s["number"]: s["result"] for s in progress["progress"]["stages"]}
    stage_1 = ("keywords_processed", "clusters_created", "batches_run", "credits_used", "partial")
    assert [results[1][k] for k in stage_1] == [150, 12, 3, 45, False]
    assert results[1]["time_elapsed"] > 0
    assert (results[2]["clusters_processed"], results[2]["ideas_created"]) == (12, 36)
    assert results[2]["batches_run"] == 2
    assert (results[3]["ideas_processed"], results[3]["tasks_created"]) == (36, 36)
    assert results[3]["batches_run"] == 4
    assert results[4]["tasks_processed"] == results[4]["content_created"] == 36
    assert (results[4]["total_words"], results[4]["batches_run"]) == (54000, 6)
    assert (results[5]["content_processed"], results[5]["prompts_created"]) == (36, 180)
    assert results[5]["batches_run"] == 4
    assert results[6]["images_processed"] == results[6]["images_generated"] == 180
    assert results[6]["batches_run"] == 18
    assert results[7]["ready_for_review"] == results[7]["published"] == 36
    assert {n: r["credits_used"] for n, r in results.items()} == EXPECTED_CREDITS
    assert progress["progress"]["global_progress"]["percentage"] == 100

    rt = Runtime.load(home, None, actor="test")
    with rt.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Cluster)) == 12
        assert s.scalar(select(func.count()).where(Keyword.status == "mapped")) == 150
        assert s.scalar(select(func.count()).select_from(ContentIdea)) == 36
        assert s.scalar(select(func.count()).select_from(Task)) == 36
        contents = s.scalars(select(Content)).all()
        assert {c.status for c in contents} == {"published"}
        assert [count_words(c.html) for c in contents] == [1500] * 36
        images = s.scalars(select(Image)).all()
        assert len(images) == 180 and {i.status for i in images} == {"generated"}
        account = s.scalars(select(Account)).one()
        assert account.balance_milli == (GRANT - 873) * 1000
        assert ledger_sum_milli(s, account.id) == account.balance_milli
    for image in images:
        with PILImage.open(image.file_path) as picture:
            assert picture.format == "PNG"
    for content in contents:
        page = Path(content.published_path or "")
        text = page.read_text()
        assert text.startswith("---\n") and f"title: {json.dumps(content.title)}" in text
        assert len(list(page.parent.glob("*.png"))) == 5
