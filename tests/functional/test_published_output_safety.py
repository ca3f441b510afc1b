"""Published output never runs a script, whatever the keywords, titles or AI replies say."""

from __future__ import annotations

import csv
import tempfile
import threading
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from igny8_tui.content_html import sanitize_html
from igny8_tui.publish.folder import FolderTarget
from igny8_tui.publish.target import ArticleImage, ArticleToPublish
from igny8_tui.runtime import RunOutcome, Runtime
from tests.published_html import render_commonmark, split_index, unsafe_parts_of_index

HOSTILE_KEYWORDS = [
    "<script>alert(1)</script> garden tips",
    "<img src=x onerror=alert(2)> tomato garden care",
    "[click](javascript:alert(3)) garden soil guide",
    '<iframe src="javascript:alert(4)"></iframe> garden compost',
    '<a href="javascript:alert(5)" onclick="alert(6)">x</a> garden pruning roses',
    "<javascript:alert(7)> garden watering schedule",
    "&lt;script&gt;alert(8)&lt;/script&gt; garden pests",
]


def _hostile_csv(directory: Path) -> Path:
    path = directory / "hostile.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["keyword", "volume"])
        for volume, keyword in enumerate(HOSTILE_KEYWORDS, start=100):
            writer.writerow([keyword, volume])
    return path


def test_hostile_keywords_publish_articles_that_run_no_script(runtime: Runtime) -> None:
    site = runtime.workspace.add_site("hostile-garden")
    runtime.workspace.import_keywords(site.id, _hostile_csv(runtime.settings.home))
    runtime.workspace.add_credits(10_000)
    run_id = runtime.service.run_now(site.id).run_id
    assert runtime.executor(run_id, threading.Event()).execute() is RunOutcome.COMPLETED

    indexes = sorted(runtime.settings.publish_dir.rglob("index.md"))
    assert indexes
    rendered_text = ""
    for index in indexes:
        text = index.read_text(encoding="utf-8")
        assert unsafe_parts_of_index(text) == [], index
        front_matter, body = split_index(text)
        rendered_text += str(front_matter) + render_commonmark(body)
    # The hostile text is shown as text, not dropped: a reader sees what the keyword said.
    assert "alert(" in rendered_text and "&lt;" in rendered_text


def _article(tmp_path: Path, title: str, html: str) -> ArticleToPublish:
    return ArticleToPublish(
        content_id=1,
        site_slug="s",
        title=title,
        slug="a",
        html=sanitize_html(html),
        meta_title=title,
        meta_description=title,
        tags=[title, "<b onmouseover=alert(1)>tag</b>"],
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
        images=[],
    )


HOSTILE_HTML = (
    "<h2>&lt;script&gt;alert(1)&lt;/script&gt; heading</h2>"
    "<p>Text [x](javascript:alert(2)) and &lt;img src=x onerror=alert(3)&gt; and "
    "&lt;javascript:alert(4)&gt; and `&lt;script&gt;` in ticks.</p>"
    '<p><a href="http://example.com/a)&lt;script&gt;alert(5)&lt;/script&gt;">link</a>'
    '<a href="javascript:alert(6)">js</a>'
    '<img src="x.png" alt="&lt;script&gt;alert(7)&lt;/script&gt;" onerror="alert(8)"></p>'
    "<script>alert(9)</script><iframe src='javascript:alert(10)'></iframe>"
)


def test_an_ai_reply_with_hostile_html_publishes_nothing_that_runs(tmp_path: Path) -> None:
    article = _article(tmp_path, "<script>alert(0)</script> Title", HOSTILE_HTML)
    index = Path(FolderTarget(tmp_path / "out").publish(article).location)
    text = index.read_text(encoding="utf-8")
    assert unsafe_parts_of_index(text) == []
    front_matter, body = split_index(text)
    assert front_matter["title"] == "<script>alert(0)</script> Title"
    assert front_matter["tags"] == [
        "<script>alert(0)</script> Title",
        "<b onmouseover=alert(1)>tag</b>",
    ]
    rendered = render_commonmark(body)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; heading" in rendered
    assert 'href="http://example.com/a' in rendered


FRAGMENTS = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<iframe src=javascript:alert(1)>",
        "[x](javascript:alert(1))",
        "<javascript:alert(1)>",
        "&lt;script&gt;",
        "&#60;script&#62;",
        "`<script>`",
        "\\<script>",
        "![a](javascript:alert(1))",
        '" onmouseover="alert(1)',
        "\n# ",
        "\n- ",
        "1. ",
        "*",
        "_",
        "]",
        ">",
    ]
)
HOSTILE_TEXT = st.lists(st.one_of(FRAGMENTS, st.text(max_size=8)), max_size=6).map("".join)


@settings(max_examples=150, deadline=None)
@given(title=HOSTILE_TEXT, body=HOSTILE_TEXT, alt=HOSTILE_TEXT, tag=HOSTILE_TEXT)
def test_no_generated_title_or_text_yields_anything_that_runs(
    title: str, body: str, alt: str, tag: str
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        image = root / "pic.png"
        image.write_bytes(b"png")
        html = f"<h2>{escape(title)}</h2><p>{escape(body)}</p><p>{body}</p>"
        article = _article(root, title, html).model_copy(
            update={
                "tags": [tag],
                "images": [ArticleImage(kind="in_article", position=1, path=image, alt=alt)],
            }
        )
        index = Path(FolderTarget(root / "out").publish(article).location)
        text = index.read_text(encoding="utf-8")
    assert unsafe_parts_of_index(text) == []
    front_matter, _ = split_index(text)
    assert front_matter["title"] == title and front_matter["tags"] == [tag]
