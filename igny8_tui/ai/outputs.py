"""Pydantic models for what the engine hands a provider and what a provider must return."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Intent = Literal["informational", "commercial", "transactional", "navigational"]
ImageKind = Literal["featured", "in_article"]
ImageMimeType = Literal["image/png", "image/jpeg"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TokenUsage(_Frozen):
    """Tokens a provider reports for one call; `local` reports none."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


# ----- inputs -----


class KeywordInput(_Frozen):
    id: int
    text: str
    volume: int = 0
    difficulty: int | None = None
    intent: Intent | None = None


class ExistingCluster(_Frozen):
    """A cluster made by an earlier batch or run, which new keywords may join."""

    id: int
    name: str
    keywords: list[str]


class ClusterInput(_Frozen):
    id: int
    name: str
    description: str
    keywords: list[KeywordInput]
    site_name: str


class TaskInput(_Frozen):
    id: int
    title: str
    description: str
    outline: list[str]
    target_keywords: list[str]
    target_word_count: int
    content_type: str
    content_structure: str
    site_name: str


class ContentInput(_Frozen):
    id: int
    title: str
    headings: list[str]
    keywords: list[str]
    site_name: str


class ImageRequest(_Frozen):
    id: int
    kind: ImageKind
    position: int
    prompt: str


# ----- outputs -----


class ClusterDraft(_Frozen):
    """One cluster a clustering call proposes.

    `keywords` are texts from the batch. With `existing_cluster_id` set the keywords
    join that cluster and `name`/`description` are ignored.
    """

    name: str = Field(min_length=1, max_length=200)
    description: str
    keywords: list[str] = Field(min_length=1)
    existing_cluster_id: int | None = None


class ClusteringResult(_Frozen):
    clusters: list[ClusterDraft]
    usage: TokenUsage | None = None


class IdeaDraft(_Frozen):
    title: str = Field(min_length=1, max_length=300)
    description: str
    content_type: str
    content_structure: str
    outline: list[str] = Field(min_length=1)
    target_keywords: list[str] = Field(min_length=1)
    target_word_count: int = Field(gt=0, le=20000)


class IdeasResult(_Frozen):
    ideas: list[IdeaDraft] = Field(min_length=1)
    usage: TokenUsage | None = None


class ArticleDraft(_Frozen):
    title: str = Field(min_length=1, max_length=300)
    html: str = Field(min_length=1)
    meta_title: str = Field(max_length=120)
    meta_description: str = Field(max_length=320)
    usage: TokenUsage | None = None


class ImagePromptDraft(_Frozen):
    kind: ImageKind
    prompt: str = Field(min_length=1)


class ImagePromptsResult(_Frozen):
    prompts: list[ImagePromptDraft] = Field(min_length=1)
    usage: TokenUsage | None = None


class GeneratedImage(_Frozen):
    data: bytes
    mime_type: ImageMimeType
    width: int
    height: int
    usage: TokenUsage | None = None
