"""The offline `local` provider: clustering, ideas, articles, image prompts and images."""

from __future__ import annotations

import csv
import io
import random
import re
from importlib.resources import files

import pytest
from PIL import Image

from igny8_tui.ai.local import LocalProvider
from igny8_tui.ai.outputs import (
    ClusterDraft,
    ClusterInput,
    ContentInput,
    ExistingCluster,
    ImageRequest,
    KeywordInput,
    TaskInput,
)
from igny8_tui.ai.provider import ProviderError
from igny8_tui.content_html import count_words, h2_headings, sanitize_html

TOPIC_MARKERS = (
    "raised", "compost", "tomato", "lawn", "drip", "seed", "herb", "prun", "houseplant",
    "mulch", "greenhouse", "companion",
)  # fmt: skip
INTENTS = {"informational", "commercial", "transactional", "navigational"}


def demo_keywords() -> list[KeywordInput]:
    text = (files("igny8_tui") / "data" / "demo_keywords.csv").read_text(encoding="utf-8")
    return [
        KeywordInput(
            id=number,
            text=row["keyword"],
            volume=int(row["volume"]),
            difficulty=int(row["difficulty"]),
            intent=row["intent"],
        )
        for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=1)
    ]


def topic(text: str) -> str:
    (marker,) = [m for m in TOPIC_MARKERS if re.search(rf"\b{m}", text)]
    return marker


def cluster_in_batches(
    provider: LocalProvider, keywords: list[KeywordInput], size: int = 50
) -> list[ExistingCluster]:
    """What the engine does: canonical order, each batch seeing the clusters made before it."""
    ordered = sorted(keywords, key=lambda k: (-k.volume, k.text))
    clusters: dict[int, ExistingCluster] = {}
    for start in range(0, len(ordered), size):
        result = provider.cluster_keywords(ordered[start : start + size], list(clusters.values()))
        for draft in result.clusters:
            cluster_id = draft.existing_cluster_id or len(clusters) + 1
            known = clusters.get(cluster_id)
            names = known.keywords if known else []
            name = known.name if known else draft.name
            clusters[cluster_id] = ExistingCluster(
                id=cluster_id, name=name, keywords=names + draft.keywords
            )
    return list(clusters.values())


def topics_of(groups: list[list[str]]) -> list[set[str]]:
    return [{topic(text) for text in group} for group in groups]


def cluster_input(keywords: list[KeywordInput]) -> ClusterInput:
    return ClusterInput(
        id=1, name=keywords[0].text, description="", keywords=keywords, site_name="green-thumb"
    )


def task(target_word_count: int = 1500, **changes: object) -> TaskInput:
    fields: dict[str, object] = {
        "id": 7,
        "title": "The Best Raised Garden Beds: Top Picks Compared",
        "description": "A ranked round-up of raised garden beds.",
        "outline": ["Why These Picks Matter", "Key Features to Compare", "Our Recommendation"],
        "target_keywords": ["raised garden beds", "best raised garden bed kits"],
        "target_word_count": target_word_count,
        "content_type": "listicle",
        "content_structure": "listicle",
        "site_name": "green-thumb",
    }
    return TaskInput.model_validate(fields | changes)


@pytest.fixture(scope="module")
def provider() -> LocalProvider:
    return LocalProvider()


def test_demo_file_has_150_keywords_in_12_topics_with_mixed_intents() -> None:
    keywords = demo_keywords()
    assert len(keywords) == 150
    by_topic: dict[str, list[KeywordInput]] = {}
    for keyword in keywords:
        by_topic.setdefault(topic(keyword.text), []).append(keyword)
    assert sorted(len(group) for group in by_topic.values()) == [12] * 6 + [13] * 6
    assert all(50 <= k.volume <= 20000 and 1 <= (k.difficulty or 0) <= 100 for k in keywords)
    assert {k.intent for k in keywords} == INTENTS
    assert sum(len({k.intent for k in group}) > 1 for group in by_topic.values()) >= 10


def test_demo_keywords_form_12_topic_clusters_in_one_go(provider: LocalProvider) -> None:
    result = provider.cluster_keywords(demo_keywords(), [])
    assert len(result.clusters) == 12
    assert all(len(topics) == 1 for topics in topics_of([d.keywords for d in result.clusters]))


def test_demo_keywords_form_12_topic_clusters_in_batches_of_50(provider: LocalProvider) -> None:
    clusters = cluster_in_batches(provider, demo_keywords())
    assert len(clusters) == 12
    topics = topics_of([c.keywords for c in clusters])
    assert all(len(found) == 1 for found in topics)
    assert sum(len(c.keywords) for c in clusters) == 150


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shuffled_keywords_give_identical_clusters(provider: LocalProvider, seed: int) -> None:
    keywords = demo_keywords()
    shuffled = random.Random(seed).sample(keywords, len(keywords))
    assert provider.cluster_keywords(shuffled, []) == provider.cluster_keywords(keywords, [])
    assert cluster_in_batches(provider, shuffled) == cluster_in_batches(provider, keywords)


def test_order_of_existing_clusters_and_their_keywords_does_not_matter(
    provider: LocalProvider,
) -> None:
    keywords = demo_keywords()
    existing = cluster_in_batches(provider, keywords[:100])
    shuffled = [
        c.model_copy(update={"keywords": random.Random(c.id).sample(c.keywords, len(c.keywords))})
        for c in reversed(existing)
    ]
    later = keywords[100:]
    assert provider.cluster_keywords(later, shuffled) == provider.cluster_keywords(later, existing)


def test_unrelated_keywords_stay_apart(provider: LocalProvider) -> None:
    texts = ["compost bin", "robotic lawn mower", "greenhouse heater", "fungus gnats"]
    batch = [KeywordInput(id=i, text=t, volume=100) for i, t in enumerate(texts)]
    result = provider.cluster_keywords(batch, [])
    assert sorted(d.keywords for d in result.clusters) == sorted([t] for t in texts)


def test_related_keywords_cluster_together_despite_modifiers(provider: LocalProvider) -> None:
    texts = ["Best Compost Bins", "how to use a compost bin?", "compost bin vs tumbler", "lawn"]
    batch = [KeywordInput(id=i, text=t, volume=100 - i) for i, t in enumerate(texts)]
    result = provider.cluster_keywords(batch, [])
    assert sorted(d.keywords for d in result.clusters) == [texts[:3], ["lawn"]]


def test_keyword_joins_existing_cluster_rather_than_starting_a_duplicate(
    provider: LocalProvider,
) -> None:
    existing = [
        ExistingCluster(id=41, name="compost bin", keywords=["compost bin", "kitchen compost bin"]),
        ExistingCluster(id=42, name="lawn care", keywords=["lawn care tips", "lawn aeration"]),
    ]
    batch = [
        KeywordInput(id=1, text="best compost bin for apartments", volume=300),
        KeywordInput(id=2, text="Lawn care schedule", volume=200),
        KeywordInput(id=3, text="greenhouse shelving", volume=100),
    ]
    result = provider.cluster_keywords(batch, existing)
    assert sorted(result.clusters, key=lambda d: d.existing_cluster_id or 0) == [
        ClusterDraft(
            name="greenhouse shelving",
            description=result.clusters[-1].description,
            keywords=["greenhouse shelving"],
        ),
        ClusterDraft(
            name="compost bin",
            description=result.clusters[0].description,
            keywords=["best compost bin for apartments"],
            existing_cluster_id=41,
        ),
        ClusterDraft(
            name="lawn care",
            description=result.clusters[1].description,
            keywords=["Lawn care schedule"],
            existing_cluster_id=42,
        ),
    ]


def test_every_batch_keyword_lands_in_exactly_one_draft(provider: LocalProvider) -> None:
    keywords = demo_keywords()[:60]
    existing = [ExistingCluster(id=9, name="mulch", keywords=["mulch", "types of mulch"])]
    result = provider.cluster_keywords(keywords, existing)
    drafted = [text for draft in result.clusters for text in draft.keywords]
    assert sorted(drafted) == sorted(k.text for k in keywords)
    joined = [d.existing_cluster_id for d in result.clusters if d.existing_cluster_id]
    assert len(joined) == len(set(joined))


def test_new_cluster_is_named_after_its_highest_volume_keyword(provider: LocalProvider) -> None:
    batch = [
        KeywordInput(id=1, text="tomato cages", volume=500),
        KeywordInput(id=2, text="growing tomatoes", volume=9000),
        KeywordInput(id=3, text="tomatoes in pots", volume=700),
    ]
    (draft,) = provider.cluster_keywords(batch, []).clusters
    assert draft.name == "growing tomatoes"
    assert draft.description
    tied = [k.model_copy(update={"volume": 100}) for k in batch]
    (draft,) = provider.cluster_keywords(tied, []).clusters
    assert draft.name == "growing tomatoes"


def test_ideas_come_in_the_requested_count_with_distinct_titles(provider: LocalProvider) -> None:
    keywords = [k for k in demo_keywords() if topic(k.text) == "mulch"]
    for count in (1, 3, 8):
        ideas = provider.ideas_for_cluster(cluster_input(keywords), count).ideas
        assert len(ideas) == count
        assert len({idea.title for idea in ideas}) == count
        assert all(4 <= len(idea.outline) <= 7 for idea in ideas)
        assert all(idea.target_word_count == 1500 for idea in ideas)
        assert all(idea.target_keywords[0] in {k.text for k in keywords} for idea in ideas)


def test_commercial_cluster_gets_best_comparison_and_review_ideas(
    provider: LocalProvider,
) -> None:
    keywords = [
        KeywordInput(id=1, text="best compost tumbler", volume=3600, intent="commercial"),
        KeywordInput(id=2, text="compost tumbler vs bin", volume=480, intent="commercial"),
        KeywordInput(id=3, text="compost tumbler reviews", volume=900),
    ]
    ideas = provider.ideas_for_cluster(cluster_input(keywords), 3).ideas
    assert "Best" in ideas[0].title
    assert {idea.content_structure for idea in ideas} <= {"listicle", "comparison", "review"}
    assert "comparison" in {idea.content_structure for idea in ideas}


def test_informational_cluster_gets_how_to_and_guide_ideas(provider: LocalProvider) -> None:
    keywords = [k for k in demo_keywords() if topic(k.text) == "prun"]
    ideas = provider.ideas_for_cluster(cluster_input(keywords), 3).ideas
    assert ideas[0].content_structure == "how-to"
    assert ideas[0].title.startswith("How to")
    assert {idea.content_type for idea in ideas} <= {"guide", "post"}


def test_unknown_intent_is_inferred_from_keyword_modifiers(provider: LocalProvider) -> None:
    buying = [
        KeywordInput(id=1, text="buy mulch online", volume=900),
        KeywordInput(id=2, text="mulch price per yard", volume=800),
    ]
    ideas = provider.ideas_for_cluster(cluster_input(buying), 2).ideas
    assert {idea.content_structure for idea in ideas} <= {"buying-guide", "pricing", "deals"}
    learning = [KeywordInput(id=1, text="why mulch flower beds", volume=900)]
    (idea,) = provider.ideas_for_cluster(cluster_input(learning), 1).ideas
    assert idea.content_structure == "how-to"


@pytest.mark.parametrize("target", [300, 1500, 2500])
def test_article_hits_the_target_word_count_with_every_heading_as_h2(
    provider: LocalProvider, target: int
) -> None:
    article = provider.content_for_task(task(target))
    assert count_words(article.html) == target
    assert h2_headings(article.html) == task().outline
    assert article.html.startswith("<p>")
    assert article.html.endswith("</p>")


def test_article_is_sanitised_even_from_hostile_input(provider: LocalProvider) -> None:
    hostile = task(
        800,
        outline=["Safe Heading", "<script>alert(1)</script> & more"],
        target_keywords=["<img src=x onerror=alert(1)>"],
    )
    article = provider.content_for_task(hostile)
    assert "<script" not in article.html
    assert "<img" not in article.html
    assert h2_headings(article.html)[1] == "<script>alert(1)</script> & more"
    assert sanitize_html(article.html) == article.html
    assert count_words(article.html) == 800


def test_article_meta_fields_fit_search_snippets(provider: LocalProvider) -> None:
    long_title = "An Extremely Long Title About Raised Garden Beds That Goes On and On Forever"
    for draft in (
        provider.content_for_task(task()),
        provider.content_for_task(task(title=long_title)),
    ):
        assert 0 < len(draft.meta_title) <= 60
        assert 120 <= len(draft.meta_description) <= 160


def test_article_too_short_for_its_outline_is_refused(provider: LocalProvider) -> None:
    with pytest.raises(ProviderError, match="raise the target word count"):
        provider.content_for_task(task(8))


def test_same_input_gives_the_same_output(provider: LocalProvider) -> None:
    keywords = demo_keywords()[:40]
    assert provider.cluster_keywords(keywords, []) == LocalProvider().cluster_keywords(keywords, [])
    cluster = cluster_input(keywords[:5])
    assert provider.ideas_for_cluster(cluster, 3) == provider.ideas_for_cluster(cluster, 3)
    assert provider.content_for_task(task()) == provider.content_for_task(task())
    other = provider.content_for_task(task(title="Raised Garden Beds Compared"))
    assert other.html != provider.content_for_task(task()).html
    content = ContentInput(id=1, title="T", headings=["A", "B"], keywords=["k"], site_name="s")
    first = provider.image_prompts_for_content(content, 5)
    assert first == provider.image_prompts_for_content(content, 5)
    request = ImageRequest(id=1, kind="in_article", position=1, prompt="A tomato")
    assert provider.generate_image(request) == provider.generate_image(request)


def test_image_prompts_start_with_featured_then_follow_headings(provider: LocalProvider) -> None:
    content = ContentInput(
        id=1,
        title="How to Prune Fruit Trees",
        headings=["When to Prune", "Tools You Need", "Making the Cuts"],
        keywords=["pruning fruit trees"],
        site_name="green-thumb",
    )
    prompts = provider.image_prompts_for_content(content, 5).prompts
    assert [p.kind for p in prompts] == ["featured"] + ["in_article"] * 4
    assert "How to Prune Fruit Trees" in prompts[0].prompt
    expected = ["When to Prune", "Tools You Need", "Making the Cuts", "When to Prune"]
    assert all(heading in p.prompt for heading, p in zip(expected, prompts[1:], strict=True))
    assert len({p.prompt for p in prompts}) == 5


@pytest.mark.parametrize(("kind", "size"), [("featured", (1200, 675)), ("in_article", (800, 450))])
def test_generated_image_is_a_png_of_the_expected_size(
    provider: LocalProvider, kind: str, size: tuple[int, int]
) -> None:
    request = ImageRequest.model_validate(
        {"id": 1, "kind": kind, "position": 0, "prompt": "Raised garden beds at dawn"}
    )
    generated = provider.generate_image(request)
    with Image.open(io.BytesIO(generated.data)) as image:
        image.load()
        assert (image.format, image.size) == ("PNG", size)
    assert (generated.mime_type, generated.width, generated.height) == ("image/png", *size)
