"""Article HTML: the one sanitiser every stored article passes through, and the word count."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

ALLOWED_TAGS = {
    "h2",
    "h3",
    "h4",
    "p",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "a",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "figure",
    "figcaption",
    "img",
    "br",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt"}, "th": {"scope"}}

_WORD = re.compile(r"\w", re.UNICODE)


def sanitize_html(html: str) -> str:
    """Drop scripts, styles, event handlers and unknown tags; keep article structure."""
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES)


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.parts.append(" ")


def html_text(html: str) -> str:
    """The visible text of an HTML fragment, tags replaced by spaces."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return "".join(collector.parts)


def count_words(html: str) -> int:
    """Words a reader sees: whitespace-separated tokens with at least one letter or digit."""
    return sum(1 for token in html_text(html).split() if _WORD.search(token))


def h2_headings(html: str) -> list[str]:
    """The text of each <h2> in order."""
    return [html_text(m).strip() for m in re.findall(r"<h2[^>]*>(.*?)</h2>", html, re.S | re.I)]
