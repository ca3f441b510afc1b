"""What a publish target receives, what it returns, and the interface every target implements."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict


class ArticleImage(BaseModel):
    """One generated image of an article, already on disk."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["featured", "in_article"]
    position: int  # 0 for featured, 1..N in-article
    path: Path
    alt: str


class ArticleToPublish(BaseModel):
    """A finished article with everything a target needs to publish it."""

    model_config = ConfigDict(frozen=True)

    content_id: int
    site_slug: str
    title: str
    slug: str
    html: str
    meta_title: str
    meta_description: str
    tags: list[str]
    published_at: AwareDatetime  # naive datetimes are rejected; targets convert to UTC
    images: list[ArticleImage]


class PublishResult(BaseModel):
    """Where a published article now lives."""

    location: str  # a path or URL


class PublishTarget(Protocol):
    """A place stage 7 can publish articles to."""

    name: str

    def publish(self, article: ArticleToPublish) -> PublishResult: ...

    def site_folder(self, site_slug: str) -> Path | None:
        """The folder on this machine the site's articles are written to; None if remote."""
        ...


class PublishError(Exception):
    """A publish that failed for a reason the operator can fix; the message says how."""
