"""Text bound for a terminal: the characters it would act on or not show, refused or escaped."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

# Control and format characters, and line or paragraph separators: a terminal acts on them
# (\x1b starts an escape sequence, \u202e reverses what follows) or shows nothing for them.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
# The zero-width (non-)joiners are format characters that Persian, Indic scripts and emoji need.
_NEEDED_FORMAT_CHARACTERS = frozenset("\u200c\u200d")


def is_hidden(character: str) -> bool:
    return (
        unicodedata.category(character) in _HIDDEN_CATEGORIES
        and character not in _NEEDED_FORMAT_CHARACTERS
    )


def first_hidden_character(text: str) -> str | None:
    return next((c for c in text if is_hidden(c)), None)


def escape_hidden(text: str) -> str:
    """Each hidden character as its Python escape (\\n, \\x1b, \\u202e): one visible line."""
    return "".join(c.encode("unicode_escape").decode("ascii") if is_hidden(c) else c for c in text)


def _visible(text: str) -> str:
    hidden = first_hidden_character(text)
    if hidden is not None:
        raise PydanticCustomError(
            "hidden_character",
            "contains the control character {code}",
            {"code": f"U+{ord(hidden):04X}"},
        )
    return text


# A string field that refuses hidden characters, naming the first one.
VisibleStr = Annotated[str, AfterValidator(_visible)]
