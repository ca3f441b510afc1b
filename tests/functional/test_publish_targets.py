"""Each site's publish target through `igny8 publish set/show/test`, and runs that publish there:
a folder of bundles, or a real WordPress (tests/wordpress_site.py)."""

from __future__ import annotations

import itertools
import json
import signal
import stat
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from igny8_tui.db.models import Content
from igny8_tui.runtime import Runtime
from tests.conftest import demo_site, invoke_igny8, run_igny8, start_igny8, wait_until
from tests.wordpress_site import WordPressSite

SITE = "green-thumb"
ARTICLES, IMAGES = 6, 30


def _small_site(runtime: Runtime) -> None:
    demo_site(runtime, SITE, small=True)
    runtime.db.dispose()


def _set_wordpress(
    home: Path, wp: WordPressSite, *extra: str, password: str = "", user: str = ""
) -> subprocess.CompletedProcess[str]:
    """`igny8 publish set ... wordpress` as the administrator, or `user` with `password`."""
    return run_igny8(
        home,
        "publish",
        "set",
        "--site",
        SITE,
        "wordpress",
        "--url",
        wp.url,
        "--user",
        user or wp.user,
        *extra,
        IGNY8_WP_APP_PASSWORD=password or wp.app_password,
    )


def test_a_site_publishes_to_the_data_directory_until_told_another_folder(
    home: Path, runtime: Runtime, tmp_path: Path
) -> None:
    _small_site(runtime)
    shown = json.loads(invoke_igny8(home, "publish", "show", "--site", SITE, "--json").stdout)
    assert shown["kind"] == "folder" and shown["folder"] == str(home / "published")

    hugo = tmp_path / "hugo" / "content" / "posts"
    chosen = invoke_igny8(home, "publish", "set", "--site", SITE, "folder", "--dir", str(hugo))
    assert chosen.returncode == 0, chosen.stderr
    tested = invoke_igny8(home, "publish", "test", "--site", SITE)
    assert tested.returncode == 0 and str(hugo) in tested.stdout

    assert run_igny8(home, "run", "--site", SITE).returncode == 0
    assert len(list((hugo / SITE).glob("*/index.md"))) == ARTICLES
    assert not (home / "published").exists()


def test_a_folder_that_is_a_file_is_refused_in_one_line(
    home: Path, runtime: Runtime, tmp_path: Path
) -> None:
    _small_site(runtime)
    file = tmp_path / "a-file"
    file.write_text("x")
    refused = invoke_igny8(home, "publish", "set", "--site", SITE, "folder", "--dir", str(file))
    assert refused.returncode == 2
    assert len(refused.stderr.strip().splitlines()) == 1


def test_setting_wordpress_checks_it_and_keeps_the_password_out_of_the_database(
    home: Path, runtime: Runtime, wordpress_clean: WordPressSite
) -> None:
    wp = wordpress_clean
    _small_site(runtime)
    set_ = _set_wordpress(home, wp, "--json")
    assert set_.returncode == 0, set_.stderr
    shown = json.loads(set_.stdout)
    assert shown["kind"] == "wordpress" and shown["url"] == wp.url
    assert shown["password_stored"] is True
    secrets = home / "secrets.json"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert wp.app_password in secrets.read_text()
    for path in home.glob("igny8.db*"):
        assert wp.app_password.encode() not in path.read_bytes()
    tested = run_igny8(home, "publish", "test", "--site", SITE)
    assert tested.returncode == 0 and "may publish posts and upload files" in tested.stdout
    assert wp.app_password not in tested.stdout + tested.stderr


def test_a_refused_password_or_a_missing_capability_is_one_line_and_stores_nothing(
    home: Path, runtime: Runtime, wordpress_clean: WordPressSite
) -> None:
    wp = wordpress_clean
    _small_site(runtime)
    bad = _set_wordpress(home, wp, password="abcd efgh ijkl mnop qrst uvwx")
    assert bad.returncode == 2
    line = bad.stderr.strip()
    assert len(line.splitlines()) == 1 and "application password" in line
    assert "abcd efgh" not in line
    contributor = wp.user_with_role("contributor")
    weak = _set_wordpress(home, wp, user=contributor.login, password=contributor.app_password)
    assert weak.returncode == 2
    assert "publish_posts" in weak.stderr and len(weak.stderr.strip().splitlines()) == 1
    shown = json.loads(invoke_igny8(home, "publish", "show", "--site", SITE, "--json").stdout)
    assert shown["kind"] == "folder"
    assert not (home / "secrets.json").exists()


def test_a_run_publishes_every_article_as_a_post_with_its_images_uploaded_once(
    home: Path, runtime: Runtime, wordpress_clean: WordPressSite
) -> None:
    wp = wordpress_clean
    _small_site(runtime)
    assert _set_wordpress(home, wp).returncode == 0
    ran = run_igny8(home, "run", "--site", SITE)
    assert ran.returncode == 0, ran.stderr

    posts, media = wp.posts(), wp.media()
    assert len(posts) == ARTICLES and len(media) == IMAGES
    assert {post["status"] for post in posts} == {"publish"}
    media_urls = {item["source_url"] for item in media}
    for post in posts:
        assert post["featured_media"] in {item["id"] for item in media}
        body = post["content"]["raw"]
        assert str(home) not in body and "file:" not in body
        assert any(url in body for url in media_urls)
        assert post["categories"] and post["tags"]
    listed = json.loads(invoke_igny8(home, "content", "list", "--site", SITE, "--json").stdout)
    assert {item["published_path"] for item in listed} == {post["link"] for post in posts}


def test_drip_publishing_schedules_posts_apart_after_the_last_scheduled_one(
    home: Path, runtime: Runtime, wordpress_clean: WordPressSite
) -> None:
    wp = wordpress_clean
    _small_site(runtime)
    assert _set_wordpress(home, wp, "--drip", "60").returncode == 0
    assert run_igny8(home, "run", "--site", SITE).returncode == 0
    posts = sorted(wp.posts(), key=lambda post: post["date_gmt"])
    assert {post["status"] for post in posts} == {"future"}
    times = [datetime.fromisoformat(post["date_gmt"]) for post in posts]
    gaps = {later - earlier for earlier, later in itertools.pairwise(times)}
    assert gaps == {timedelta(minutes=60)}


def _published(runtime: Runtime) -> int:
    with runtime.db.read() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(Content).where(Content.status == "published")
            )
            or 0
        )


def test_a_host_killed_while_publishing_to_wordpress_leaves_one_post_per_article(
    home: Path, runtime: Runtime, wordpress_clean: WordPressSite
) -> None:
    wp = wordpress_clean
    _small_site(runtime)
    assert _set_wordpress(home, wp).returncode == 0
    first = start_igny8(home, "run", "--site", SITE, IGNY8_LEASE_TTL_S="600")
    try:
        wait_until(lambda: _published(runtime) >= 2, timeout_s=180, what="two posts published")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    # The next host recovers the run at once (its holder is gone from this machine).
    again = run_igny8(home, "run", "--site", SITE)
    assert again.returncode == 0, again.stderr
    assert _published(runtime) == ARTICLES
    assert len(wp.posts()) == ARTICLES and len(wp.media()) == IMAGES
    assert len({post["slug"] for post in wp.posts()}) == ARTICLES


def test_an_unwritable_uploads_directory_fails_each_article_on_its_own(
    home: Path, runtime: Runtime, wordpress_clean: WordPressSite
) -> None:
    wp = wordpress_clean
    _small_site(runtime)
    assert _set_wordpress(home, wp).returncode == 0
    with wp.uploads_unwritable():
        ran = run_igny8(home, "run", "--site", SITE)
    # Each article was tried and failed with WordPress's reason; with every item of the stage
    # failed, the run ends failed (as any stage does), naming it in one line.
    assert ran.returncode == 1, ran.stderr
    assert "Traceback" not in ran.stderr
    assert "rest_upload_sideload_error" in ran.stderr.strip().splitlines()[-1]
    assert _published(runtime) == 0 and wp.posts() == []
    logs = run_igny8(home, "logs", "--site", SITE, "--lines", "1000").stdout
    assert logs.count("ERROR s7 approved") == ARTICLES


def test_a_password_refused_during_a_run_pauses_it_for_the_operator(
    home: Path, runtime: Runtime, wordpress_clean: WordPressSite
) -> None:
    wp = wordpress_clean
    _small_site(runtime)
    assert _set_wordpress(home, wp).returncode == 0
    secrets = home / "secrets.json"
    secrets.write_text(secrets.read_text().replace(wp.app_password, "wxyz wxyz wxyz wxyz"))
    ran = run_igny8(home, "run", "--site", SITE)
    assert ran.returncode == 3, ran.stderr
    last = ran.stderr.strip().splitlines()[-1]
    assert "application password" in last and "wxyz" not in last
    status = json.loads(run_igny8(home, "status", "--site", SITE, "--json").stdout)["run"]
    assert status["status"] == "paused" and status["pause_cause"] == "credentials"
