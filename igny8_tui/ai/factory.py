"""Builds the provider the settings name."""

from __future__ import annotations

from igny8_tui.ai.outputs import (
    ArticleDraft,
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
from igny8_tui.ai.provider import Provider
from igny8_tui.settings import Settings


class ImagesFromElsewhere:
    """Text from one provider, images from another (for servers without an images endpoint)."""

    def __init__(self, text: Provider, images: Provider) -> None:
        self.name = f"{text.name} (images: {images.name})"
        self.text, self.images = text, images

    def cluster_keywords(
        self, batch: list[KeywordInput], existing: list[ExistingCluster]
    ) -> ClusteringResult:
        return self.text.cluster_keywords(batch, existing)

    def ideas_for_cluster(self, cluster: ClusterInput, count: int) -> IdeasResult:
        return self.text.ideas_for_cluster(cluster, count)

    def content_for_task(self, task: TaskInput) -> ArticleDraft:
        return self.text.content_for_task(task)

    def image_prompts_for_content(self, content: ContentInput, count: int) -> ImagePromptsResult:
        return self.text.image_prompts_for_content(content, count)

    def generate_image(self, request: ImageRequest) -> GeneratedImage:
        return self.images.generate_image(request)


def _build(kind: str, settings: Settings) -> Provider:
    if kind == "local":
        from igny8_tui.ai.local import LocalProvider

        return LocalProvider(latency_s=settings.local_latency_ms / 1000)
    from igny8_tui.ai.openai_compat import OpenAICompatibleProvider

    return OpenAICompatibleProvider(settings)


def build_provider(settings: Settings) -> Provider:
    """The provider the settings name, drawing images where IGNY8_IMAGE_PROVIDER says."""
    text = _build(settings.ai_provider, settings)
    if settings.images_from == settings.ai_provider:
        return text
    return ImagesFromElsewhere(text, _build(settings.images_from, settings))
