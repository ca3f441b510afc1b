"""One article: its metadata, its images (drawn in the terminal) with their prompts, its
failures with their reasons, and the article itself rendered from Markdown."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Markdown, Static

from igny8_tui.errors import Igny8Error
from igny8_tui.formatting import count, date_time, retried_sentence
from igny8_tui.runtime import Runtime
from igny8_tui.schemas import ArticleDetail, ArticleImageDetail
from igny8_tui.tui.messages import Notice
from igny8_tui.tui.widgets.footer import DashboardFooter

# textual-image logs a warning with a traceback when the terminal does not answer its question
# about cell sizes (it then assumes a size): not something to print over the operator's screen.
logging.getLogger("textual_image").addHandler(logging.NullHandler())
logging.getLogger("textual_image").propagate = False

from textual_image.widget import Image as TerminalImage  # noqa: E402

NO_VALUE = "—"


def metadata_lines(article: ArticleDetail) -> str:
    """The article's facts, a line each."""
    published = date_time(article.published_at) if article.published_at else "not yet"
    return "\n".join(
        [
            f"status      {article.status}",
            f"cluster     {article.cluster or NO_VALUE}",
            f"keywords    {', '.join(article.keywords) or NO_VALUE}",
            f"words       {count(article.words)}",
            f"slug        {article.slug}",
            f"where       {article.location or NO_VALUE}",
            f"published   {published}",
            f"meta title  {article.meta_title}",
            f"description {article.meta_description}",
        ]
    )


def image_caption(image: ArticleImageDetail) -> str:
    where = image.remote_url or (Path(image.file_path).name if image.file_path else "no file")
    lines = [f"{image.kind.replace('_', '-')} {image.position} · {image.status} · {where}"]
    if image.error:
        lines.append(f"error: {image.error}")
    lines.append(image.prompt)
    return "\n".join(lines)


@dataclass
class ArticleLoaded(Message):
    article: ArticleDetail


class ItemDetailScreen(Screen[None]):
    """The article and everything about it; `R` puts what failed back in its queue."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="item.back"),
        Binding("R", "retry", "Retry failed", id="item.retry"),
    ]

    def __init__(self, runtime: Runtime, site_id: int, content_id: int) -> None:
        super().__init__()
        self.runtime = runtime
        self.site_id = site_id
        self.content_id = content_id

    def compose(self) -> ComposeResult:
        yield Static(f"Article {self.content_id}", id="item-title", classes="screen-title")
        with Horizontal(id="item-columns"):
            with VerticalScroll(id="item-facts"):
                yield Static("Loading…", id="item-metadata")
                yield Static("Failures", classes="section-title", id="item-failures-title")
                yield Static("", id="item-failures")
                yield Static("Images", classes="section-title")
                yield Vertical(id="item-images")
            yield Markdown("", id="item-preview")
        yield DashboardFooter()

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, group="item", exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        try:
            article = self.runtime.workspace.article(self.site_id, self.content_id)
        except Igny8Error as exc:
            self.post_message(Notice(str(exc), "error"))
            return
        self.post_message(ArticleLoaded(article))

    async def on_article_loaded(self, message: ArticleLoaded) -> None:
        article = message.article
        self.query_one("#item-title", Static).update(f"Article {article.id} · {article.title}")
        self.query_one("#item-metadata", Static).update(metadata_lines(article))
        failures = "\n".join(f"stage {f.stage} · {f.what}: {f.reason}" for f in article.failures)
        self.query_one("#item-failures", Static).update(failures)
        self.query_one("#item-failures").display = bool(failures)
        self.query_one("#item-failures-title").display = bool(failures)
        images = self.query_one("#item-images", Vertical)
        await images.remove_children()
        for image in article.images:
            path = Path(image.file_path) if image.file_path else None
            # The caption goes under the picture: a picture drawn in cells clears the rest of
            # its lines in some terminals, which would hide a caption beside it.
            row = Vertical(classes="item-image")
            await images.mount(row)
            if path is not None and path.is_file():
                await row.mount(TerminalImage(path, classes="item-picture"))
            await row.mount(Static(image_caption(image), classes="item-caption"))
        await self.query_one("#item-preview", Markdown).update(article.markdown)

    def action_retry(self) -> None:
        self._retry()

    @work(thread=True, group="item-retry", exclusive=True, exit_on_error=False)
    def _retry(self) -> None:
        try:
            report = self.runtime.service.retry(self.site_id, item_id=self.content_id)
        except Igny8Error as exc:
            self.post_message(Notice(str(exc), "error"))
            return
        self.post_message(Notice(retried_sentence(report), "information"))
        self._load()

    def action_back(self) -> None:
        self.dismiss(None)
