"""The default publish target: Hugo/Jekyll-ready Markdown page bundles in a folder."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from operator import attrgetter, itemgetter
from pathlib import Path
from urllib.parse import quote

from markdownify import ATX, markdownify

from igny8_tui.atomic_files import write_atomic
from igny8_tui.publish.target import ArticleImage, ArticleToPublish, PublishError, PublishResult

INDEX_FILE_NAME = "index.md"
PUBLISHED_FILE_MODE = 0o644
_UNSAFE_PATH_CHARS = re.compile(r"[^\w-]+")
_VOID_TAGS = frozenset({"br", "img"})
# JSON leaves these raw, but YAML reads them as line breaks or rejects them as non-printable.
_YAML_UNSAFE_CHARS = re.compile("[\x7f-\x9f\u2028\u2029\ufffe\uffff]")


class FolderTarget:
    """Writes each article to ``root/<site_slug>/<slug>/index.md`` with its images beside it.

    Each article folder is a Hugo page bundle: use ``root/<site_slug>`` as Hugo's content
    directory (or a section inside it) and the images become page resources. Jekyll renders the
    same ``index.md`` as a page at ``/<slug>/`` and copies the images next to it, so the relative
    image links in the body and front matter work in both.
    """

    name = "folder"

    def __init__(self, root: Path) -> None:
        self.root = root

    def publish(self, article: ArticleToPublish) -> PublishResult:
        _check_images(article)
        slug = safe_path_component(article.slug, "article slug")
        bundle = self.site_folder(article.site_slug) / slug
        bundle.mkdir(parents=True, exist_ok=True)
        for image in article.images:
            write_atomic(
                bundle / image.path.name,
                image.path.read_bytes(),
                site="published",
                mode=PUBLISHED_FILE_MODE,
            )
        # Written last, so a reader who sees the article also finds its images.
        index = bundle / INDEX_FILE_NAME
        write_atomic(
            index,
            render_article(article, slug).encode(),
            site="published",
            mode=PUBLISHED_FILE_MODE,
        )
        return PublishResult(location=str(index))

    def site_folder(self, site_slug: str) -> Path:
        return self.root / safe_path_component(site_slug, "site slug")


def safe_path_component(value: str, what: str) -> str:
    """``value`` as one folder name: lower case, with each run of unsafe characters turned to -."""
    cleaned = _UNSAFE_PATH_CHARS.sub("-", value.lower()).strip("-")
    if not cleaned:
        raise PublishError(f"The {what} {value!r} has no letters or digits to name a folder after.")
    return cleaned


def _check_images(article: ArticleToPublish) -> None:
    """Fail before writing anything if an image is missing or two would land on one file name."""
    paths_by_name: dict[str, Path] = {}
    for image in article.images:
        if not image.path.is_file():
            raise PublishError(
                f"Cannot publish article {article.content_id} ({article.title!r}): its "
                f"{image.kind} image {image.path} is missing. "
                "Regenerate its images, then publish again."
            )
        name = image.path.name
        if name == INDEX_FILE_NAME or paths_by_name.setdefault(name, image.path) != image.path:
            raise PublishError(
                f"Cannot publish article {article.content_id} ({article.title!r}): more than one "
                f"file would be named {name!r} in its folder. Rename the image, then publish again."
            )


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
    anchors = _image_anchors(html)
    placed = sorted(
        ((_anchor_offset(anchors, image.position, len(html)), image) for image in images),
        key=itemgetter(0),
    )
    parts: list[str] = []
    cursor = 0
    for offset, image in placed:
        parts += [_to_markdown(html[cursor:offset]), _image_markdown(image)]
        cursor = offset
    parts.append(_to_markdown(html[cursor:]))
    return "\n\n".join(part for part in parts if part) + "\n"


def _anchor_offset(anchors: list[int], position: int, end: int) -> int:
    return anchors[position - 1] if 1 <= position <= len(anchors) else end


def _to_markdown(html: str) -> str:
    return markdownify(html, heading_style=ATX, bullets="-").strip()


def _image_markdown(image: ArticleImage) -> str:
    alt = re.sub(r"\s+", " ", image.alt).strip()
    alt = alt.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    return f"![{alt}]({quote(image.path.name)})"


def _image_anchors(html: str) -> list[int]:
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
