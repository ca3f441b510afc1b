"""Slugs: any script is transliterated to ASCII letters, so titles keep their words."""

from __future__ import annotations

import pytest

from igny8_tui.slugs import MAX_SLUG_LENGTH, slugify


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Raised Beds: A Beginner's Guide", "raised-beds-a-beginner-s-guide"),
        ("Сад и огород: полное руководство", "sad-i-ogorod-polnoe-rukovodstvo"),
        ("Κήπος και λαχανικά", "kipos-kai-lachanika"),
        ("家庭菜园入门", "jiatingcaiyuanrumen"),
        ("دليل البستنة", "dlyl-lbstnh"),
        ("Ærø Straße café", "aero-strasse-cafe"),
    ],
)
def test_titles_in_any_script_slug_to_their_transliteration(title: str, slug: str) -> None:
    assert slugify(title, fallback="article") == slug


def test_titles_that_differ_only_in_a_non_latin_script_get_different_slugs() -> None:
    slugs = {slugify(t, fallback="article") for t in ("Сад", "Огород", "花园", "菜园")}
    assert len(slugs) == 4 and "article" not in slugs


def test_a_title_with_no_letters_or_digits_falls_back() -> None:
    assert slugify("!!! ---", fallback="article") == "article"


def test_a_long_transliterated_title_is_cut_to_the_slug_length() -> None:
    slug = slugify("Огород " * 40, fallback="article")
    assert len(slug) <= MAX_SLUG_LENGTH and not slug.endswith("-")
    assert slug.startswith("ogorod-ogorod-")
