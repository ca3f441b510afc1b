"""An article as ``index.md``: YAML front matter and a Markdown body in which nothing can run.

Markdown renderers pass raw HTML and any link through, so the text is escaped for Markdown, not
just for HTML: a title that says ``<script>`` is shown as those characters, never run. Links and
images keep only web and mail URLs.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from operator import attrgetter, itemgetter
from typing import Any
from urllib.parse import quote, urlsplit

from markdownify import ATX, MarkdownConverter

from igny8_tui.publish.target import ArticleImage, ArticleToPublish

INDEX_FILE_NAME = "index.md"
SAFE_URL_SCHEMES = frozenset({"", "http", "https", "mailto"})
_VOID_TAGS = frozenset({"br", "img"})
# JSON leaves these raw; YAML reads the first ones as line breaks or rejects them as
# non-printable, and a theme that prints a value unescaped must not meet < or >.
_YAML_UNSAFE_CHARS = re.compile("[<>\x7f-\x9f\u2028\u2029\ufffe\uffff]")
# Characters that start Markdown syntax anywhere in a line.
_INLINE_SYNTAX = re.compile(r"([\\`*_\[\]])")
# ...and those that only do at the start of a block: headings, lists, setext underlines.
_BLOCK_START = re.compile(r"^(\s*)([#+=-])")
_ORDERED_ITEM = re.compile(r"^(\s*\d{1,9})([.)])")
_ENTITY_LIKE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_URL_CONTROL = re.compile(r"[\x00-\x20\x7f]")
# Kept as they are in a link destination; anything else (spaces, quotes, parentheses, angle
# brackets, backslashes) is percent-encoded so it cannot end the destination early.
_URL_SAFE_CHARS = "/:?#[]@!$&'*+,;=%~-._"


def escape_text(text: str) -> str:
    """Plain text as Markdown that renders as exactly that text, with no markup or HTML."""
    text = _INLINE_SYNTAX.sub(r"\\\1", text)
    text = _ENTITY_LIKE.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")
    text = _BLOCK_START.sub(r"\1\\\2", text)
    return _ORDERED_ITEM.sub(r"\1\\\2", text)


def safe_url(url: str | None) -> str | None:
    """``url`` ready for a Markdown link destination, or None if it could run a script."""
    if not url:
        return None
    cleaned = _URL_CONTROL.sub("", url)
    try:
        scheme = urlsplit(cleaned).scheme.lower()
    except ValueError:
        return None
    if scheme not in SAFE_URL_SCHEMES:
        return None
    return quote(cleaned, safe=_URL_SAFE_CHARS)


def _title_part(title: str | None) -> str:
    if not title:
        return ""
    escaped = title.replace("\\", "\\\\").replace('"', '\\"')
    return f' "{escaped.replace("<", "&lt;").replace(">", "&gt;")}"'


def _chomp(text: str) -> tuple[str, str, str]:
    """Link text without its outer spaces, and those spaces, which go outside the brackets."""
    prefix = " " if text[:1] == " " else ""
    suffix = " " if text[-1:] == " " else ""
    return prefix, suffix, text.strip()


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class _SafeMarkdownConverter(MarkdownConverter):
    """markdownify with text, links and images escaped so that nothing in them runs."""

    def escape(self, text: str, parent_tags: set[str]) -> str:
        return escape_text(text) if text else ""

    def convert_a(self, el: Any, text: str, parent_tags: set[str]) -> str:
        prefix, suffix, text = _chomp(text)
        href = safe_url(el.get("href"))
        if not text or href is None:
            return f"{prefix}{text}{suffix}"
        return f"{prefix}[{text}]({href}{_title_part(el.get('title'))}){suffix}"

    def convert_img(self, el: Any, text: str, parent_tags: set[str]) -> str:
        alt = escape_text(_one_line(el.get("alt") or ""))
        src = safe_url(el.get("src"))
        if src is None or "_inline" in parent_tags:
            return alt
        return f"![{alt}]({src}{_title_part(el.get('title'))})"


_CONVERTER = _SafeMarkdownConverter(heading_style=ATX, bullets="-")


def render_article(article: ArticleToPublish, slug: str) -> str:
    """The whole ``index.md``: YAML front matter, then the body as Markdown."""
    in_article = sorted(
        (image for image in article.images if image.kind == "in_article"),
        key=attrgetter("position"),
    )
    return f"{_front_matter(article, slug)}\n{markdown_body(article.html, in_article)}"


def _front_matter(article: ArticleToPublish, slug: str) -> str:
    lines = [
        "---",
        f"title: {yaml_string(article.title)}",
        f"date: {_iso_utc(article.published_at)}",
        f"slug: {yaml_string(slug)}",
        f"tags: {_yaml_list(article.tags)}",
        f"description: {yaml_string(article.meta_description)}",
        f"meta_title: {yaml_string(article.meta_title)}",
    ]
    featured = next((image for image in article.images if image.kind == "featured"), None)
    if featured is not None:
        name = featured.path.name
        lines += [f"image: {yaml_string(name)}", f"images: {_yaml_list([name])}"]
    return "\n".join([*lines, "---", ""])


def yaml_string(value: str) -> str:
    """A YAML double-quoted scalar, which is a JSON string with a few more characters escaped."""
    quoted = json.dumps(value, ensure_ascii=False)
    return _YAML_UNSAFE_CHARS.sub(lambda match: f"\\u{ord(match.group()):04x}", quoted)


def _yaml_list(values: list[str]) -> str:
    return f"[{', '.join(yaml_string(value) for value in values)}]"


def _iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def markdown_body(html: str, images: list[ArticleImage]) -> str:
    """The article as Markdown, image N placed after the first paragraph of the N-th H2 section.

    Images without such a section are appended in order. The HTML is only cut between top-level
    elements, so each piece converts to Markdown on its own.
    """
    anchors = image_anchors(html)
    placed = sorted(
        ((anchor_offset(anchors, image.position, len(html)), image) for image in images),
        key=itemgetter(0),
    )
    parts: list[str] = []
    cursor = 0
    for offset, image in placed:
        parts += [_to_markdown(html[cursor:offset]), _image_markdown(image)]
        cursor = offset
    parts.append(_to_markdown(html[cursor:]))
    return "\n\n".join(part for part in parts if part) + "\n"


def anchor_offset(anchors: list[int], position: int, end: int) -> int:
    return anchors[position - 1] if 1 <= position <= len(anchors) else end


def _to_markdown(html: str) -> str:
    return str(_CONVERTER.convert(html)).strip()


def _image_markdown(image: ArticleImage) -> str:
    return f"![{escape_text(_one_line(image.alt))}]({quote(image.path.name)})"


def image_anchors(html: str) -> list[int]:
    """For each top-level <h2>, the offset just after its section's first <p>, else after it."""
    anchors: list[int] = []
    awaiting_paragraph = False
    for tag, end in _top_level_element_ends(html):
        if tag == "h2":
            anchors.append(end)
            awaiting_paragraph = True
        elif tag == "p" and awaiting_paragraph:
            anchors[-1] = end
            awaiting_paragraph = False
    return anchors


def _top_level_element_ends(html: str) -> list[tuple[str, int]]:
    parser = _TopLevelElementEnds(html)
    parser.feed(html)
    parser.close()
    return parser.ends


class _TopLevelElementEnds(HTMLParser):
    """Collects the tag and end offset of each top-level non-void element of an HTML fragment."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self._html = html
        self._line_starts = [0, *(match.end() for match in re.finditer("\n", html))]
        self._depth = 0
        self.ends: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _VOID_TAGS:
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID_TAGS or self._depth == 0:
            return
        self._depth -= 1
        if self._depth == 0:
            self.ends.append((tag, self._html.index(">", self._offset()) + 1))

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column
