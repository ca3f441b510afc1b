"""Publishing to a WordPress site over its REST API, exactly once across crashes and retries.

WordPress has no idempotency key, so every create is preceded by a look-up of what an earlier
attempt may have left: a media item by a file name derived from the image's id, a post by its
slug (with a marker in its content that says igny8 made it), a term by its name. A retry after
a timeout or a dropped connection repeats the look-up too, since the lost answer may have been
to a create the site did carry out.
"""

from __future__ import annotations

import html as html_lib
from collections.abc import Callable
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, Literal, TypeVar
from urllib.parse import unquote, urlsplit

import httpx
import nh3
from pydantic import BaseModel, SecretStr

from igny8_tui.content_html import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from igny8_tui.http_retry import RetryableError, retry_after_s, with_retries
from igny8_tui.publish.markdown import anchor_offset, image_anchors
from igny8_tui.publish.target import (
    ArticleImage,
    ArticleToPublish,
    PublishError,
    PublishFatalError,
    PublishResult,
    RemoteMedia,
)
from igny8_tui.redaction import redacted_url

T = TypeVar("T")
MAX_ATTEMPTS = 4
# WordPress answers these with 500, but a retry fails the same way (uploads not writable, a
# file type it refuses): the item fails instead.
_FINAL_SERVER_ERROR_PREFIX = "rest_upload_"
# The codes WordPress gives when the Authorization header arrived and was refused.
_REFUSED_PASSWORD_CODES = frozenset({"incorrect_password", "invalid_username", "invalid_email"})
_IMAGE_TYPES = {  # magic bytes: (Content-Type, file extension)
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
    b"GIF8": ("image/gif", ".gif"),
}
_WEB_SCHEMES = frozenset({"http", "https"})
_ROLES_THAT_PUBLISH = "the Author, Editor or Administrator role"


class WordPressAccount(BaseModel):
    """Who the application password signs in as, and whether they can publish."""

    url: str
    user: str
    display_name: str
    roles: list[str]
    can_publish: bool
    can_upload: bool


class WordPressRequestError(PublishError):
    """WordPress refused a request with a 4xx (or a final 5xx): its error code and message."""

    def __init__(self, message: str, status: int, code: str, data: dict[str, Any]) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.data = data


def content_marker(content_id: int) -> str:
    """The HTML comment that marks a post as igny8's article `content_id`."""
    return f"<!-- igny8:content:{content_id} -->"


def media_slug(image_id: int) -> str:
    """The slug WordPress gives the upload of image `image_id` (from its file name)."""
    return f"igny8-image-{image_id}"


class WordPressTarget:
    """Publishes each article as a post, its images as media items, on one WordPress site."""

    name = "wordpress"

    def __init__(
        self,
        url: str,
        user: str,
        app_password: SecretStr,
        *,
        timeout_s: float = 30.0,
        category_from_cluster: bool = True,
        tags_from_keywords: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.user = user
        self.timeout_s = timeout_s
        self.category_from_cluster = category_from_cluster
        self.tags_from_keywords = tags_from_keywords
        self._shown_url = redacted_url(self.url)
        self._client = httpx.Client(
            base_url=f"{self.url}/wp-json/",
            auth=httpx.BasicAuth(user, app_password.get_secret_value()),
            timeout=httpx.Timeout(timeout_s),
            transport=transport,
            headers={"Accept": "application/json"},
        )

    def __repr__(self) -> str:
        return f"WordPressTarget(url={self._shown_url!r}, user={self.user!r})"

    def close(self) -> None:
        self._client.close()

    def site_folder(self, site_slug: str) -> None:
        """Nothing on this machine: the articles live on the WordPress site."""
        return None

    # ----- the check -----

    def check(self) -> WordPressAccount:
        """Sign in and confirm the user may publish posts and upload files."""
        try:
            me = self._json(self._call(self._request, "GET", "wp/v2/users/me", {"context": "edit"}))
        except WordPressRequestError as exc:
            raise self._check_failure(exc) from None
        except PublishError as exc:
            raise PublishFatalError(str(exc), "configuration") from None
        capabilities = me.get("capabilities") or {}
        roles = [str(role) for role in me.get("roles") or []]
        account = WordPressAccount(
            url=self._shown_url,
            user=self.user,
            display_name=str(me.get("name", "")),
            roles=roles,
            can_publish=capabilities.get("publish_posts") is True,
            can_upload=capabilities.get("upload_files") is True,
        )
        for capable, capability, doing in (
            (account.can_publish, "publish_posts", "publish posts"),
            (account.can_upload, "upload_files", "upload files"),
        ):
            if not capable:
                role = ", ".join(roles) or "no role"
                raise PublishFatalError(
                    f"WordPress user {self.user} ({role}) on {self._shown_url} cannot {doing} "
                    f"(no {capability} capability): give them {_ROLES_THAT_PUBLISH}",
                    "configuration",
                )
        return account

    def _check_failure(self, exc: WordPressRequestError) -> PublishFatalError:
        if exc.status == 404:
            return PublishFatalError(
                f"no WordPress REST API at {self._shown_url}/wp-json/ (HTTP 404): check the URL "
                "(and that its permalinks are not set to Plain)",
                "configuration",
            )
        return PublishFatalError(str(exc), "configuration")

    def _refused(self, status: int, code: str, message: str) -> PublishFatalError:
        """The one-line error for a 401: the cause WordPress names, or both possible causes."""
        prefix = f"WordPress at {self._shown_url} refused the application password for {self.user}"
        if code in _REFUSED_PASSWORD_CODES:
            return PublishFatalError(
                f"{prefix}: {message} ({code}): check the application password for "
                f"{self._shown_url}",
                "credentials",
            )
        if code == "application_passwords_disabled" or not self._advertises_app_passwords():
            return PublishFatalError(
                f"application passwords are not available on {self._shown_url} ({code}): "
                "WordPress offers them over HTTPS only, unless a plugin disabled them",
                "configuration",
            )
        return PublishFatalError(
            f"{prefix} (HTTP {status} {code}): check the application password for "
            f"{self._shown_url}; if a new application password is refused too, the web server "
            "strips the Authorization header (Apache with CGI/FastCGI: add "
            '`SetEnvIf Authorization "(.*)" HTTP_AUTHORIZATION=$1` to .htaccess)',
            "credentials",
        )

    def _advertises_app_passwords(self) -> bool:
        """Whether the site's REST index says application passwords are available (it omits
        them without HTTPS or when a plugin turned them off). True when the index is unreadable:
        this only refines a message."""
        try:
            index = self._client.get("", auth=None)
            authentication = index.json().get("authentication")
        except (httpx.HTTPError, ValueError, AttributeError):
            return True
        return not isinstance(authentication, dict) or "application-passwords" in authentication

    # ----- publishing -----

    def publish(self, article: ArticleToPublish) -> PublishResult:
        media = self.upload_images(article)
        by_image = {item.image_id: item for item in media}
        featured = next((i for i in article.images if i.kind == "featured"), None)
        fields: dict[str, Any] = {
            "title": article.title,
            "content": self.post_content(article, by_image),
            "slug": article.slug,
            "excerpt": article.meta_description,
            "status": article.status,
            "featured_media": by_image[featured.image_id].media_id if featured else 0,
        }
        if article.status == "future":
            if article.scheduled_at is None:
                raise ValueError(f"article {article.content_id} is `future` with no scheduled_at")
            fields["date_gmt"] = _wordpress_gmt(article.scheduled_at)
        if self.category_from_cluster and article.cluster_name and article.cluster_name.strip():
            fields["categories"] = [self._term_id("categories", article.cluster_name)]
        if self.tags_from_keywords:
            fields["tags"] = self._tag_ids(article.tags)
        post = self._call(self._find_or_create_post, article, fields)
        self._verify_post(article, fields, post)
        return PublishResult(
            location=str(post.get("link", "")),
            remote_id=int(post["id"]),
            remote_status=str(post.get("status", "")),
            media=media,
        )

    def upload_images(self, article: ArticleToPublish) -> list[RemoteMedia]:
        """Each image as a media item with its alt text, featured first: uploaded, or adopted
        from an earlier attempt."""
        ordered = sorted(article.images, key=lambda i: (i.kind != "featured", i.position))
        return [self._call(self._find_or_upload, image) for image in ordered]

    def post_content(self, article: ArticleToPublish, media: dict[int, RemoteMedia]) -> str:
        """The post's HTML: the in-article images placed as the folder target places them, at
        their remote URLs; sanitised; ending with the igny8 marker."""
        body = article.html
        anchors = image_anchors(body)
        in_article = sorted(
            (image for image in article.images if image.kind == "in_article"),
            key=attrgetter("position"),
        )
        placed = sorted(
            (
                (anchor_offset(anchors, image.position, len(body)), index, image)
                for index, image in enumerate(in_article)
            ),
            key=lambda entry: (entry[0], entry[1]),
        )
        parts: list[str] = []
        cursor = 0
        for offset, _index, image in placed:
            parts += [body[cursor:offset], _figure(media[image.image_id].url, image.alt)]
            cursor = offset
        parts.append(body[cursor:])
        cleaned = nh3.clean(
            "".join(parts),
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            attribute_filter=_web_image_sources_only,
        )
        return f"{cleaned}\n{content_marker(article.content_id)}"

    # ----- media -----

    def _find_or_upload(self, image: ArticleImage) -> RemoteMedia:
        if image.image_id <= 0:
            raise ValueError(f"image {image.path.name} has no id to name its upload after")
        slug = media_slug(image.image_id)
        found = self._json(
            self._request("GET", "wp/v2/media", {"slug": slug, "context": "edit"}),
        )
        if found:
            item = found[0]
            if item.get("alt_text") != image.alt:
                item = self._json(
                    self._request("POST", f"wp/v2/media/{item['id']}", json={"alt_text": image.alt})
                )
        else:
            item = self._upload(image, slug)
        if item.get("slug") != slug:
            raise PublishError(
                f"WordPress at {self._shown_url} named media item {item.get('id')} "
                f"{item.get('slug')!r} instead of {slug!r}: another item has that name"
            )
        if item.get("alt_text") != image.alt:
            raise PublishError(
                f"WordPress at {self._shown_url} did not keep the alt text of media item "
                f"{item.get('id')}"
            )
        return RemoteMedia(
            image_id=image.image_id, media_id=int(item["id"]), url=str(item["source_url"])
        )

    def _upload(self, image: ArticleImage, slug: str) -> dict[str, Any]:
        try:
            data = image.path.read_bytes()
        except OSError as exc:
            raise PublishError(f"cannot read image {image.path.name}: {exc.strerror}") from None
        content_type, extension = _image_type(data, image.path.name)
        response = self._request(
            "POST",
            "wp/v2/media",
            {"alt_text": image.alt},
            content=data,
            headers={
                "Content-Type": content_type,
                "Content-Disposition": f'attachment; filename="{slug}{extension}"',
            },
        )
        uploaded: dict[str, Any] = self._json(response)
        return uploaded

    # ----- terms -----

    def _tag_ids(self, names: list[str]) -> list[int]:
        seen: dict[str, str] = {}
        for name in names:
            if name.strip():
                seen.setdefault(name.strip().casefold(), name.strip())
        return [self._term_id("tags", name) for name in seen.values()]

    def _term_id(self, taxonomy: Literal["categories", "tags"], name: str) -> int:
        return self._call(self._find_or_create_term, taxonomy, name.strip())

    def _find_or_create_term(self, taxonomy: str, name: str) -> int:
        found = self._json(
            self._request("GET", f"wp/v2/{taxonomy}", {"search": name, "per_page": 100})
        )
        for term in found:
            if html_lib.unescape(str(term.get("name", ""))).casefold() == name.casefold():
                return int(term["id"])
        try:
            created = self._json(self._request("POST", f"wp/v2/{taxonomy}", json={"name": name}))
        except WordPressRequestError as exc:
            term_id = exc.data.get("term_id")
            if exc.code == "term_exists" and isinstance(term_id, int):
                return term_id
            raise
        return int(created["id"])

    # ----- posts -----

    def _find_or_create_post(self, article: ArticleToPublish, fields: dict[str, Any]) -> Any:
        found = self._json(
            self._request(
                "GET", "wp/v2/posts", {"slug": article.slug, "status": "any", "context": "edit"}
            )
        )
        marker = content_marker(article.content_id)
        for post in found:
            if marker in str((post.get("content") or {}).get("raw", "")):
                return self._json(self._request("POST", f"wp/v2/posts/{post['id']}", json=fields))
        if found:
            raise PublishError(
                f"a post with slug {article.slug} already exists on {self._shown_url} "
                f"(id {found[0]['id']}) and igny8 did not make it"
            )
        return self._json(self._request("POST", "wp/v2/posts", json=fields))

    def _verify_post(self, article: ArticleToPublish, fields: dict[str, Any], post: Any) -> None:
        """WordPress renames a clashing slug and drops unknown term and media ids in silence."""
        where = f"post {post.get('id')} on {self._shown_url}"
        slug = unquote(str(post.get("slug", "")))
        if slug.casefold() != article.slug.casefold():
            raise PublishError(
                f"WordPress created {where} with slug {slug} instead of {article.slug}: another "
                "post took that slug"
            )
        for field in ("featured_media", "categories", "tags"):
            if field in fields and _as_set(post.get(field)) != _as_set(fields[field]):
                raise PublishError(
                    f"WordPress did not keep the {field} of {where}: sent {fields[field]}, "
                    f"got {post.get(field)}"
                )
        expected = {"future": {"future", "publish"}}.get(article.status, {article.status})
        if post.get("status") not in expected:
            raise PublishError(f"{where} is {post.get('status')}, not {article.status}")
        scheduled = post.get("status") == "future"
        if scheduled and post.get("date_gmt") != fields.get("date_gmt"):
            raise PublishError(
                f"{where} is scheduled for {post.get('date_gmt')} UTC, not {fields['date_gmt']}"
            )

    # ----- HTTP with retries -----

    def _call(self, step: Callable[..., T], *args: Any) -> T:
        """Run one step (a look-up and the create it may lead to) with retries."""
        try:
            return with_retries(MAX_ATTEMPTS, step, *args)
        except RetryableError as exc:
            raise PublishError(f"{exc} (gave up after {MAX_ATTEMPTS} attempts)") from None

    def _request(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        where = f"WordPress at {self._shown_url}"
        try:
            response = self._client.request(method, path, params=params, **kwargs)
        except httpx.TimeoutException:
            raise RetryableError(f"{where} did not answer within {self.timeout_s:g} s") from None
        except httpx.TransportError as exc:
            raise RetryableError(f"{where} did not answer: {type(exc).__name__}") from None
        status = response.status_code
        if status < 400:
            return response
        code, message, data = _wordpress_error(response)
        said = f"HTTP {status} {code}: {message}" if code else f"HTTP {status}: {message}"
        if status == 429 or (status >= 500 and not code.startswith(_FINAL_SERVER_ERROR_PREFIX)):
            raise RetryableError(f"{where} answered {said}", retry_after_s(response))
        if status == 401:
            raise self._refused(status, code, message)
        if status == 403:
            if code.startswith("rest_cannot_"):
                raise PublishFatalError(
                    f"{where} refused {self.user} ({said}): give them {_ROLES_THAT_PUBLISH}",
                    "configuration",
                )
            raise PublishFatalError(
                f"{where} refused the request ({said}): check the application password for "
                f"{self._shown_url}",
                "credentials",
            )
        raise WordPressRequestError(f"{where} answered {said}", status, code, data)

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise PublishError(
                f"{self._shown_url} answered {response.request.url.path} with something other "
                "than JSON: is it a WordPress site?"
            ) from None


def _wordpress_error(response: httpx.Response) -> tuple[str, str, dict[str, Any]]:
    """WordPress's error `code`, its `message` as plain text, and its `data`."""
    try:
        body = response.json()
    except ValueError:
        return "", response.reason_phrase, {}
    if not isinstance(body, dict):
        return "", response.reason_phrase, {}
    message = nh3.clean(str(body.get("message", "")), tags=set())
    data = body.get("data")
    return (
        str(body.get("code", "")),
        html_lib.unescape(message),
        data if isinstance(data, dict) else {},
    )


def _image_type(data: bytes, name: str) -> tuple[str, str]:
    for magic, kind in _IMAGE_TYPES.items():
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", ".webp"
    raise PublishError(f"image {name} is not a PNG, JPEG, GIF or WebP file")


def _figure(url: str, alt: str) -> str:
    return f'<figure><img src="{html_lib.escape(url)}" alt="{html_lib.escape(alt)}"></figure>'


def _web_image_sources_only(tag: str, attribute: str, value: str) -> str | None:
    """Keep an <img src> only if it is a web URL: no local path or file: URL reaches a post."""
    if tag == "img" and attribute == "src":
        try:
            parts = urlsplit(value.strip())
        except ValueError:
            return None
        return value if parts.scheme.lower() in _WEB_SCHEMES and parts.netloc else None
    return value


def _wordpress_gmt(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat()


def _as_set(value: object) -> frozenset[object]:
    if isinstance(value, list):
        return frozenset(value)
    return frozenset([value])
