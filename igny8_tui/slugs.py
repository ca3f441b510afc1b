"""URL- and path-safe slugs for sites and articles, from a title in any script."""

from __future__ import annotations

import re

from anyascii import anyascii

MAX_SLUG_LENGTH = 80


def slugify(text: str, fallback: str) -> str:
    """Lower-case ASCII letters and digits joined by hyphens, at most MAX_SLUG_LENGTH long.
    Other scripts are transliterated first (Сад → sad, 花园 → huayuan), so a title keeps its
    words instead of falling back."""
    slug = re.sub(r"[^a-z0-9]+", "-", anyascii(text).lower()).strip("-")
    return slug[:MAX_SLUG_LENGTH].rstrip("-") or fallback
