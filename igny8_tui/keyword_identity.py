"""When two keywords are the same keyword: equal once normalised (NFKC, case-folded, spaced)."""

from __future__ import annotations

import unicodedata


def normalise_keyword(text: str) -> str:
    """The keyword's identity: full-width letters and compatibility forms (the ligature U+FB01)
    as their plain letters, any case, any run of spaces as one. NFKC again after case-folding,
    which can undo it (Unicode's NFKC_Casefold), so that normalising twice changes nothing."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())
