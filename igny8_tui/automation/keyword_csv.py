"""Keyword CSV files: each row validated, the first bad line named, duplicates merged."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from igny8_tui.constants import MAX_KEYWORD_CHARS, MAX_KEYWORD_VOLUME
from igny8_tui.errors import InvalidInputError, first_validation_error
from igny8_tui.keyword_identity import normalise_keyword
from igny8_tui.printable import VisibleStr

KEYWORD_COLUMNS = ("keyword", "volume", "difficulty", "intent")


class KeywordRow(BaseModel):
    """One row of a keyword CSV file."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    keyword: VisibleStr = Field(min_length=1, max_length=MAX_KEYWORD_CHARS)
    volume: int = Field(default=0, ge=0, le=MAX_KEYWORD_VOLUME)
    difficulty: int | None = Field(default=None, ge=0, le=100)
    intent: Literal["informational", "commercial", "transactional", "navigational"] | None = None

    @field_validator("difficulty", "intent", mode="before")
    @classmethod
    def _blank_is_missing(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("volume", mode="before")
    @classmethod
    def _blank_volume_is_zero(cls, value: object) -> object:
        # A blank cell, or none at all in a short row, as for difficulty and intent.
        return 0 if value in ("", None) else value

    @field_validator("intent", mode="before")
    @classmethod
    def _intent_lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("keyword", mode="after")
    @classmethod
    def _normalised_fits(cls, value: str) -> str:
        # NFKC can stretch a character into many (U+FDFA into 18); the normalised form is
        # stored too, in a column of the same length.
        if len(normalise_keyword(value)) > MAX_KEYWORD_CHARS:
            raise PydanticCustomError(
                "too_long_normalised",
                "longer than {max} characters once normalised (NFKC)",
                {"max": MAX_KEYWORD_CHARS},
            )
        return value

    def merged_with(self, later: KeywordRow) -> KeywordRow:
        """The same keyword seen again: the higher volume, the later difficulty and intent."""
        return KeywordRow(
            keyword=self.keyword,
            volume=max(self.volume, later.volume),
            difficulty=later.difficulty if later.difficulty is not None else self.difficulty,
            intent=later.intent or self.intent,
        )


def read_keyword_csv(path: Path) -> list[KeywordRow]:
    """Every row of the file, or InvalidInputError naming the first bad line."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return list(_parse_rows(path, handle))
    except OSError as exc:
        raise InvalidInputError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path}: not UTF-8 text") from None


def merge_duplicates(rows: list[KeywordRow]) -> dict[str, KeywordRow]:
    """One row per normalised keyword, in first-seen order."""
    merged: dict[str, KeywordRow] = {}
    for row in rows:
        key = normalise_keyword(row.keyword)
        earlier = merged.get(key)
        merged[key] = row if earlier is None else earlier.merged_with(row)
    return merged


def _parse_rows(path: Path, handle: Iterable[str]) -> Iterator[KeywordRow]:
    reader = csv.DictReader(handle)
    try:
        yield from _validated_rows(path, reader)
    except csv.Error as exc:
        # The DictReader's own line_num is only updated after a row is read whole.
        line = reader.reader.line_num
        raise InvalidInputError(f"{path}:{line}: {_describe(exc)}") from None


def _validated_rows(path: Path, reader: csv.DictReader[str]) -> Iterator[KeywordRow]:
    reader.fieldnames = _checked_header(path, reader.fieldnames or [])
    for row in reader:
        line = reader.line_num
        if None in row:
            raise InvalidInputError(f"{path}:{line}: more fields than the header has")
        try:
            yield KeywordRow.model_validate(row)
        except ValidationError as exc:
            field, message = first_validation_error(exc, whole="row")
            raise InvalidInputError(f"{path}:{line}: {field}: {message}") from None


def _checked_header(path: Path, fieldnames: Iterable[str]) -> list[str]:
    header = [h.strip().lower() for h in fieldnames]
    if "keyword" not in header:
        raise InvalidInputError(f"{path}:1: header row with a 'keyword' column is required")
    unknown = [h for h in header if h not in KEYWORD_COLUMNS]
    if unknown:
        raise InvalidInputError(
            f"{path}:1: unknown column {unknown[0]!r} (expected {', '.join(KEYWORD_COLUMNS)})"
        )
    repeated = next((h for n, h in enumerate(header) if h in header[:n]), None)
    if repeated is not None:
        raise InvalidInputError(f"{path}:1: column {repeated!r} appears twice")
    return header


def _describe(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return f"a field is longer than {csv.field_size_limit():,} characters"
    return f"not valid CSV: {exc}"
