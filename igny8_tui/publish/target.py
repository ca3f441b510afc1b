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
    # The Image row's id: a remote target names the upload after it, to find it again after a
    # crash (WordPress has no idempotency key).
    image_id: int = 0


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
    tags: list[str]  # the idea's target keywords
    published_at: AwareDatetime  # naive datetimes are rejected; targets convert to UTC
    images: list[ArticleImage]
    cluster_name: str | None = None  # a remote target's category
    # A remote target's post status; `future` publishes at `scheduled_at` (drip publishing).
    status: Literal["publish", "draft", "future"] = "publish"
    scheduled_at: AwareDatetime | None = None


class RemoteMedia(BaseModel):
    """An image uploaded to a remote target."""

    image_id: int
    media_id: int
    url: str


class PublishResult(BaseModel):
    """Where a published article now lives."""

    location: str  # a path or URL
    remote_id: int | None = None  # the post's id on a remote target
    remote_status: str | None = None  # publish, draft or future, as the target reports it
    media: list[RemoteMedia] = []


class PublishTarget(Protocol):
    """A place stage 7 can publish articles to."""

    name: str

    def publish(self, article: ArticleToPublish) -> PublishResult: ...

    def site_folder(self, site_slug: str) -> Path | None:
        """The folder on this machine the site's articles are written to; None if remote."""
        ...

    def close(self) -> None:
        """Let go of connections; the run is done with this target."""
        ...


class PublishError(Exception):
    """A publish that failed for a reason the operator can fix; the message says how."""


class PublishFatalError(Exception):
    """The target refuses every article until the operator fixes something (a refused
    application password, a missing capability): the run pauses with this message."""

    def __init__(self, message: str, cause: Literal["credentials", "configuration"]) -> None:
        super().__init__(message)
        self.cause: Literal["credentials", "configuration"] = cause
