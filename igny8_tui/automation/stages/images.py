"""Stage 6, Image Prompts → Images: an image per prompt, written under the data directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, cast

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import Session

from igny8_tui.ai.outputs import ImageRequest
from igny8_tui.atomic_files import write_atomic
from igny8_tui.automation.credits import Costs, fresh_item_key
from igny8_tui.automation.stages.base import Applied, PipelineRatios, Stage, Unit
from igny8_tui.db.models import AutomationConfig, Image
from igny8_tui.schemas import StageResult
from igny8_tui.settings import Settings

_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg"}
ImageKind = Literal["featured", "in_article"]


def site_media_dir(settings: Settings, site_slug: str) -> Path:
    """The folder of a site's generated images."""
    return settings.media_dir / site_slug


def image_label(kind: str, position: int, content_id: int) -> str:
    """How an image is named in the log and the processing card."""
    return f"{kind.replace('_', '-')} image {position} of article {content_id}"


class Stage6Result(StageResult):
    PROCESSED_FIELD: ClassVar[str] = "images_processed"
    MADE: ClassVar[tuple[tuple[str, str], ...]] = (("images_generated", "images"),)
    images_processed: int = 0
    images_generated: int = 0


@dataclass(frozen=True)
class WrittenImage:
    path: Path
    width: int
    height: int


class ImagesStage(Stage):
    number = 6
    name = "Image Prompts → Images"
    short_name = "Images"
    card_name = "Images"
    card_made = "{images_generated} images"
    noun = "image prompts"
    result_model = Stage6Result
    entity = Image
    id_column = Image.id
    queue_order = (Image.id,)
    label_column = Image.prompt
    parallel = True

    @classmethod
    def pending_filter(cls, site_id: int, config: AutomationConfig) -> ColumnElement[bool]:
        return and_(Image.site_id == site_id, Image.status == "pending")

    @classmethod
    def queue_labels(
        cls, session: Session, site_id: int, config: AutomationConfig, limit: int
    ) -> list[str]:
        query = cls.queue(site_id, config, Image.kind, Image.position, Image.content_id)
        return [image_label(*row) for row in session.execute(query.limit(limit))]

    @classmethod
    def estimate_milli(
        cls, items: int, ratios: PipelineRatios, costs: Costs, config: AutomationConfig
    ) -> int:
        return items * costs.image

    def next_unit(
        self, session: Session, batch_room: int, exclude: frozenset[int] = frozenset()
    ) -> Unit | None:
        image: Image | None = session.scalars(
            self.pending_units(Image, exclude=exclude).limit(1)
        ).first()
        if image is None:
            return None
        request = ImageRequest(
            id=image.id,
            kind=cast(ImageKind, image.kind),
            position=image.position,
            prompt=image.prompt,
        )
        label = image_label(image.kind, image.position, image.content_id)
        return Unit(
            key=fresh_item_key(session, self.ctx.run_id, self.number, f"image:{image.id}"),
            item_id=image.id,
            label=label,
            item_count=1,
            cost_milli=self.ctx.costs.image,
            payload=(request, image.content_id),
        )

    def call(self, unit: Unit) -> WrittenImage:
        request, content_id = unit.payload
        generated = self.ctx.provider.generate_image(request)
        name = f"{request.position:02d}-{request.kind.replace('_', '-')}"
        path = (
            site_media_dir(self.ctx.settings, self.ctx.site_slug)
            / str(content_id)
            / f"{name}.{_EXTENSIONS[generated.mime_type]}"
        )
        write_atomic(path, generated.data, site="media")
        return WrittenImage(path=path, width=generated.width, height=generated.height)

    def apply(self, session: Session, unit: Unit, output: Any) -> Applied | None:
        written: WrittenImage = output
        image = session.get(Image, unit.payload[0].id)
        if image is None or image.status != "pending":
            return None
        image.status = "generated"
        image.file_path = str(written.path)
        return Applied(
            counters={"images_processed": 1, "images_generated": 1},
            charge_milli=self.ctx.costs.billed("images", self.ctx.costs.image, None),
            message=f"{unit.label} · {written.width}x{written.height}",
        )

    def fail(self, session: Session, unit: Unit, reason: str) -> Applied:
        image = session.get(Image, unit.payload[0].id)
        if image is not None:
            image.status = "failed"
            image.error = reason
        return Applied(
            counters={"images_processed": 1},
            message=f"{unit.label} failed: {reason}",
            failed=True,
        )
