"""Image prompts from the offline provider: a featured image, then one per section heading."""

from __future__ import annotations

from igny8_tui.ai.outputs import ContentInput, ImagePromptDraft
from igny8_tui.ai.phrases import IMAGE_COMPOSITIONS, IMAGE_LIGHTING, IMAGE_STYLES
from igny8_tui.ai.text import seeded_rng, title_case, topic_of


def image_prompts(content: ContentInput, count: int) -> list[ImagePromptDraft]:
    """A featured prompt for the whole article, then one per H2 heading in order (cycling)."""
    topic = topic_of(content.keywords, content.title)
    rng = seeded_rng("prompts", content.title, content.headings, content.keywords)
    featured = (
        f"Wide hero image, {rng.choice(IMAGE_STYLES).lower()} of {topic} for the article "
        f"\u201c{content.title}\u201d; {rng.choice(IMAGE_COMPOSITIONS)}; "
        f"{rng.choice(IMAGE_LIGHTING)}; landscape 16:9, no text or logos."
    )
    prompts = [ImagePromptDraft(kind="featured", prompt=featured)]
    sections = content.headings or [f"{title_case(k)}" for k in content.keywords] or [topic]
    for position in range(1, count):
        heading = sections[(position - 1) % len(sections)]
        prompt = (
            f"{rng.choice(IMAGE_STYLES)} illustrating \u201c{heading}\u201d in an article about "
            f"{topic}; {rng.choice(IMAGE_COMPOSITIONS)}; {rng.choice(IMAGE_LIGHTING)}; "
            "no text or logos."
        )
        prompts.append(ImagePromptDraft(kind="in_article", prompt=prompt))
    return prompts
