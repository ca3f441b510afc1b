"""`igny8 export`: a site's listings as CSV or JSON, safe to open in a spreadsheet.

A CSV cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to
Excel, LibreOffice and Google Sheets (CSV injection, OWASP): such a cell gets a leading `'`, which
they show as text. A keyword or title an AI or an importer wrote can start with any of them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel

ExportFormat = Literal["csv", "json"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("csv", "json")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: str) -> str:
    """The cell's text, prefixed with `'` if a spreadsheet would take it for a formula."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def as_document(rows: Sequence[BaseModel], columns: Sequence[str], fmt: ExportFormat) -> str:
    """The rows as CSV (a header of `columns`, then one line each) or as a JSON list."""
    dumped = [row.model_dump(mode="json") for row in rows]
    if fmt == "json":
        return json.dumps(dumped, indent=2) + "\n"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for record in dumped:
        writer.writerow([_cell(record.get(column)) for column in columns])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value)
    return neutralised(str(value))
