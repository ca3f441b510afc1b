"""The default publish target: Hugo/Jekyll-ready Markdown page bundles in a folder."""

from __future__ import annotations

import re
from pathlib import Path

from igny8_tui.atomic_files import write_atomic
from igny8_tui.errors import InvalidInputError
from igny8_tui.publish.markdown import INDEX_FILE_NAME, render_article
from igny8_tui.publish.target import ArticleToPublish, PublishError, PublishResult

PUBLISHED_FILE_MODE = 0o644
_UNSAFE_PATH_CHARS = re.compile(r"[^\w-]+")


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

    def close(self) -> None:
        """Nothing to let go of: every write is finished when `publish` returns."""


def check_folder(folder: Path) -> str:
    """One line saying the folder takes files, or InvalidInputError saying why it does not."""
    probe = folder / ".igny8-write-check"
    try:
        write_atomic(probe, b"", site="published", mode=PUBLISHED_FILE_MODE)
        probe.unlink()
    except OSError as exc:
        raise InvalidInputError(
            f"cannot write to {folder} ({exc.strerror}): make it writable by this user, or "
            "choose another with `igny8 publish set --site S folder --dir PATH`"
        ) from None
    return f"articles are written to {folder}/<site>/<slug>/index.md"


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
                f"{image.kind} image {image.path} is missing. Regenerate it and publish again "
                f"with `igny8 retry --site {article.site_slug} --item {article.content_id}`."
            )
        name = image.path.name
        if name == INDEX_FILE_NAME or paths_by_name.setdefault(name, image.path) != image.path:
            raise PublishError(
                f"Cannot publish article {article.content_id} ({article.title!r}): more than one "
                f"file would be named {name!r} in its folder. Rename the image, then publish again."
            )
