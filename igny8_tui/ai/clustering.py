"""Keyword clustering for the local provider: TF-IDF cosine on stemmed terms, centroid linkage."""

from __future__ import annotations

import heapq
import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import snowballstemmer

from igny8_tui.ai.outputs import ExistingCluster, KeywordInput

SIMILARITY_THRESHOLD = 0.35
BIGRAM_WEIGHT = 0.5

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
    """Words that shape a search's intent rather than its topic."""
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


def canonical_key(keyword: KeywordInput) -> tuple[int, str, int]:
    """The order every computation follows, so input order never changes a result."""
    return (-keyword.volume, keyword.text, keyword.id)


WEIGHTING = "binary"
HAPAX = 0.0
REFINE = True


def _idf(documents: Iterable[tuple[str, ...]]) -> dict[str, float]:
    df: Counter[str] = Counter()
    n = 0
    for terms in documents:
        df.update(terms)
        n += 1
    if WEIGHTING == "binary":
        return {term: 1.0 if count > 1 else HAPAX for term, count in df.items()}
    if WEIGHTING == "mild":
        return {term: math.log(1 + n / count) if count > 1 else 0.0 for term, count in df.items()}
    return {term: math.log((1 + n) / (1 + count)) + 1.0 for term, count in df.items()}


def _unit(vector: Vector) -> Vector:
    norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
    return {t: w / norm for t, w in vector.items() if w}


def _vector(terms: tuple[str, ...], idf: dict[str, float]) -> Vector:
    return _unit({t: idf[t] * (BIGRAM_WEIGHT if " " in t else 1.0) for t in terms})


def _add(total: Vector, vector: Vector) -> None:
    for term, weight in vector.items():
        total[term] = total.get(term, 0.0) + weight


def _cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    dot = sum(w * b.get(t, 0.0) for t, w in a.items())
    return dot / (_norm(a) * _norm(b) or 1.0)


def _norm(vector: Vector) -> float:
    return math.sqrt(sum(w * w for w in vector.values()))


def _centroid(texts: Iterable[str], idf: dict[str, float]) -> Vector:
    total: Vector = {}
    for text in texts:
        _add(total, _vector(keyword_terms(text), idf))
    return _unit(total)


def _best_existing(
    vectors: list[Vector], centroids: list[Vector], threshold: float
) -> list[int | None]:
    """For each keyword vector, the index of the most similar centroid passing the threshold."""
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for index, centroid in enumerate(centroids):
        for term, weight in centroid.items():
            postings[term].append((index, weight))
    best: list[int | None] = []
    for vector in vectors:
        dots: dict[int, float] = defaultdict(float)
        for term, weight in vector.items():
            for index, centroid_weight in postings.get(term, ()):
                dots[index] += weight * centroid_weight
        ranked = min(((-dot, index) for index, dot in dots.items()), default=(0.0, None))
        best.append(ranked[1] if -ranked[0] >= threshold else None)
    return best


def _initial_pairs(vectors: list[Vector], threshold: float) -> list[tuple[float, int, int]]:
    postings: dict[str, list[int]] = defaultdict(list)
    for index, vector in enumerate(vectors):
        for term in vector:
            postings[term].append(index)
    pairs: list[tuple[float, int, int]] = []
    for i, vector in enumerate(vectors):
        dots: dict[int, float] = defaultdict(float)
        for term, weight in vector.items():
            for j in postings[term]:
                if j > i:
                    dots[j] += weight * vectors[j][term]
        pairs.extend((-dot, i, j) for j, dot in dots.items() if dot >= threshold)
    return pairs


def agglomerate(vectors: list[Vector], threshold: float) -> list[list[int]]:
    """Centroid-linkage clustering: merge the most similar pair until none passes the threshold.

    Ties go to the lowest indices, so the result depends only on the order of `vectors`.
    """
    sums = {i: dict(v) for i, v in enumerate(vectors)}
    members = {i: [i] for i in range(len(vectors))}
    versions = dict.fromkeys(members, 0)
    heap = [(sim, i, j, 0, 0) for sim, i, j in _initial_pairs(vectors, threshold)]
    heapq.heapify(heap)
    while heap:
        _, i, j, version_i, version_j = heapq.heappop(heap)
        if versions.get(i) != version_i or versions.get(j) != version_j:
            continue
        _add(sums[i], sums.pop(j))
        members[i].extend(members.pop(j))
        del versions[j]
        versions[i] += 1
        for k in members:
            similarity = _cosine(sums[i], sums[k])
            if k != i and similarity >= threshold:
                a, b = min(i, k), max(i, k)
                heapq.heappush(heap, (-similarity, a, b, versions[a], versions[b]))
    return [sorted(group) for _, group in sorted(members.items())]


def _describe(keywords: Sequence[KeywordInput]) -> str:
    others = [k.text for k in keywords[1:4]]
    also = f", including {', '.join(others)}" if others else ""
    noun = "search" if len(keywords) == 1 else "searches"
    return f"{len(keywords)} {noun} about {keywords[0].text}{also}."


def _new_group(keywords: list[KeywordInput]) -> KeywordGroup:
    ordered = tuple(sorted(keywords, key=canonical_key))
    return KeywordGroup(ordered, None, ordered[0].text[:200], _describe(ordered))


def cluster_batch(
    batch: Sequence[KeywordInput],
    existing: Sequence[ExistingCluster],
    threshold: float = SIMILARITY_THRESHOLD,
) -> list[KeywordGroup]:
    """Group a batch: keywords first join the most similar existing cluster, the rest cluster."""
    keywords = sorted(batch, key=canonical_key)
    clusters = sorted(existing, key=lambda c: c.id)
    idf = _idf(
        [keyword_terms(k.text) for k in keywords]
        + [keyword_terms(text) for c in clusters for text in c.keywords]
    )
    vectors = [_vector(keyword_terms(k.text), idf) for k in keywords]
    centroids = [_centroid(c.keywords, idf) for c in clusters]
    joined: dict[int, list[KeywordInput]] = defaultdict(list)
    joined_idx = defaultdict(list)
    rest: list[int] = []
    for index, best in enumerate(_best_existing(vectors, centroids, threshold)):
        if best is None:
            rest.append(index)
        else:
            joined[best].append(keywords[index])
            joined_idx[best].append(index)
    groups = [
        KeywordGroup(tuple(members), clusters[c].id, clusters[c].name, _describe(members))
        for c, members in sorted(joined.items())
    ]
    merged = agglomerate([vectors[i] for i in rest], threshold)
    new_groups = [[rest[i] for i in group] for group in merged]
    if REFINE:
        return _refined(keywords, vectors, clusters, centroids, joined_idx, new_groups)
    groups.extend(_new_group([keywords[i] for i in group]) for group in new_groups)
    return groups


def _refined(keywords, vectors, clusters, centroids, joined_idx, new_groups):
    new_centroids = []
    for group in new_groups:
        total = {}
        for i in group:
            _add(total, vectors[i])
        new_centroids.append(_unit(total))
    candidates = centroids + new_centroids
    home = {}
    for c, members in joined_idx.items():
        for i in members:
            home[i] = c
    for g, members in enumerate(new_groups):
        for i in members:
            home[i] = len(centroids) + g
    final = defaultdict(list)
    for i, vector in enumerate(vectors):
        best = max(
            range(len(candidates)), key=lambda c: (_cosine(vector, candidates[c]), c == home[i], -c)
        )
        final[best].append(keywords[i])
    out = []
    for c, members in sorted(final.items()):
        if c < len(centroids):
            out.append(KeywordGroup(tuple(members), clusters[c].id, clusters[c].name, ""))
        else:
            out.append(_new_group(members))
    return out
