"""Search intent for the offline writers: read from a keyword's modifiers, weighed by volume."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from igny8_tui.ai.clustering import normalise
from igny8_tui.ai.outputs import Intent, KeywordInput

INTENT_ORDER: tuple[Intent, ...] = ("informational", "commercial", "transactional", "navigational")
_INTENT_CUES: tuple[tuple[Intent, frozenset[str]], ...] = (
    (
        "transactional",
        frozenset(
            "buy purchase order price prices pricing cost costs cheap cheapest deal deals "
            "discount coupon sale shop delivery hire quote".split()
        ),
    ),
    (
        "commercial",
        frozenset(
            "best top vs versus review reviews compare comparison alternative alternatives "
            "rated".split()
        ),
    ),
    ("navigational", frozenset("login website official app account contact near".split())),
)


def infer_intent(text: str) -> Intent:
    """The intent a keyword's modifiers suggest ("buy", "best", "vs", "login"...)."""
    words = set(normalise(text))
    for intent, cues in _INTENT_CUES:
        if words & cues:
            return intent
    return "informational"


def keyword_intent(keyword: KeywordInput) -> Intent:
    return keyword.intent or infer_intent(keyword.text)


def dominant_intent(keywords: Sequence[KeywordInput]) -> Intent:
    """The intent carrying the most search volume; ties follow `INTENT_ORDER`."""
    weight: Counter[str] = Counter()
    for keyword in keywords:
        weight[keyword_intent(keyword)] += max(keyword.volume, 0) + 1
    return max(INTENT_ORDER, key=lambda intent: (weight[intent], -INTENT_ORDER.index(intent)))
