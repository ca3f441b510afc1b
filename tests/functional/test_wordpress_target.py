"""The WordPress publish target against a real WordPress (tests/wordpress_site.py): one post per
article and one media item per image, whatever crashes and retries happen, and a one-line
error for each fault."""

from __future__ import annotations

import http.server
import io
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from pydantic import SecretStr

from igny8_tui.publish.target import (
    ArticleImage,
    ArticleToPublish,
    PublishError,
    PublishFatalError,
)
from igny8_tui.publish.wordpress import WordPressTarget
from tests.wordpress_site import WordPressSite, WordPressUser

ARTICLE_HTML = (
    "<p>Raised beds warm up early.</p>"
    "<h2>Soil</h2><p>Mix compost in.</p><p>Water well.</p>"
    "<h2>Timber</h2><p>Use larch.</p>"
    '<p>Local <img src="file:///etc/passwd" alt="leak"> and <img src="/tmp/x.png" alt="x">'
    '<script>alert(1)</script><a href="javascript:alert(1)">link</a></p>'
)
PASSWORD_IN_NO_MESSAGE = "WRONG1234 pass word"


def write_image(path: Path, colour: tuple[int, int, int], kind: str = "PNG") -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 8), colour).save(buffer, format=kind)
    path.write_bytes(buffer.getvalue())
    return path


def an_article(media_dir: Path, content_id: int = 7, **fields: Any) -> ArticleToPublish:
    media_dir.mkdir(parents=True, exist_ok=True)
    base = content_id * 10
    images = [
        ArticleImage(
            kind="featured",
            position=0,
            path=write_image(media_dir / f"featured-{content_id}.png", (200, 30, 30)),
            alt="A raised bed & its soil",
            image_id=base + 1,
        ),
        ArticleImage(
            kind="in_article",
            position=1,
            path=write_image(media_dir / f"in-1-{content_id}.jpg", (30, 200, 30), "JPEG"),
            alt="Compost",
            image_id=base + 2,
        ),
        ArticleImage(
            kind="in_article",
            position=2,
            path=write_image(media_dir / f"in-2-{content_id}.png", (30, 30, 200)),
            alt="Larch boards",
            image_id=base + 3,
        ),
    ]
    values: dict[str, Any] = {
        "content_id": content_id,
        "site_slug": "garden",
        "title": "Raised beds for beginners",
        "slug": f"raised-beds-{content_id}",
        "html": ARTICLE_HTML,
        "meta_title": "Raised beds",
        "meta_description": "How to build raised beds.",
        "tags": ["raised beds", "Raised Beds", "garden & soil"],
        "published_at": datetime(2025, 3, 1, 9, 0, tzinfo=UTC),
        "images": images,
        "cluster_name": "Garden Beds & Borders",
        **fields,
    }
    return ArticleToPublish(**values)


def target_for(
    site: WordPressSite,
    *,
    url: str | None = None,
    user: str | None = None,
    password: str | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout_s: float = 10.0,
) -> WordPressTarget:
    return WordPressTarget(
        url or site.url,
        user or site.user,
        SecretStr(password or site.app_password),
        timeout_s=timeout_s,
        transport=transport,
    )


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    return tmp_path / "igny8-media"


def test_an_article_becomes_one_post_with_its_images_uploaded_and_placed(
    wordpress_clean: WordPressSite, media_dir: Path
) -> None:
    site = wordpress_clean
    article = an_article(media_dir)
    target = target_for(site)

    result = target.publish(article)

    [post] = site.posts()
    media = {item["id"]: item for item in site.media()}
    assert len(media) == 3
    assert result.remote_id == post["id"] and result.remote_status == "publish"
    assert result.location == post["link"]
    assert post["slug"] == article.slug and post["excerpt"]["raw"] == article.meta_description
    by_image = {remote.image_id: remote for remote in result.media}
    assert post["featured_media"] == by_image[71].media_id
    assert {media[remote.media_id]["alt_text"] for remote in result.media} == {
        "A raised bed & its soil",
        "Compost",
        "Larch boards",
    }
    content = post["content"]["raw"]
    assert f'src="{by_image[72].url}"' in content and f'src="{by_image[73].url}"' in content
    # Image 1 after the first paragraph of the first H2 section, image 2 after the second's.
    assert content.index("Mix compost in.") < content.index(by_image[72].url)
    assert content.index(by_image[72].url) < content.index("Water well.")
    assert content.index("Use larch.") < content.index(by_image[73].url)
    for leaked in (str(media_dir), "file:", "/tmp/x.png", "<script", "javascript:"):
        assert all(leaked not in p["content"]["raw"] for p in site.posts())
    [category] = site.get("/wp/v2/categories", search="Garden Beds")
    assert post["categories"] == [category["id"]]
    tags = site.get("/wp/v2/tags", per_page=100)
    assert sorted(tag["name"] for tag in tags) == ["garden &amp; soil", "raised beds"]
    assert sorted(post["tags"]) == sorted(tag["id"] for tag in tags)
    target.close()


def test_publishing_the_same_article_again_adopts_the_post_and_its_media(
    wordpress_clean: WordPressSite, media_dir: Path
) -> None:
    site = wordpress_clean
    first = target_for(site).publish(an_article(media_dir))

    again = target_for(site).publish(an_article(media_dir, title="Raised beds, revised"))

    [post] = site.posts()
    assert again.remote_id == first.remote_id == post["id"]
    assert post["title"]["raw"] == "Raised beds, revised"
    assert len(site.media()) == 3 and again.media == first.media
    assert len(site.get("/wp/v2/categories", search="Garden Beds")) == 1
    assert len(site.get("/wp/v2/tags")) == 2


def test_a_crash_after_the_uploads_and_before_the_post_leaves_no_duplicates(
    wordpress_clean: WordPressSite, media_dir: Path
) -> None:
    site = wordpress_clean
    article = an_article(media_dir)
    target_for(site).upload_images(article)  # the process dies here

    target_for(site).publish(article)

    assert len(site.posts()) == 1
    assert len(site.media()) == 3


class DropAnswerOnce(httpx.BaseTransport):
    """Forwards every request, but loses WordPress's answer to the first matching one: the site
    did the work, the client saw a dropped connection."""

    def __init__(self, method: str, path: str) -> None:
        self._inner = httpx.HTTPTransport()
        self._match = (method, path)
        self.dropped = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if (request.method, request.url.path) == self._match and not self.dropped:
            response.read()
            self.dropped += 1
            raise httpx.RemoteProtocolError("server disconnected", request=request)
        return response


@pytest.mark.parametrize("path", ["/wp-json/wp/v2/posts", "/wp-json/wp/v2/media"])
def test_an_answer_lost_after_a_create_is_retried_without_a_duplicate(
    wordpress_clean: WordPressSite, media_dir: Path, path: str
) -> None:
    site = wordpress_clean
    transport = DropAnswerOnce("POST", path)

    result = target_for(site, transport=transport).publish(an_article(media_dir))

    assert transport.dropped == 1
    assert [post["id"] for post in site.posts()] == [result.remote_id]
    assert len(site.media()) == 3


def test_a_post_with_the_slug_not_made_by_igny8_fails_the_item(
    wordpress_clean: WordPressSite, media_dir: Path
) -> None:
    site = wordpress_clean
    theirs = site.request(
        "POST", "/wp/v2/posts", json={"title": "Mine", "slug": "raised-beds-7", "status": "draft"}
    ).json()

    with pytest.raises(PublishError) as failure:
        target_for(site).publish(an_article(media_dir))

    assert type(failure.value) is PublishError
    assert f"a post with slug raised-beds-7 already exists on {site.url} (id {theirs['id']})" in (
        str(failure.value)
    )
    assert [post["id"] for post in site.posts()] == [theirs["id"]]


class HidePostsFromLookUps(httpx.BaseTransport):
    """A post made by someone else between our look-up and our create: the look-up sees none."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if (request.method, request.url.path) == ("GET", "/wp-json/wp/v2/posts"):
            return httpx.Response(200, json=[])
        return self._inner.handle_request(request)


def test_a_slug_wordpress_changed_is_a_conflict_not_a_success(
    wordpress_clean: WordPressSite, media_dir: Path
) -> None:
    site = wordpress_clean
    site.request("POST", "/wp/v2/posts", json={"title": "Mine", "slug": "raised-beds-7"})

    with pytest.raises(PublishError) as failure:
        target_for(site, transport=HidePostsFromLookUps()).publish(an_article(media_dir))

    [ours] = [post for post in site.posts() if post["slug"] == "raised-beds-7-2"]
    assert str(failure.value) == (
        f"WordPress created post {ours['id']} on {site.url} with slug raised-beds-7-2 instead "
        "of raised-beds-7: another post took that slug"
    )


def test_a_draft_stays_a_draft_and_a_future_post_is_scheduled_at_its_time(
    wordpress_clean: WordPressSite, media_dir: Path
) -> None:
    site = wordpress_clean
    when = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)

    draft = target_for(site).publish(an_article(media_dir, 7, status="draft"))
    future = target_for(site).publish(
        an_article(media_dir, 8, status="future", scheduled_at=when.astimezone())
    )

    assert draft.remote_status == "draft"
    assert future.remote_status == "future"
    scheduled = site.get(f"/wp/v2/posts/{future.remote_id}", context="edit")
    assert scheduled["status"] == "future"
    assert scheduled["date_gmt"] == when.replace(tzinfo=None).isoformat()


def test_unwritable_uploads_fail_the_item_at_once(
    wordpress_clean: WordPressSite, media_dir: Path
) -> None:
    site = wordpress_clean
    article = an_article(media_dir)
    started = time.monotonic()

    with site.uploads_unwritable(), pytest.raises(PublishError) as failure:
        target_for(site).publish(article)

    assert time.monotonic() - started < 3
    assert "HTTP 500 rest_upload_sideload_error" in str(failure.value)
    assert site.posts() == []


# ----- check() -----


def test_check_names_the_account_that_can_publish(wordpress: WordPressSite) -> None:
    account = target_for(wordpress).check()

    assert account.user == wordpress.user and account.roles == ["administrator"]
    assert account.can_publish and account.can_upload


def test_check_with_a_wrong_password_names_the_password_and_never_shows_it(
    wordpress: WordPressSite,
) -> None:
    target = target_for(wordpress, password=PASSWORD_IN_NO_MESSAGE)

    with pytest.raises(PublishFatalError) as failure:
        target.check()

    message = str(failure.value)
    assert failure.value.cause == "credentials"
    assert message.startswith(
        f"WordPress at {wordpress.url} refused the application password for {wordpress.user}"
    )
    assert f"check the application password for {wordpress.url}" in message
    assert "\n" not in message
    for shown in (message, repr(failure.value), repr(target)):
        assert "WRONG1234" not in shown


def test_check_with_a_contributor_names_the_missing_capability_and_role(
    wordpress: WordPressSite,
) -> None:
    contributor = wordpress.user_with_role("contributor")
    target = target_for(wordpress, user=contributor.login, password=contributor.app_password)

    with pytest.raises(PublishFatalError) as failure:
        target.check()

    assert failure.value.cause == "configuration"
    assert str(failure.value) == (
        f"WordPress user {contributor.login} (contributor) on {wordpress.url} cannot publish "
        "posts (no publish_posts capability): give them the Author, Editor or Administrator role"
    )


def test_publishing_as_a_contributor_pauses_the_run(
    wordpress_clean: WordPressSite, media_dir: Path
) -> None:
    contributor = wordpress_clean.user_with_role("contributor")
    target = target_for(wordpress_clean, user=contributor.login, password=contributor.app_password)

    with pytest.raises(PublishFatalError) as failure:
        target.publish(an_article(media_dir))

    assert failure.value.cause == "configuration"
    assert "HTTP 403 rest_cannot_create" in str(failure.value)


def test_check_of_a_site_that_is_not_wordpress_is_one_line(tmp_path: Path) -> None:
    with Proxy(None) as not_wordpress:
        target = WordPressTarget(not_wordpress.url, "admin", SecretStr("x"))
        with pytest.raises(PublishFatalError) as failure:
            target.check()

    assert failure.value.cause == "configuration"
    assert str(failure.value).startswith(f"no WordPress REST API at {not_wordpress.url}/wp-json/")


def test_check_of_a_site_that_does_not_answer_is_one_line() -> None:
    with Proxy(None) as gone:
        url = gone.url
    target = WordPressTarget(url, "admin", SecretStr("x"), timeout_s=1)

    with pytest.raises(PublishFatalError) as failure:
        target.check()

    assert failure.value.cause == "configuration"
    assert str(failure.value) == (
        f"WordPress at {url} did not answer: ConnectError (gave up after 4 attempts)"
    )


def test_a_host_that_strips_the_authorization_header_is_named_as_a_cause(
    wordpress: WordPressSite,
) -> None:
    with Proxy(wordpress.url, strip_authorization=True) as stripping:
        target = WordPressTarget(stripping.url, wordpress.user, SecretStr(wordpress.app_password))
        with pytest.raises(PublishFatalError) as failure:
            target.check()
        stripped = stripping.answers[0]

    wrong = wordpress.request(
        "GET", "/wp/v2/users/me", user=_wrong_admin(wordpress), params={"context": "edit"}
    )
    # WordPress 6.1 answers a refused password exactly as it answers no password at all.
    assert (stripped.status_code, stripped.body) == (wrong.status_code, wrong.content)
    assert failure.value.cause == "credentials"
    assert "strips the Authorization header" in str(failure.value)


def _wrong_admin(site: WordPressSite) -> WordPressUser:
    return WordPressUser(site.user, "administrator", "AAAA" * 6)


@pytest.mark.parametrize("fault", ["429", "503", "drop"])
def test_429_503_and_dropped_connections_are_retried(
    wordpress_clean: WordPressSite, media_dir: Path, fault: str
) -> None:
    with Proxy(wordpress_clean.url, faults=[fault]) as flaky:
        result = WordPressTarget(
            flaky.url, wordpress_clean.user, SecretStr(wordpress_clean.app_password)
        ).publish(an_article(media_dir))

    assert flaky.faults == []
    assert [post["id"] for post in wordpress_clean.posts()] == [result.remote_id]
    assert len(wordpress_clean.media()) == 3


def test_a_server_that_keeps_failing_fails_the_item_after_a_few_attempts(
    media_dir: Path,
) -> None:
    calls: list[httpx.Request] = []

    def always_503(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503, headers={"Retry-After": "0"}, text="busy")

    target = WordPressTarget(
        "http://wp.example", "admin", SecretStr("x"), transport=httpx.MockTransport(always_503)
    )

    with pytest.raises(PublishError, match=r"HTTP 503: .*gave up after 4 attempts"):
        target.publish(an_article(media_dir))
    assert len(calls) == 4


def test_another_4xx_fails_the_item_with_wordpress_code_and_message(media_dir: Path) -> None:
    def invalid(request: httpx.Request) -> httpx.Response:
        body = {"code": "rest_invalid_param", "message": "Invalid <b>parameter</b>", "data": {}}
        return httpx.Response(400, json=body)

    target = WordPressTarget(
        "http://wp.example", "admin", SecretStr("x"), transport=httpx.MockTransport(invalid)
    )

    with pytest.raises(PublishError) as failure:
        target.publish(an_article(media_dir))
    assert str(failure.value) == (
        "WordPress at http://wp.example answered HTTP 400 rest_invalid_param: Invalid parameter"
    )


# ----- a real HTTP proxy on 127.0.0.1 -----


class Answer:
    def __init__(self, status_code: int, body: bytes) -> None:
        self.status_code = status_code
        self.body = body


class Proxy:
    """An HTTP server on 127.0.0.1 that forwards to `upstream` (404 for everything when None),
    optionally without the Authorization header, and first plays `faults` ("429", "503":
    answer that; "drop": close the connection without an answer)."""

    def __init__(
        self,
        upstream: str | None,
        *,
        strip_authorization: bool = False,
        faults: list[str] | None = None,
    ) -> None:
        self.upstream = upstream
        self.strip_authorization = strip_authorization
        self.faults = list(faults or [])
        self.answers: list[Answer] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                proxy.handle(self)

            do_POST = do_GET

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Proxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def handle(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        if self.faults:
            fault = self.faults.pop(0)
            if fault == "drop":
                handler.close_connection = True
                handler.connection.close()
                return
            self._reply(handler, int(fault), b"{}", {"Retry-After": "0"})
            return
        if self.upstream is None:
            self._reply(handler, 404, b"<html>Not found</html>", {})
            return
        headers = {
            key: value
            for key, value in handler.headers.items()
            if key.lower() not in {"host", "connection", "content-length"}
            and not (self.strip_authorization and key.lower() == "authorization")
        }
        answer = httpx.request(
            handler.command, self.upstream + handler.path, headers=headers, content=body
        )
        self.answers.append(Answer(answer.status_code, answer.content))
        passed = {
            key: value
            for key, value in answer.headers.items()
            if key.lower() in {"content-type", "x-wp-total", "x-wp-totalpages", "retry-after"}
        }
        self._reply(handler, answer.status_code, answer.content, passed)

    @staticmethod
    def _reply(
        handler: http.server.BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        headers: dict[str, str],
    ) -> None:
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
