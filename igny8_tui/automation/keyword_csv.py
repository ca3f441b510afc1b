"""Keyword CSV files: each row validated, the first bad line named, duplicates merged."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from igny8_tui.errors import InvalidInputError, first_validation_error

KEYWORD_COLUMNS = ("keyword", "volume", "difficulty", "intent")


def normalise_keyword(text: str) -> str:
    return " ".join(text.casefold().split())


class KeywordRow(BaseModel):
    """One row of a keyword CSV file."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    keyword: str = Field(min_length=1, max_length=300)
    volume: int = Field(default=0, ge=0)
    difficulty: int | None = Field(default=None, ge=0, le=100)
    intent: Literal["informational", "commercial", "transactional", "navigational"] | None = None

    @field_validator("volume", "difficulty", "intent", mode="before")
    @classmethod
    def _blank_is_missing(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("volume", mode="after")
    @classmethod
    def _volume_default(cls, value: int | None) -> int:
        return value or 0

    @field_validator("intent", mode="before")
    @classmethod
    def _intent_lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

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
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "keyword" not in header:
        raise InvalidInputError(f"{path}:1: header row with a 'keyword' column is required")
    unknown = [h for h in header if h not in KEYWORD_COLUMNS]
    if unknown:
        raise InvalidInputError(
            f"{path}:1: unknown column {unknown[0]!r} (expected {', '.join(KEYWORD_COLUMNS)})"
        )
    reader.fieldnames = header
    for row in reader:
        line = reader.line_num
        if None in row:
            raise InvalidInputError(f"{path}:{line}: more fields than the header has")
        try:
            yield KeywordRow.model_validate(row)
        except ValidationError as exc:
            field, message = first_validation_error(exc, whole="row")
            raise InvalidInputError(f"{path}:{line}: {field}: {message}") from None
