"""What a run made, item by item: `content list` with its columns and filters, and
`content show` with an article's images, failures and Markdown body."""

from __future__ import annotations

import json

from igny8_tui.runtime import Runtime
from igny8_tui.schemas import ArticleDetail
from tests.conftest import invoke_igny8
from tests.functional.test_retry import with_a_publish_failure


def test_the_listing_shows_cluster_images_location_and_filters_by_status_and_text(
    runtime: Runtime,
) -> None:
    site_id, content_id = with_a_publish_failure(runtime)
    listing = runtime.workspace.content(site_id)
    assert len(listing) == 6 and all(item.cluster for item in listing)
    assert all((item.images_made, item.images_expected) == (5, 5) for item in listing)
    in_review = [item for item in listing if item.status == "review"]
    assert [item.id for item in in_review] == [content_id] and in_review[0].location is None
    published = [item for item in listing if item.status == "published"]
    assert all(item.location and item.location.startswith("/") for item in published)
    assert [i.id for i in runtime.workspace.content(site_id, status="review")] == [content_id]
    word = published[0].title.split()[-1]
    found = runtime.workspace.content(site_id, text=word.upper())
    assert found and all(word.lower() in item.title.lower() for item in found)
    assert runtime.workspace.content(site_id, status="failed") == []

    text = invoke_igny8(
        runtime.settings.home, "content", "list", "--site", "1", "--status", "review"
    )
    assert text.returncode == 0, text.stderr
    header, row = text.stdout.splitlines()
    assert header.split() == ["id", "title", "cluster", "status", "words", "images", "location"]
    assert row.startswith(f"{content_id} ") and " review " in row and " 5/5" in row


def test_an_article_shows_its_images_failures_and_markdown(runtime: Runtime) -> None:
    site_id, content_id = with_a_publish_failure(runtime)
    article = runtime.workspace.article(site_id, content_id)
    assert article.status == "review" and article.keywords and article.cluster
    assert [i.kind for i in article.images] == ["featured"] + ["in_article"] * 4
    assert [f.stage for f in article.failures] == [6, 7]
    assert "is missing" in article.failures[0].reason
    assert article.failures[1].reason.startswith(f"Cannot publish article {content_id}")
    assert "## " in article.markdown and "![" in article.markdown

    home = runtime.settings.home
    shown = invoke_igny8(home, "content", "show", "--site", "green-thumb", str(content_id))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"article {content_id}: {article.title}\n")
    assert "failures (2):" in shown.stdout and "prompt: " in shown.stdout
    markdown = invoke_igny8(home, "content", "show", "--site", "1", str(content_id), "--markdown")
    assert markdown.stdout == article.markdown + "\n"
    as_json = invoke_igny8(home, "content", "show", "--site", "1", str(content_id), "--json")
    assert ArticleDetail.model_validate(json.loads(as_json.stdout)) == article
    unknown = invoke_igny8(home, "content", "show", "--site", "1", "999")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("igny8: error: site green-thumb has no article 999;")
