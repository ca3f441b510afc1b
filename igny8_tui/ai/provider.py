"""The one protocol every AI provider implements: the five AI operations of the pipeline."""

from __future__ import annotations

from typing import Literal, Protocol

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


class ProviderError(Exception):
    """An AI call failed for this item; the message is written for the operator."""


class ProviderFatalError(Exception):
    """The AI provider cannot work at all until the operator fixes something: the run pauses.

    ``cause`` says what: ``credentials`` (the API key was refused) or ``configuration`` (the
    model or address is wrong)."""

    def __init__(self, message: str, cause: Literal["credentials", "configuration"]) -> None:
        super().__init__(message)
        self.cause: Literal["credentials", "configuration"] = cause


class Provider(Protocol):
    name: str

    def cluster_keywords(
        self, batch: list[KeywordInput], existing: list[ExistingCluster]
    ) -> ClusteringResult: ...

    def ideas_for_cluster(self, cluster: ClusterInput, count: int) -> IdeasResult: ...

    def content_for_task(self, task: TaskInput) -> ArticleDraft: ...

    def image_prompts_for_content(
        self, content: ContentInput, count: int
    ) -> ImagePromptsResult: ...

    def generate_image(self, request: ImageRequest) -> GeneratedImage: ...
