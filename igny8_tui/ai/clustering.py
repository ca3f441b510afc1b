"""Keyword clustering for the local provider: cosine on stemmed-term profiles, centroid linkage."""

from __future__ import annotations

import heapq
import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, pairwise

import snowballstemmer

from igny8_tui.ai.outputs import ExistingCluster, KeywordInput

SIMILARITY_THRESHOLD = 0.35
BIGRAM_WEIGHT = 0.5
# A term no other keyword uses links nothing; it weighs less so it does not drown the shared ones.
UNSHARED_TERM_WEIGHT = 0.5

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few from
    further had has have having he her here hers him his i if in into is it its itself just me
    more most my no nor not now of off on once only or other our ours out over own same she
    should so some such than that the their them then there these they this those through too
    under until up very was we were what when where which while who whom why will with would
    you your yours get got need much many long""".split()
)
INTENT_MODIFIERS = frozenset(
    """best top good great how to what why vs versus guide guides review reviews cheap cheapest
    affordable buy purchase order shop store sale deal deals discount coupon price prices pricing
    cost costs near me for the a diy tips tricks ideas idea easy simple ultimate beginner
    beginners online free list compare comparison difference""".split()
)
_YEAR = re.compile(r"^(19|20)\d\d$")
_APOSTROPHE = re.compile(r"['\u2019]")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_STEMMER = snowballstemmer.stemmer("english")
_STEMMER_LOCK = threading.Lock()

Vector = dict[str, float]


@dataclass(frozen=True)
class KeywordGroup:
    """Keywords that belong together: joining an existing cluster, or forming a new one."""

    keywords: tuple[KeywordInput, ...]
    existing_cluster_id: int | None
    name: str
    description: str


def normalise(text: str) -> list[str]:
    """Lowercase words with punctuation stripped."""
    return _NON_WORD.sub(" ", _APOSTROPHE.sub("", text.lower())).split()


def is_modifier(word: str) -> bool:
    """Words that shape a search's intent or grammar rather than its topic."""
    return word in INTENT_MODIFIERS or word in STOPWORDS or bool(_YEAR.match(word))


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    with _STEMMER_LOCK:
        return _STEMMER.stemWord(word)


@lru_cache(maxsize=131072)
def keyword_terms(text: str) -> tuple[str, ...]:
    """The stemmed topic words of a keyword, then its stemmed bigrams."""
    words = normalise(text)
    topic = [w for w in words if not is_modifier(w)] or words or [text.strip().lower()]
    stems = [_stem(w) for w in topic]
    bigrams = {f"{a} {b}" for a, b in pairwise(stems) if a != b}
    return tuple(sorted(set(stems))) + tuple(sorted(bigrams))


@lru_cache(maxsize=16384)
def _cluster_terms(texts: tuple[str, ...]) -> Counter[str]:
    """How many keywords of an existing cluster use each term (shared, never mutated)."""
    return Counter(term for text in texts for term in keyword_terms(text))


def canonical_key(keyword: KeywordInput) -> tuple[int, str, int]:
    """The order every computation follows, so input order never changes a result."""
    return (-keyword.volume, keyword.text, keyword.id)


@dataclass
class _Profile:
    """A group of keywords as term counts; its vector is the weighted term frequencies."""

    size: int
    counts: Counter[str]


Scored = tuple[Vector, float]


class _TermSpace:
    """Term weights for one clustering call, from the terms of the batch and existing clusters.

    Bigrams weigh less than words; a term used by one keyword only weighs less, as it links
    nothing; a term spread over many existing clusters weighs less, as it tells them apart badly.
    """

    def __init__(self, batch: Sequence[_Profile], existing: Sequence[_Profile]) -> None:
        spread = Counter(chain.from_iterable(p.counts for p in existing))
        self._damped = {t: 1.0 / (1.0 + math.log(n)) for t, n in spread.items() if n > 1}
        self._uses = Counter(chain.from_iterable(p.counts for p in chain(batch, existing)))

    def vector(self, profile: _Profile) -> Scored:
        damped, uses, size = self._damped, self._uses, profile.size
        vector: Vector = {}
        for term, count in profile.counts.items():
            weight = damped.get(term, 1.0) * count / size
            if " " in term:
                weight *= BIGRAM_WEIGHT
            if count == 1 and uses[term] == 1:
                weight *= UNSHARED_TERM_WEIGHT
            vector[term] = weight
        return vector, math.hypot(*vector.values()) or 1.0


def _cosine(a: Scored, b: Scored) -> float:
    (va, na), (vb, nb) = a, b
    if len(va) > len(vb):
        va, vb = vb, va
    return sum(w * vb.get(t, 0.0) for t, w in va.items()) / (na * nb)


def _similarities(
    vectors: Sequence[Scored], targets: Iterable[tuple[int, Scored]]
) -> list[dict[int, float]]:
    """For each vector, its cosine with every target it shares a term with."""
    terms = set().union(*(vector for vector, _ in vectors))
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for index, (target, norm) in targets:
        for term in terms.intersection(target):
            postings[term].append((index, target[term] / norm))
    result: list[dict[int, float]] = []
    for vector, norm in vectors:
        dots: dict[int, float] = defaultdict(float)
        for term, weight in vector.items():
            for index, target_weight in postings.get(term, ()):
                dots[index] += weight * target_weight
        result.append({index: dot / norm for index, dot in dots.items()})
    return result


def _most_similar(similarities: dict[int, float]) -> tuple[int, float]:
    """The most similar target and its similarity; ties go to the lowest index."""
    index, similarity = min(similarities.items(), key=lambda item: (-item[1], item[0]))
    return index, similarity


def _similar_pairs(vectors: dict[int, Scored], threshold: float) -> list[tuple[float, int, int]]:
    """(-similarity, i, j) for every pair i < j whose similarity passes the threshold."""
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for index, (vector, norm) in vectors.items():
        for term, weight in vector.items():
            postings[term].append((index, weight / norm))
    pairs: list[tuple[float, int, int]] = []
    for i, (vector, norm) in vectors.items():
        dots: dict[int, float] = defaultdict(float)
        for term, weight in vector.items():
            for j, other_weight in postings[term]:
                if j > i:
                    dots[j] += weight / norm * other_weight
        pairs.extend((-dot, i, j) for j, dot in dots.items() if dot >= threshold)
    return pairs


def _agglomerate(profiles: list[_Profile], space: _TermSpace, threshold: float) -> list[list[int]]:
    """Centroid linkage: merge the most similar pair of groups until none passes the threshold.

    Ties go to the lowest indices, so the result depends only on the order of `profiles`.
    """
    groups = {i: _Profile(p.size, Counter(p.counts)) for i, p in enumerate(profiles)}
    vectors = {i: space.vector(p) for i, p in groups.items()}
    members = {i: [i] for i in groups}
    versions = dict.fromkeys(groups, 0)
    heap = [(s, i, j, 0, 0) for s, i, j in _similar_pairs(vectors, threshold)]
    heapq.heapify(heap)
    while heap:
        _, i, j, version_i, version_j = heapq.heappop(heap)
        if versions.get(i) != version_i or versions.get(j) != version_j:
            continue
        merged = groups.pop(j)
        groups[i].size += merged.size
        groups[i].counts.update(merged.counts)
        vectors[i] = space.vector(groups[i])
        members[i].extend(members.pop(j))
        del versions[j], vectors[j]
        versions[i] += 1
        for k in members:
            if k != i and (similarity := _cosine(vectors[i], vectors[k])) >= threshold:
                a, b = min(i, k), max(i, k)
                heapq.heappush(heap, (-similarity, a, b, versions[a], versions[b]))
    return [sorted(group) for _, group in sorted(members.items())]


def _describe(keywords: Sequence[KeywordInput]) -> str:
    others = [k.text for k in keywords[1:4]]
    also = f", such as {', '.join(others)}" if others else ""
    noun = "search" if len(keywords) == 1 else "searches"
    return f"{len(keywords)} {noun} about {keywords[0].text}{also}."


def _group(keywords: list[KeywordInput], existing: ExistingCluster | None) -> KeywordGroup:
    ordered = tuple(sorted(keywords, key=canonical_key))
    if existing is not None:
        return KeywordGroup(ordered, existing.id, existing.name, _describe(ordered))
    return KeywordGroup(ordered, None, ordered[0].text[:200], _describe(ordered))


def _merged(profiles: Sequence[_Profile]) -> _Profile:
    counts: Counter[str] = Counter()
    for profile in profiles:
        counts.update(profile.counts)
    return _Profile(len(profiles), counts)


def cluster_batch(
    batch: Sequence[KeywordInput],
    existing: Sequence[ExistingCluster],
    threshold: float = SIMILARITY_THRESHOLD,
) -> list[KeywordGroup]:
    """Group a batch: keywords join the most similar existing cluster, the rest cluster anew.

    A last pass moves each keyword to whichever cluster, existing or new, it is closest to.
    """
    keywords = sorted(batch, key=canonical_key)
    clusters = sorted(existing, key=lambda c: c.id)
    singles = [_Profile(1, Counter(keyword_terms(k.text))) for k in keywords]
    olds = [
        _Profile(max(len(c.keywords), 1), _cluster_terms(tuple(sorted(c.keywords))))
        for c in clusters
    ]
    space = _TermSpace(singles, olds)
    vectors = [space.vector(p) for p in singles]
    terms = set().union(*(p.counts for p in singles))
    candidates = (
        (i, space.vector(p)) for i, p in enumerate(olds) if not terms.isdisjoint(p.counts)
    )
    similarities = _similarities(vectors, candidates)
    homes: list[int] = [-1] * len(keywords)
    for i, found in enumerate(similarities):
        if found and (best := _most_similar(found))[1] >= threshold:
            homes[i] = best[0]
    rest = [i for i, home in enumerate(homes) if home < 0]
    news: list[Scored] = []
    for group in _agglomerate([singles[i] for i in rest], space, threshold):
        for i in group:
            homes[rest[i]] = len(olds) + len(news)
        news.append(space.vector(_merged([singles[rest[i]] for i in group])))
    extras = _similarities(vectors, enumerate(news, len(olds)))
    for found, extra in zip(similarities, extras, strict=True):
        found.update(extra)
    members: dict[int, list[KeywordInput]] = defaultdict(list)
    for i, found in enumerate(similarities):
        nearest, similarity = _most_similar(found)
        members[nearest if similarity > found[homes[i]] else homes[i]].append(keywords[i])
    return [
        _group(group, clusters[t] if t < len(clusters) else None)
        for t, group in sorted(members.items())
    ]


def count_new_clusters(
    queue: Sequence[KeywordInput], existing: Sequence[ExistingCluster], batch_size: int
) -> int:
    """How many new clusters stage 1 would make from `queue` (in stage order), batch after
    batch as a run sends them, each batch seeing the clusters the earlier ones made. Exact for
    this clusterer, which is deterministic; no stand-in for a remote AI."""
    clusters = {c.id: list(c.keywords) for c in existing}
    names = {c.id: c.name for c in existing}
    next_id = max(clusters, default=0) + 1
    created = 0
    for start in range(0, len(queue), batch_size):
        offered = [
            ExistingCluster(id=i, name=names[i], keywords=texts)
            for i, texts in clusters.items()
            if texts
        ]
        for group in cluster_batch(queue[start : start + batch_size], offered):
            texts = [k.text for k in group.keywords]
            if group.existing_cluster_id is None:
                clusters[next_id], names[next_id] = texts, group.name
                next_id += 1
                created += 1
            else:
                clusters[group.existing_cluster_id].extend(texts)
    return created
