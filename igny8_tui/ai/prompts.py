"""Prompt templates: defaults ship with the package; a file in <home>/prompts/ overrides one."""

from __future__ import annotations

import string
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from igny8_tui.errors import InvalidInputError

# Template name -> the named fields it may use.
TEMPLATE_FIELDS: dict[str, frozenset[str]] = {
    "system": frozenset(),
    "clustering": frozenset({"site", "keywords", "keyword_count", "existing_clusters"}),
    "ideas": frozenset(
        {"site", "cluster", "description", "keywords", "intent", "count", "word_count"}
    ),
    "article": frozenset(
        {
            "site",
            "title",
            "description",
            "keywords",
            "outline",
            "word_count",
            "content_type",
            "content_structure",
        }
    ),
    "image_prompts": frozenset({"site", "title", "headings", "keywords", "count"}),
}


@dataclass(frozen=True)
class Template:
    name: str
    text: str
    source: str  # "default" or the override file's path

    @property
    def fields(self) -> list[str]:
        return sorted({f for _, f, _, _ in string.Formatter().parse(self.text) if f})

    def render(self, **values: object) -> str:
        return self.text.format_map(values)


def _default_text(name: str) -> str:
    return (files("igny8_tui") / "data" / "prompts" / f"{name}.txt").read_text(encoding="utf-8")


def _checked(name: str, text: str, source: str) -> Template:
    template = Template(name, text, source)
    try:
        unknown = set(template.fields) - TEMPLATE_FIELDS[name]
    except ValueError as exc:
        raise InvalidInputError(f"{source}: not a valid template: {exc}") from None
    if unknown:
        allowed = ", ".join(sorted(TEMPLATE_FIELDS[name])) or "none"
        raise InvalidInputError(
            f"{source}: unknown field {{{sorted(unknown)[0]}}} (this template may use: {allowed})"
        )
    return template


def load_templates(prompts_dir: Path) -> dict[str, Template]:
    """Every template, from its override file when there is one."""
    templates = {}
    for name in TEMPLATE_FIELDS:
        override = prompts_dir / f"{name}.txt"
        if override.is_file():
            templates[name] = _checked(name, override.read_text(encoding="utf-8"), str(override))
        else:
            templates[name] = _checked(name, _default_text(name), "default")
    return templates
