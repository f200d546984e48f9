"""``tables/*.csv``: each report table as a CSV file, safe against formula injection.

The CSV holds the table as the report prints it (same header, same cells, in the report language),
so a co-author can paste it into a manuscript; the unformatted numbers are in ``results.json``.
A header cell spanning several columns is written once followed by empty cells. Written with
``itpcohort.shared.safe_csv`` (UTF-8, comma, minimal quoting; a cell starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading ``'``: ``architecture.md``, Privacy).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from itpcohort.report._blocks import Cell, Table
from itpcohort.shared.safe_csv import write_csv


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
    header, *rows = table_rows(table)
    write_csv(Path(path), header, rows)


#: rows converted to Python values at a time by ``write_frame_csv`` (bounds its memory)
CHUNK_ROWS = 100_000


def write_frame_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` (its columns as the header, a missing value as an empty cell).

    Rows are converted ``CHUNK_ROWS`` at a time, so the millions of rows of a large cohort's
    ``swimmer_data`` never exist all at once as Python objects.
    """

    def rows() -> Iterator[tuple[object, ...]]:
        for start in range(0, len(frame), CHUNK_ROWS):
            chunk = frame.iloc[start : start + CHUNK_ROWS]
            cells = chunk.astype(object).where(chunk.notna(), None)
            yield from cells.itertuples(index=False, name=None)

    write_csv(Path(path), [str(c) for c in frame.columns], rows())
