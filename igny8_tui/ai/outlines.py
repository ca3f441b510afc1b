"""Article outlines: four to seven headings in a sensible order for a content structure."""

from __future__ import annotations

import random

from igny8_tui.ai.phrases import OUTLINES, STEP_MARKER
from igny8_tui.ai.text import title_case


def outline_for(structure: str, topic: str, rng: random.Random) -> list[str]:
    """Four to seven headings in a sensible order for a content structure."""
    candidates = OUTLINES.get(structure, OUTLINES["guide"])
    size = rng.randint(4, len(candidates))
    middle = sorted(rng.sample(range(1, len(candidates) - 1), size - 2))
    chosen = [candidates[0], *(candidates[i] for i in middle), candidates[-1]]
    headings: list[str] = []
    step = 0
    for heading in chosen:
        text = heading.replace("{T}", title_case(topic))
        if text.startswith(STEP_MARKER):
            step += 1
            text = f"Step {step}: {text[1:]}"
        headings.append(text)
    return headings
