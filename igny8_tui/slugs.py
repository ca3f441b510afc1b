"""URL- and path-safe slugs for sites and articles."""

from __future__ import annotations

import re

MAX_SLUG_LENGTH = 80


def slugify(text: str, fallback: str) -> str:
    """Lower-case letters and digits joined by hyphens, at most MAX_SLUG_LENGTH long."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:MAX_SLUG_LENGTH].rstrip("-") or fallback
