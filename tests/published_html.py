"""Published Markdown as a browser would meet it: rendered by a CommonMark renderer that passes raw
HTML and any link through (as kramdown and the CommonMark reference do), then searched for
anything that would run."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import yaml
from markdown_it import MarkdownIt

EXECUTABLE_TAGS = frozenset(
    {"script", "iframe", "frame", "object", "embed", "applet", "base", "form", "meta", "svg"}
)
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "srcset"})
_SCRIPT_SCHEME = re.compile(r"^(javascript|vbscript|data):", re.I)
_IGNORED_IN_URL = re.compile(r"[\x00-\x20]")


def render_commonmark(markdown: str) -> str:
    renderer = MarkdownIt("commonmark")
    # markdown-it refuses javascript: links by default; kramdown and cmark do not.
    renderer.validateLink = lambda url: True  # type: ignore[method-assign]
    return renderer.render(markdown)


class _Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in EXECUTABLE_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            url = _IGNORED_IN_URL.sub("", value or "")
            if name in URL_ATTRIBUTES and _SCRIPT_SCHEME.match(url):
                self.found.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag


def executable_parts(html: str) -> list[str]:
    """Each tag, event handler attribute or script URL in ``html`` that a browser would run."""
    finder = _Finder()
    finder.feed(html)
    finder.close()
    return finder.found


def split_index(text: str) -> tuple[dict[str, object], str]:
    """The front matter, read as YAML, and the Markdown body of an ``index.md``."""
    assert text.startswith("---\n")
    header, body = text.removeprefix("---\n").split("\n---\n", 1)
    front_matter = yaml.safe_load(header)
    assert isinstance(front_matter, dict)
    return front_matter, body


def unsafe_parts_of_index(text: str) -> list[str]:
    """What would run in a published ``index.md``: in its rendered body, or raw in its front
    matter (which a theme may print without escaping)."""
    front_matter, body = split_index(text)
    header = text.split("\n---\n", 1)[0]
    found = executable_parts(render_commonmark(body))
    found += [f"front matter: {char!r}" for char in "<>" if char in header]
    assert front_matter
    return found
