"""``tables/*.csv``: each report table as a CSV file, safe against formula injection.

The CSV holds the table as the report prints it (same header, same cells, in the report language),
so a co-author can paste it into a manuscript; the unformatted numbers are in ``results.json``.
A header cell spanning several columns is written once followed by empty cells. Written with
``itpcohort.shared.safe_csv`` (UTF-8, comma, minimal quoting; a cell starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading ``'``: ``architecture.md``, Privacy).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from itpcohort.report._blocks import Cell, Table
from itpcohort.shared.safe_csv import FORMULA_STARTS, neutralise, write_csv


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


def _column_texts(column: pd.Series) -> list[str]:
    """The cells of one column as ``neutralise`` writes them, converted a column at a time.

    Booleans, integers and floats (a missing one empty) by their dtype; a column of text by
    pandas' string methods (a formula start gets its leading ``'``); any other column (mixed
    objects, dates) cell by cell through ``neutralise``.
    """
    missing = column.isna().to_numpy()
    if pd.api.types.is_bool_dtype(column) and not missing.any():
        return np.where(column.to_numpy(dtype=bool), "true", "false").tolist()
    if pd.api.types.is_integer_dtype(column) and not missing.any():
        return column.astype(str).tolist()
    if pd.api.types.is_float_dtype(column) and column.dtype.kind == "f":
        return ["" if m else repr(v) for v, m in zip(column.tolist(), missing, strict=True)]
    values = column.astype(object).where(~missing, None)
    if pd.api.types.infer_dtype(values, skipna=True) in {"string", "empty"}:
        text = values.fillna("")
        risky = text.str.startswith(FORMULA_STARTS).to_numpy(dtype=bool)
        return np.where(risky, "'" + text, text).tolist()
    return [neutralise(value) for value in values.tolist()]


def write_frame_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` (its columns as the header, a missing value as an empty cell),
    each cell as ``itpcohort.shared.safe_csv.neutralise`` writes it.

    The cells are converted a column at a time (``_column_texts``), not a Python object per
    cell: 314,000 swimmer marks of a 50,000-patient cohort took 2.9 s cell by cell.
    """
    columns = [_column_texts(frame[name]) for name in frame.columns]
    write_csv(Path(path), [str(c) for c in frame.columns], zip(*columns, strict=True), texts=True)
