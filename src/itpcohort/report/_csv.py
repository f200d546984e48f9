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
import pyarrow as pa
import pyarrow.compute as pc

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


#: a text cell a spreadsheet would read as a formula (``safe_csv.FORMULA_STARTS``)
_FORMULA_START = "^[" + "".join("\\" + c if c in "-\\]^" else c for c in FORMULA_STARTS) + "]"


def _text(value: str) -> pa.Scalar:
    """``value`` as an Arrow text scalar of the type every column's texts have."""
    return pa.scalar(value, pa.large_string())


def _float_texts(values: np.ndarray) -> pa.Array:
    """``repr`` of each float (``neutralise``; NaN empty), by Arrow where it gives the same text.

    Arrow's shortest digits are Python's. Where Python writes them in fixed notation (from 1e-4
    to 1e16) and Arrow does too, only a whole number differs (Arrow ``5``, Python ``5.0``). The
    rest (an exponent on either side, an infinity) goes through ``repr``.
    """
    texts = pc.cast(pa.array(values), pa.large_string())
    magnitude = np.abs(values)
    with np.errstate(invalid="ignore"):
        fixed = (magnitude >= 1e-4) & (magnitude < 1e16) | (values == 0)
        fixed &= ~pc.match_substring(texts, "e").to_numpy(zero_copy_only=False)
        whole = fixed & (values == np.trunc(values))
    texts = pc.if_else(
        pa.array(whole), pc.binary_join_element_wise(texts, _text(".0"), _text("")), texts
    )
    missing = np.isnan(values)
    others = np.flatnonzero(~fixed & ~missing)
    if len(others):
        filled = np.asarray(texts.to_pylist(), dtype=object)
        filled[others] = [repr(v) for v in values[others].tolist()]
        texts = pa.array(filled.tolist(), type=pa.large_string())
    return pc.if_else(pa.array(missing), _text(""), texts)


def _column_texts(column: pd.Series) -> pa.Array:
    """The cells of one column as ``neutralise`` writes them, converted a column at a time.

    Booleans, integers and floats (a missing one empty) by their dtype; a column of text by
    Arrow's string functions (a formula start gets its leading ``'``); any other column (mixed
    objects, dates) cell by cell through ``neutralise``.
    """
    missing = column.isna().to_numpy()
    if pd.api.types.is_bool_dtype(column) and not missing.any():
        return pc.if_else(pa.array(column.to_numpy(dtype=bool)), _text("true"), _text("false"))
    if pd.api.types.is_integer_dtype(column):  # a nullable one's missing values empty
        return pc.fill_null(pc.cast(pa.array(column), pa.large_string()), _text(""))
    if pd.api.types.is_float_dtype(column) and column.dtype.kind == "f":
        return _float_texts(column.to_numpy(dtype=float, na_value=np.nan))
    values = column.astype(object).where(~missing, None)
    if pd.api.types.infer_dtype(values, skipna=True) in {"string", "empty"}:
        text = pc.fill_null(pa.array(values, type=pa.large_string(), from_pandas=True), _text(""))
        risky = pc.match_substring_regex(text, _FORMULA_START)
        return pc.if_else(risky, pc.binary_join_element_wise(_text("'"), text, _text("")), text)
    return pa.array([neutralise(value) for value in values.tolist()], type=pa.large_string())


def _csv_fields(texts: pa.Array, alone: bool) -> pa.Array:
    """``texts`` as ``csv.writer`` writes the fields (minimal quoting, ``\\n`` line ends): quoted,
    quotes doubled, when a text holds a comma, a quote or a line feed; an empty field ``alone`` on
    its row is written ``""``."""
    fields = texts
    quote = pc.match_substring_regex(texts, '[,"\\n]')
    if pc.any(quote).as_py():  # most columns have no such text: nothing to build
        doubled = pc.replace_substring(texts, '"', '""')
        quoted = pc.binary_join_element_wise(_text('"'), doubled, _text('"'), _text(""))
        fields = pc.if_else(quote, quoted, texts)
    return pc.if_else(pc.equal(texts, _text("")), _text('""'), fields) if alone else fields


def write_frame_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` (its columns as the header, a missing value as an empty cell),
    each cell as ``itpcohort.shared.safe_csv.neutralise`` writes it, each line as ``write_csv``'s
    ``csv.writer`` does.

    The cells are converted, quoted and joined into lines a column at a time by Arrow, not a
    Python object per cell: 1.2 million swimmer marks of a 200,000-patient cohort took 5.1 s
    through ``csv.writer``.
    """
    path = Path(path)
    write_csv(path, [str(c) for c in frame.columns], [])  # the header, as every CSV of the run
    if frame.empty or not len(frame.columns):
        return
    alone = len(frame.columns) == 1
    fields = [_csv_fields(_column_texts(frame[name]), alone) for name in frame.columns]
    lines = fields[0] if alone else pc.binary_join_element_wise(*fields, _text(","))
    lines = pc.binary_join_element_wise(lines, _text("\n"), _text(""))
    ends = np.frombuffer(lines.buffers()[1], dtype=np.int64)
    first, last = int(ends[lines.offset]), int(ends[lines.offset + len(lines)])
    with path.open("ab") as handle:
        handle.write(memoryview(lines.buffers()[2])[first:last])
