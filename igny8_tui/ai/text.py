"""Keyword text for the offline writers: subject, title case, word count and a text-seeded rng."""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence

_WORD = re.compile(r"\w", re.UNICODE)
_LEADING_FILLER = frozenset(
    "best top cheap cheapest buy diy affordable good great easy simple a an the".split()
)
_QUESTION_STARTS = frozenset(
    "how what when why where which who can should do does is are will".split()
)
_INFINITIVE_QUESTIONS = frozenset({"how", "when", "where"})
_VOWELS = frozenset("aeiou")
_TRAILING_FILLER = frozenset(
    "for beginners beginner near me cost costs price prices pricing ideas review reviews guide "
    "tips online a an the in on of with at and".split()
)
_SMALL_WORDS = frozenset("a an and as at but by for in of on or the to vs with".split())


def word_count(text: str) -> int:
    """Words in plain text, counted exactly as `content_html.count_words` counts them."""
    return sum(1 for token in text.split() if _WORD.search(token))


def seeded_rng(*parts: object) -> random.Random:
    """A random generator seeded from the input text, so equal inputs give equal outputs."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def gerund(verb: str) -> str:
    """The -ing form of a verb: prune -> pruning, dig -> digging, grow -> growing."""
    word = verb.lower()
    if word.endswith("ie"):
        return word[:-2] + "ying"
    if word.endswith("e") and not word.endswith(("ee", "ye", "oe")) and len(word) > 2:
        return word[:-1] + "ing"
    short_closed = (
        3 <= len(word) <= 4
        and word[-1] not in _VOWELS | {"w", "x", "y"}
        and word[-2] in _VOWELS
        and word[-3] not in _VOWELS
    )
    return word + word[-1] + "ing" if short_closed else word + "ing"


def subject(text: str) -> str:
    """The noun phrase of a keyword, or "" for a question that has none.

    "best cedar raised beds for beginners" -> "cedar raised beds"; "how to prune apple trees"
    -> "pruning apple trees"; a comparison keeps its longer side.
    """
    words = text.split()
    lowered = [w.lower() for w in words]
    if len(words) > 2 and lowered[0] in _INFINITIVE_QUESTIONS and lowered[1] == "to":
        words = [gerund(words[2]), *words[3:]]
    elif lowered and lowered[0] in _QUESTION_STARTS:
        return ""
    for separator in ("vs", "versus", "vs."):
        if separator in words:
            at = words.index(separator)
            left, right = words[:at], words[at + 1 :]
            words = left if len(left) >= len(right) else right
    start, end = 0, len(words)
    while start < end and words[start].lower() in _LEADING_FILLER:
        start += 1
    while end > start and words[end - 1].lower() in _TRAILING_FILLER:
        end -= 1
    return " ".join(words[start:end])


def topic_of(texts: Sequence[str], fallback: str) -> str:
    """The subject of the first keyword that has one, else the fallback."""
    return next((found for text in texts if (found := subject(text))), fallback)


def title_case(text: str) -> str:
    words = text.split()
    return " ".join(
        word if word != word.lower() or (i and word in _SMALL_WORDS) else word.capitalize()
        for i, word in enumerate(words)
    )
