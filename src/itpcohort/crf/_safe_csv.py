"""CSV writing safe against formula injection (``architecture.md``, Privacy).

A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before reading a formula) is written with a leading ``'`` so that a spreadsheet
never runs it. Kept private to ``crf/`` until a shared ``itpcohort.io.safe_csv`` exists.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Return ``value`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Write a UTF-8 CSV file (comma, minimal quoting, ``\\r\\n``) with every cell neutralised."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([neutralise(cell) for cell in header])
        for row in rows:
            writer.writerow([neutralise(cell) for cell in row])
