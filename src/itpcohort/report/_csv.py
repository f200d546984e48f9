"""``tables/*.csv``: each report table as a CSV file, safe against formula injection.

The CSV holds the table as the report prints it (same header, same cells, in the report language),
so a co-author can paste it into a manuscript; the unformatted numbers are in ``results.json``.
A header cell spanning several columns is written once followed by empty cells. UTF-8, comma,
``\\r\\n``, minimal quoting. A cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
return) gets a leading ``'`` so that a spreadsheet never runs it (``architecture.md``, Privacy).
``itpcohort.io.safe_csv`` did not exist on main when this was written; this is the same rule as
``crf``'s private helper.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from itpcohort.report._blocks import Cell, Table

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """``value`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def expand(row: Sequence[Cell]) -> list[str]:
    """The texts of a row, a spanning cell followed by empty cells."""
    texts: list[str] = []
    for cell in row:
        texts.append(cell.text)
        texts.extend([""] * (cell.span - 1))
    return texts


def table_rows(table: Table) -> list[list[str]]:
    """Header rows then body rows, as plain texts (what the CSV holds, before neutralising)."""
    return [expand(row) for row in (*table.header, *table.rows)]


def write_table_csv(table: Table, path: Path) -> None:
    """Write ``table`` to ``path`` (header rows, then the body)."""
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        for row in table_rows(table):
            writer.writerow([neutralise(text) for text in row])
