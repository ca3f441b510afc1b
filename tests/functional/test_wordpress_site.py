"""The test WordPress itself (tests/wordpress_site.py), and the REST API's answers the WordPress
publish target relies on, as a real WordPress 6.1 gives them."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import httpx
from PIL import Image

from tests.wordpress_site import TIMEZONE, WordPressSite, WordPressUser


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (40, 120, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(
    site: WordPressSite, filename: str = "x.png", user: WordPressUser | None = None
) -> httpx.Response:
    return site.request(
        "POST",
        "/wp/v2/media",
        user=user,
        content=png_bytes(),
        headers={
            "Content-Type": "image/png",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


def create_post(site: WordPressSite, **fields: object) -> httpx.Response:
    return site.request("POST", "/wp/v2/posts", json={"title": "Raised beds", **fields})


def test_the_administrators_application_password_opens_the_api(
    wordpress_clean: WordPressSite,
) -> None:
    me = wordpress_clean.get("/wp/v2/users/me", context="edit")

    assert me["username"] == wordpress_clean.user
    assert me["roles"] == ["administrator"]
    assert me["capabilities"]["publish_posts"] is True
    assert me["capabilities"]["upload_files"] is True


def test_a_wrong_application_password_gets_401_wherever_a_user_is_needed(
    wordpress_clean: WordPressSite,
) -> None:
    wrong = WordPressUser(wordpress_clean.user, "administrator", "AAAA" * 6)

    me = wordpress_clean.request("GET", "/wp/v2/users/me", user=wrong)
    created = wordpress_clean.request(
        "POST", "/wp/v2/posts", user=wrong, json={"title": "x", "status": "draft"}
    )
    listed = wordpress_clean.request("GET", "/wp/v2/posts", user=wrong)

    # WordPress 6.1 checks the application password only after the check that would report
    # `incorrect_password`, so the request goes on anonymously and each endpoint refuses it in
    # its own words; a public endpoint answers as to anyone.
    assert (me.status_code, me.json()["code"]) == (401, "rest_not_logged_in")
    assert (created.status_code, created.json()["code"]) == (401, "rest_cannot_create")
    assert listed.status_code == 200


def test_a_contributor_may_write_drafts_but_not_publish_or_upload(
    wordpress_clean: WordPressSite,
) -> None:
    contributor = wordpress_clean.user_with_role("contributor")

    me = wordpress_clean.request(
        "GET", "/wp/v2/users/me", user=contributor, params={"context": "edit"}
    ).json()
    published = wordpress_clean.request(
        "POST", "/wp/v2/posts", user=contributor, json={"title": "x", "status": "publish"}
    )
    uploaded = upload(wordpress_clean, user=contributor)

    # Capabilities a user lacks are absent from the map, not false.
    assert me["roles"] == ["contributor"]
    assert me["capabilities"]["edit_posts"] is True
    assert "publish_posts" not in me["capabilities"]
    assert "upload_files" not in me["capabilities"]
    assert (published.status_code, published.json()["code"]) == (403, "rest_cannot_publish")
    assert (uploaded.status_code, uploaded.json()["code"]) == (403, "rest_cannot_create")


def test_a_subscriber_may_not_create_posts(wordpress_clean: WordPressSite) -> None:
    subscriber = wordpress_clean.user_with_role("subscriber")

    created = wordpress_clean.request(
        "POST", "/wp/v2/posts", user=subscriber, json={"title": "x", "status": "draft"}
    )

    assert (created.status_code, created.json()["code"]) == (403, "rest_cannot_create")


def test_a_post_and_an_upload_show_up_in_posts_and_media(wordpress_clean: WordPressSite) -> None:
    post = create_post(wordpress_clean, status="publish", content="<p>Soil first.</p>")
    media = upload(wordpress_clean, "raised-bed.png")

    assert post.status_code == 201
    assert media.status_code == 201
    assert media.headers["Location"].endswith(f"/wp-json/wp/v2/media/{media.json()['id']}")
    assert [(p["id"], p["status"]) for p in wordpress_clean.posts()] == [
        (post.json()["id"], "publish")
    ]
    [item] = wordpress_clean.media()
    assert item["id"] == media.json()["id"]
    assert item["mime_type"] == "image/png"
    assert item["source_url"].startswith(f"{wordpress_clean.url}/wp-content/uploads/")
    assert (wordpress_clean.uploads_dir / item["media_details"]["file"]).read_bytes() == (
        png_bytes()
    )
    assert httpx.get(item["source_url"]).content == png_bytes()


def test_an_upload_fails_while_the_uploads_directory_is_unwritable(
    wordpress_clean: WordPressSite,
) -> None:
    with wordpress_clean.uploads_unwritable():
        refused = upload(wordpress_clean)
    accepted = upload(wordpress_clean)

    assert refused.status_code == 500
    assert refused.json()["code"] == "rest_upload_sideload_error"
    assert "Unable to create directory" in refused.json()["message"]
    assert accepted.status_code == 201
    assert [item["id"] for item in wordpress_clean.media()] == [accepted.json()["id"]]


def test_a_post_is_found_by_slug_whatever_its_status(wordpress_clean: WordPressSite) -> None:
    draft = create_post(wordpress_clean, slug="raised-beds", status="draft").json()

    anyone = wordpress_clean.get("/wp/v2/posts", slug="raised-beds")
    editor = wordpress_clean.get("/wp/v2/posts", slug="raised-beds", status="any", context="edit")

    assert anyone == []
    assert [(p["id"], p["slug"], p["status"]) for p in editor] == [
        (draft["id"], "raised-beds", "draft")
    ]


def test_a_second_post_with_the_same_slug_gets_dash_2(wordpress_clean: WordPressSite) -> None:
    first = create_post(wordpress_clean, slug="raised-beds", status="publish").json()
    second = create_post(wordpress_clean, slug="raised-beds", status="publish").json()

    assert (first["slug"], second["slug"]) == ("raised-beds", "raised-beds-2")
    assert first["link"] == f"{wordpress_clean.url}/raised-beds/"


def test_an_existing_category_is_refused_with_its_id(wordpress_clean: WordPressSite) -> None:
    made = wordpress_clean.request("POST", "/wp/v2/categories", json={"name": "Garden Beds"})
    again = wordpress_clean.request("POST", "/wp/v2/categories", json={"name": "garden beds"})

    assert made.status_code == 201
    assert again.status_code == 400
    assert again.json()["code"] == "term_exists"
    assert again.json()["data"]["term_id"] == made.json()["id"]


def test_a_scheduled_post_stays_future_at_its_gmt_date(wordpress_clean: WordPressSite) -> None:
    post = create_post(
        wordpress_clean, slug="later", status="future", date_gmt="2031-05-01T08:00:00"
    ).json()

    assert TIMEZONE == "Asia/Kolkata"
    assert (post["status"], post["date_gmt"], post["date"]) == (
        "future",
        "2031-05-01T08:00:00",
        "2031-05-01T13:30:00",
    )
    assert post["link"] == f"{wordpress_clean.url}/?p={post['id']}"
    assert [p["status"] for p in wordpress_clean.posts()] == ["future"]
    assert wordpress_clean.get("/wp/v2/posts") == []


def test_a_future_status_with_a_past_date_publishes_at_once(
    wordpress_clean: WordPressSite,
) -> None:
    past = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S")

    post = create_post(wordpress_clean, status="future", date_gmt=past).json()

    assert (post["status"], post["date_gmt"]) == ("publish", past)


def test_reset_leaves_no_content_behind(wordpress: WordPressSite) -> None:
    create_post(wordpress, status="publish")
    upload(wordpress)
    wordpress.request("POST", "/wp/v2/tags", json={"name": "soil"})

    wordpress.reset()

    assert wordpress.posts() == []
    assert wordpress.media() == []
    assert wordpress.get("/wp/v2/tags") == []
    assert [c["slug"] for c in wordpress.get("/wp/v2/categories")] == ["uncategorized"]
    assert list(wordpress.uploads_dir.iterdir()) == []
