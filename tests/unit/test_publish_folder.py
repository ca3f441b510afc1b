"""Behaviour of the folder publish target, checked on real files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pytest

from igny8_tui.publish.folder import FolderTarget
from igny8_tui.publish.target import ArticleImage, ArticleToPublish, PublishError

TITLE = "Why \"Best\" Isn't Enough: A Buyer's Guide \\ Part 2: #1"
HTML = (
    "<h2>First section</h2><p>Opening paragraph.</p><p>Second paragraph.</p>"
    "<h2>Second section</h2><ul><li>point</li></ul><p>After the list.</p>"
    "<h3>Detail</h3><p>More <strong>bold</strong> text.</p>"
)


def _image(
    tmp_path: Path, name: str, kind: Literal["featured", "in_article"], position: int
) -> ArticleImage:
    path = tmp_path / "generated" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(f"image bytes of {name}".encode())
    return ArticleImage(kind=kind, position=position, path=path, alt=f"Alt [{name}]")


def _article(tmp_path: Path, **changes: object) -> ArticleToPublish:
    fields: dict[str, object] = {
        "content_id": 7,
        "site_slug": "garden-blog",
        "title": TITLE,
        "slug": "best-guide",
        "html": HTML,
        "meta_title": "Meta: title",
        "meta_description": 'Compare: "best" tools\nfor you',
        "tags": ["tools: hand", 'say "hi"'],
        "published_at": datetime(2024, 5, 1, 9, 30, tzinfo=UTC),
        "images": [
            _image(tmp_path, "hero.png", "featured", 0),
            _image(tmp_path, "second.png", "in_article", 2),
            _image(tmp_path, "first.png", "in_article", 1),
            _image(tmp_path, "third.png", "in_article", 3),
        ],
    }
    return ArticleToPublish.model_validate({**fields, **changes})


def _split(index: Path) -> tuple[dict[str, object], str]:
    """The front matter as a dict (each value read as JSON, the date as ISO 8601) and the body."""
    text = index.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    header, body = text.removeprefix("---\n").split("\n---\n", 1)
    front_matter: dict[str, object] = {}
    for line in header.splitlines():
        key, value = line.split(": ", 1)
        front_matter[key] = datetime.fromisoformat(value) if key == "date" else json.loads(value)
    return front_matter, body


def _publish(tmp_path: Path, article: ArticleToPublish) -> Path:
    return Path(FolderTarget(tmp_path / "out").publish(article).location)


def test_front_matter_parses_back_to_the_title_with_quotes_and_colons(tmp_path: Path) -> None:
    front_matter, _ = _split(_publish(tmp_path, _article(tmp_path)))

    assert front_matter["title"] == TITLE
    assert front_matter["description"] == 'Compare: "best" tools\nfor you'
    assert front_matter["tags"] == ["tools: hand", 'say "hi"']
    assert front_matter["slug"] == "best-guide"
    assert front_matter["date"] == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


def test_front_matter_is_yaml_a_real_parser_reads_the_same(tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    index = _publish(tmp_path, _article(tmp_path, title="Line\u2028sep \x85 and \x7f: ok"))
    header = index.read_text(encoding="utf-8").split("---\n")[1]

    parsed = yaml.safe_load(header)

    assert parsed["title"] == "Line\u2028sep \x85 and \x7f: ok"
    assert parsed["date"] == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    assert parsed["images"] == ["hero.png"]


def test_date_is_written_in_utc_whatever_the_offset_given(tmp_path: Path) -> None:
    eastern = datetime.fromisoformat("2024-05-01T05:30:00-04:00")
    front_matter, _ = _split(_publish(tmp_path, _article(tmp_path, published_at=eastern)))

    assert front_matter["date"] == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


def test_body_is_markdown_with_atx_headings_and_no_raw_html(tmp_path: Path) -> None:
    _, body = _split(_publish(tmp_path, _article(tmp_path)))

    assert "## First section" in body
    assert "### Detail" in body
    assert "**bold**" in body
    assert "<p>" not in body
    assert "<h2>" not in body


def test_images_are_copied_beside_the_article_and_linked_relatively(tmp_path: Path) -> None:
    index = _publish(tmp_path, _article(tmp_path))
    front_matter, body = _split(index)

    assert index == tmp_path / "out" / "garden-blog" / "best-guide" / "index.md"
    for name in ["hero.png", "first.png", "second.png", "third.png"]:
        assert (index.parent / name).read_bytes() == f"image bytes of {name}".encode()
    assert front_matter["image"] == "hero.png"
    assert front_matter["images"] == ["hero.png"]
    assert "hero.png" not in body
    assert "![Alt \\[first.png\\]](first.png)" in body


def test_in_article_images_follow_the_first_paragraph_of_their_h2_section(tmp_path: Path) -> None:
    _, body = _split(_publish(tmp_path, _article(tmp_path)))
    blocks = body.strip().split("\n\n")

    assert blocks[blocks.index("Opening paragraph.") + 1] == "![Alt \\[first.png\\]](first.png)"
    assert blocks[blocks.index("After the list.") + 1] == "![Alt \\[second.png\\]](second.png)"
    assert blocks[-1] == "![Alt \\[third.png\\]](third.png)"


def test_republishing_overwrites_the_same_files_without_duplicates(tmp_path: Path) -> None:
    first = _publish(tmp_path, _article(tmp_path))
    files_before = sorted(p.relative_to(tmp_path) for p in (tmp_path / "out").rglob("*"))

    second = _publish(tmp_path, _article(tmp_path, title="Revised title"))

    files_after = sorted(p.relative_to(tmp_path) for p in (tmp_path / "out").rglob("*"))
    assert second == first
    assert files_after == files_before
    assert _split(second)[0]["title"] == "Revised title"


def test_an_unsafe_slug_cannot_escape_the_root(tmp_path: Path) -> None:
    article = _article(tmp_path, site_slug="../..", slug="../../etc/passwd")
    with pytest.raises(PublishError, match="site slug"):
        _publish(tmp_path, article)

    index = _publish(tmp_path, _article(tmp_path, slug="../../etc/passwd"))

    root = (tmp_path / "out").resolve()
    assert index.resolve().is_relative_to(root)
    assert index.parent.parent == tmp_path / "out" / "garden-blog"
    assert list(tmp_path.glob("etc")) == []


def test_a_missing_image_raises_publish_error_and_writes_nothing(tmp_path: Path) -> None:
    article = _article(tmp_path)
    (tmp_path / "generated" / "second.png").unlink()

    with pytest.raises(PublishError, match=r"second\.png is missing"):
        _publish(tmp_path, article)
    assert not (tmp_path / "out").exists()
