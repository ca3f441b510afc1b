"""The offline `local` provider: real clustering, intent-shaped writing and Pillow images."""

from __future__ import annotations

import time

from igny8_tui.ai.articles import write_article
from igny8_tui.ai.clustering import cluster_batch
from igny8_tui.ai.ideas import ideas_for_cluster
from igny8_tui.ai.image_prompts import image_prompts
from igny8_tui.ai.imaging import IMAGE_SIZES, render_png
from igny8_tui.ai.outputs import (
    ArticleDraft,
    ClusterDraft,
    ClusteringResult,
    ClusterInput,
    ContentInput,
    ExistingCluster,
    GeneratedImage,
    IdeasResult,
    ImagePromptsResult,
    ImageRequest,
    KeywordInput,
    TaskInput,
)


class LocalProvider:
    """Deterministic and offline: the same input always gives the same output, at no cost."""

    name = "local"

    def __init__(self, latency_s: float = 0.0) -> None:
        # Optional pacing, so a demo (or a test that steers a run) sees work take time.
        self.latency_s = latency_s

    def _pace(self) -> None:
        if self.latency_s > 0:
            time.sleep(self.latency_s)

    def cluster_keywords(
        self, batch: list[KeywordInput], existing: list[ExistingCluster]
    ) -> ClusteringResult:
        self._pace()
        drafts = [
            ClusterDraft(
                name=group.name,
                description=group.description,
                keywords=[keyword.text for keyword in group.keywords],
                existing_cluster_id=group.existing_cluster_id,
            )
            for group in cluster_batch(batch, existing)
        ]
        return ClusteringResult(clusters=drafts)

    def ideas_for_cluster(self, cluster: ClusterInput, count: int) -> IdeasResult:
        self._pace()
        return IdeasResult(ideas=ideas_for_cluster(cluster, count))

    def content_for_task(self, task: TaskInput) -> ArticleDraft:
        self._pace()
        return write_article(task)

    def image_prompts_for_content(self, content: ContentInput, count: int) -> ImagePromptsResult:
        self._pace()
        return ImagePromptsResult(prompts=image_prompts(content, count))

    def generate_image(self, request: ImageRequest) -> GeneratedImage:
        self._pace()
        width, height = IMAGE_SIZES[request.kind]
        return GeneratedImage(
            data=render_png(request.prompt, (width, height)),
            mime_type="image/png",
            width=width,
            height=height,
        )
