"""Articles from the offline provider: sanitised HTML of an exact word count, plus meta fields."""

from __future__ import annotations

import html
import random
from collections.abc import Sequence

from igny8_tui.ai.outlines import outline_for
from igny8_tui.ai.outputs import ArticleDraft, TaskInput
from igny8_tui.ai.phrases import (
    BODY_SENTENCES,
    COMMERCIAL_SENTENCES,
    CONCLUSION_OPENERS,
    CONCLUSION_SENTENCES,
    FILLERS_BY_WORD_COUNT,
    INTRO_MAPS,
    INTRO_OPENERS,
    LIST_ITEMS,
    SECTION_OPENERS,
    TRANSACTIONAL_SENTENCES,
)
from igny8_tui.ai.provider import ProviderError
from igny8_tui.ai.text import seeded_rng, topic_of, word_count
from igny8_tui.content_html import sanitize_html

META_TITLE_MAX_CHARS = 60
META_DESCRIPTION_MIN_CHARS = 120
META_DESCRIPTION_MAX_CHARS = 160
INTRO_SHARE = 0.1
CONCLUSION_SHARE = 0.08
LIST_CHANCE = 0.35
MIN_LIST_SECTION_WORDS = 60
SENTENCE_LOOKAHEAD = 8
_MAX_FILLER_WORDS = max(FILLERS_BY_WORD_COUNT)
_COMMERCIAL_STRUCTURES = frozenset({"comparison", "review", "listicle"})
_TRANSACTIONAL_STRUCTURES = frozenset({"buying-guide", "pricing", "deals"})


class _Deck:
    """Templates dealt in a seeded shuffled order, reshuffled when used up."""

    def __init__(self, templates: Sequence[str], rng: random.Random) -> None:
        self._templates = list(templates)
        self._rng = rng
        self._queue: list[str] = []

    def deal(self) -> str:
        if not self._queue:
            self._queue = self._templates[:]
            self._rng.shuffle(self._queue)
        return self._queue.pop()

    def put_back(self, template: str) -> None:
        self._queue.insert(0, template)


class _Writer:
    """Builds sentences from templates, landing each part on an exact number of words."""

    def __init__(self, task: TaskInput, headings: Sequence[str]) -> None:
        self.rng = seeded_rng(
            "article", task.title, headings, task.target_keywords, task.target_word_count
        )
        self.keywords = task.target_keywords or [task.title]
        self.slots = {
            "topic": topic_of(self.keywords, task.title),
            "title": task.title,
            "site": task.site_name or "our site",
            "kind": task.content_type or "guide",
            "first": headings[0],
            "last": headings[-1],
        }
        body = list(BODY_SENTENCES)
        if task.content_structure in _COMMERCIAL_STRUCTURES:
            body += COMMERCIAL_SENTENCES
        if task.content_structure in _TRANSACTIONAL_STRUCTURES:
            body += TRANSACTIONAL_SENTENCES
        self.body = _Deck(body, self.rng)
        self.items = _Deck(LIST_ITEMS, self.rng)
        self.conclusion = _Deck(CONCLUSION_SENTENCES, self.rng)

    def realise(self, template: str, heading: str = "") -> str:
        text = template.format(heading=heading, kw=self.rng.choice(self.keywords), **self.slots)
        return text[0].upper() + text[1:]

    def fill(
        self, budget: int, openers: Sequence[str], deck: _Deck, heading: str = ""
    ) -> list[str]:
        """Sentences of exactly `budget` words: the openers, then the deck, then short fillers."""
        sentences: list[str] = []
        queue = [self.realise(t, heading) for t in openers]
        while budget > 0:
            sentence = queue.pop(0) if queue else self._fitting(deck, budget)
            words = word_count(sentence) if sentence else 0
            if not sentence or words > budget:
                break
            sentences.append(sentence)
            budget -= words
        if budget == 1 and sentences:
            budget += word_count(sentences.pop())
        return sentences + self._fillers(budget)

    def _fitting(self, deck: _Deck, budget: int) -> str:
        for _ in range(SENTENCE_LOOKAHEAD):
            template = deck.deal()
            sentence = self.realise(template)
            if word_count(sentence) <= budget:
                return sentence
            deck.put_back(template)
        return ""

    def _fillers(self, budget: int) -> list[str]:
        sentences: list[str] = []
        while budget > 0:
            size = budget if budget <= _MAX_FILLER_WORDS else min(_MAX_FILLER_WORDS, budget - 2)
            sentences.append(self.rng.choice(FILLERS_BY_WORD_COUNT[size]))
            budget -= size
        return sentences

    def pick(self, templates: Sequence[str]) -> str:
        return self.rng.choice(templates)

    def list_items(self, count: int) -> list[str]:
        return [self.realise(self.items.deal()) for _ in range(count)]

    def paragraphs(self, sentences: Sequence[str]) -> list[str]:
        grouped: list[str] = []
        start = 0
        while start < len(sentences):
            size = self.rng.randint(3, 5)
            grouped.append(" ".join(sentences[start : start + size]))
            start += size
        return grouped


def _shares(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` words into parts of at least one word each, roughly by weight."""
    raw = [(total - len(weights)) * w / sum(weights) for w in weights]
    shares = [1 + int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (int(raw[i]) - raw[i], i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _p(text: str) -> str:
    return f"<p>{html.escape(text, quote=False)}</p>"


def _section(writer: _Writer, heading: str, budget: int) -> list[str]:
    parts = [f"<h2>{html.escape(heading, quote=False)}</h2>"]
    items: list[str] = []
    if budget >= MIN_LIST_SECTION_WORDS and writer.rng.random() < LIST_CHANCE:
        items = writer.list_items(writer.rng.randint(3, 5))
    listed = sum(word_count(item) for item in items)
    sentences = writer.fill(budget - listed, [writer.pick(SECTION_OPENERS)], writer.body, heading)
    paragraphs = [_p(text) for text in writer.paragraphs(sentences)]
    if items:
        bullets = "".join(f"<li>{html.escape(item, quote=False)}</li>" for item in items)
        paragraphs.insert(1, f"<ul>{bullets}</ul>")
    return parts + paragraphs


def article_html(task: TaskInput) -> str:
    """Sanitised article HTML of exactly `task.target_word_count` words.

    An intro, each outline heading as an <h2> with its paragraphs (sometimes a list), and a
    closing paragraph; headings count towards the total.
    """
    topic = topic_of(task.target_keywords, task.title)
    headings = task.outline or outline_for(
        task.content_structure, topic, seeded_rng("outline", task.title)
    )
    writer = _Writer(task, headings)
    budget = task.target_word_count - sum(word_count(h) for h in headings)
    parts_count = len(headings) + 2
    if budget < parts_count:
        raise ProviderError(
            f"A {task.target_word_count}-word article cannot hold {len(headings)} headings; "
            "raise the target word count or shorten the outline."
        )
    shares = _shares(
        budget, [INTRO_SHARE, *[1.0 / len(headings)] * len(headings), CONCLUSION_SHARE]
    )
    intro = writer.fill(
        shares[0], [writer.pick(INTRO_OPENERS), writer.pick(INTRO_MAPS)], writer.body
    )
    blocks = [_p(text) for text in writer.paragraphs(intro)]
    for heading, share in zip(headings, shares[1:-1], strict=True):
        blocks += _section(writer, heading, share)
    closing = writer.fill(shares[-1], [writer.pick(CONCLUSION_OPENERS)], writer.conclusion)
    blocks.append(_p(" ".join(closing)))
    return sanitize_html("\n".join(blocks))


def _clip(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters."""
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:-\u2013\u2014")


def meta_description(task: TaskInput) -> str:
    """A 120 to 160 character summary built from the keyword, outline and site."""
    keyword = task.target_keywords[0] if task.target_keywords else task.title
    covers = " and ".join(heading.lower().rstrip("?.!") for heading in task.outline[:2])
    sentences = [
        f"A practical {task.content_type or 'guide'} on {keyword}.",
        f"Covers {covers}." if covers else "",
        "Clear steps, honest trade-offs and tips you can put to use today.",
        f"Written for readers of {task.site_name or 'our site'} who want results.",
        "Read on to find what works and what to skip.",
        "Practical, honest and easy to follow.",
        "Start today.",
    ]
    text = ""
    for sentence in filter(None, sentences):
        longer = f"{text} {sentence}".strip()
        if len(longer) <= META_DESCRIPTION_MAX_CHARS:
            text = longer
        if len(text) >= META_DESCRIPTION_MIN_CHARS:
            return text
    return _clip(" ".join(filter(None, sentences)), META_DESCRIPTION_MAX_CHARS - 3) + "..."


def write_article(task: TaskInput) -> ArticleDraft:
    return ArticleDraft(
        title=task.title[:300],
        html=article_html(task),
        meta_title=_clip(task.title, META_TITLE_MAX_CHARS),
        meta_description=meta_description(task),
    )
