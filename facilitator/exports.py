"""Shared pieces of every export: CSV that a spreadsheet cannot turn into a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Google Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> Any:
    """Participant text with a leading apostrophe when it would start a formula; numbers unchanged."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(list(header))
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()
