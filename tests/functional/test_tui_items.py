"""The articles screen and one article, driven through Pilot over real runs."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import select
from textual.widgets import DataTable, Input, Markdown, Select, Static
from textual_image.widget import Image as TerminalImage

from igny8_tui.db.models import Image
from igny8_tui.runtime import Runtime
from igny8_tui.tui.app import Igny8App
from igny8_tui.tui.screens.item_detail import ItemDetailScreen
from igny8_tui.tui.screens.items import ItemsScreen
from tests.conftest import demo_site
from tests.functional.test_tui_dashboard import until

ARTICLES = 6


def _completed_small_site(runtime: Runtime) -> int:
    site_id = demo_site(runtime, small=True)
    run_id = runtime.service.run_now(site_id).run_id
    runtime.executor(run_id, threading.Event()).execute()
    return site_id


def _app(runtime: Runtime, site_id: int) -> Igny8App:
    return Igny8App(runtime, site_id, host=False)


async def test_the_articles_screen_lists_filters_and_opens_an_article(runtime: Runtime) -> None:
    site_id = _completed_small_site(runtime)
    app = _app(runtime, site_id)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ItemsScreen))
        table = app.screen.query_one("#items-table", DataTable)
        await until(pilot, lambda: table.row_count == ARTICLES)
        first = table.get_row_at(0)
        assert first[3] == "published" and str(first[5]) == "5/5"
        assert str(first[6]).startswith(str(runtime.settings.publish_dir))

        app.screen.query_one("#items-status", Select).value = "review"
        await until(pilot, lambda: table.row_count == 0)
        assert "No articles match" in str(app.screen.query_one("#items-empty", Static).content)
        app.screen.query_one("#items-status", Select).value = "all"
        title = str(first[1])
        app.screen.query_one("#items-search", Input).value = title[:12].upper()
        await until(pilot, lambda: 0 < table.row_count < ARTICLES)

        table.focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ItemDetailScreen))
        screen = app.screen
        await until(pilot, lambda: "status" in str(screen.query_one("#item-metadata").content))
        metadata = str(screen.query_one("#item-metadata", Static).content)
        assert "published" in metadata and str(runtime.settings.publish_dir) in metadata
        await until(pilot, lambda: len(screen.query(TerminalImage)) == 5)
        preview = screen.query_one("#item-preview", Markdown)
        await until(pilot, lambda: "## " in preview.source)
        await pilot.press("escape")
        assert isinstance(app.screen, ItemsScreen)


async def test_retry_in_the_article_puts_its_failed_images_back_in_their_queue(
    runtime: Runtime,
) -> None:
    site_id = _completed_small_site(runtime)
    with runtime.db.write() as session:
        image = session.scalars(select(Image).order_by(Image.id)).first()
        assert image is not None
        image.status, image.error = "failed", "disk said no"
        content_id, image_id = image.content_id, image.id
        Path(image.file_path or "").unlink()
    app = _app(runtime, site_id)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.push_screen(ItemDetailScreen(runtime, site_id, content_id))
        screen = app.screen
        failures = screen.query_one("#item-failures", Static)
        await until(pilot, lambda: "disk said no" in str(failures.content))
        await pilot.press("R")
        await until(pilot, lambda: _image_status(runtime, image_id) == "pending")


def _image_status(runtime: Runtime, image_id: int) -> str:
    with runtime.db.read() as session:
        image = session.get(Image, image_id)
        return image.status if image else ""
