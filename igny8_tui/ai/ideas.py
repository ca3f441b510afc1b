"""Ideas for a cluster from the offline provider, shaped by the cluster's dominant search intent."""

from __future__ import annotations

from collections.abc import Sequence

from igny8_tui.ai.intent import dominant_intent, keyword_intent
from igny8_tui.ai.outlines import outline_for
from igny8_tui.ai.outputs import ClusterInput, IdeaDraft, Intent, KeywordInput
from igny8_tui.ai.phrases import IDEA_PLANS, IdeaPlan
from igny8_tui.ai.text import seeded_rng, subject, title_case, topic_of

DEFAULT_TARGET_WORD_COUNT = 1500
MAX_TARGET_KEYWORDS = 6


def _ranked_keywords(keywords: Sequence[KeywordInput], intent: Intent) -> list[KeywordInput]:
    """Keywords of the dominant intent first, then the rest; each by volume, then text."""
    return sorted(keywords, key=lambda k: (keyword_intent(k) != intent, -k.volume, k.text))


def _idea_candidates(
    plans: Sequence[IdeaPlan], ranked: Sequence[KeywordInput]
) -> list[tuple[IdeaPlan, KeywordInput]]:
    """Every (plan, primary keyword) pair, the first round pairing plan i with keyword i."""
    m, n = len(plans), len(ranked)
    return [(plans[j % m], ranked[(j % m + j // m) % n]) for j in range(m * n)]


def _idea(
    plan: IdeaPlan, primary: KeywordInput, cluster: ClusterInput, target_word_count: int, part: int
) -> IdeaDraft:
    by_volume = sorted(cluster.keywords, key=lambda k: (-k.volume, k.text))
    topic = subject(primary.text) or topic_of([k.text for k in by_volume], cluster.name)
    rng = seeded_rng("idea", cluster.name, plan.title, primary.text)
    outline = outline_for(plan.content_structure, topic, rng)
    title = plan.title.replace("{T}", title_case(topic)).replace("{N}", str(len(outline)))
    if part > 1:
        title = f"{title} (Part {part})"
    others = [k.text for k in by_volume if k.text != primary.text]
    keywords = [primary.text, *others]
    return IdeaDraft(
        title=title[:300],
        description=f"{plan.pitch} Targets \u201c{primary.text}\u201d.",
        content_type=plan.content_type,
        content_structure=plan.content_structure,
        outline=outline,
        target_keywords=keywords[:MAX_TARGET_KEYWORDS],
        target_word_count=target_word_count,
    )


def ideas_for_cluster(
    cluster: ClusterInput, count: int, target_word_count: int = DEFAULT_TARGET_WORD_COUNT
) -> list[IdeaDraft]:
    """`count` ideas with distinct titles, shaped by the cluster's dominant search intent."""
    keywords = cluster.keywords or [KeywordInput(id=0, text=cluster.name)]
    intent = dominant_intent(keywords)
    candidates = _idea_candidates(IDEA_PLANS[intent], _ranked_keywords(keywords, intent))
    ideas: list[IdeaDraft] = []
    titles: set[str] = set()
    for j in range(len(candidates) * (count + 1)):
        if len(ideas) == count:
            break
        plan, primary = candidates[j % len(candidates)]
        idea = _idea(plan, primary, cluster, target_word_count, j // len(candidates) + 1)
        if idea.title not in titles:
            titles.add(idea.title)
            ideas.append(idea)
    return ideas
