"""Formatting at the edge: derived tables (already executed, as Arrow) to CSV bytes.

Value formats follow ``response-criteria.md`` ("Derived table courses"): dates ISO ``YYYY-MM-DD``;
booleans ``true``/``false``; missing values empty; integers without ``.0``; floats not rounded, as
the shortest decimal that reads back to the same double (Arrow's float-to-string cast: ``150``,
``30.5``, ``0.001``; integral values without ``.0``). Text cells starting with ``=``, ``+``, ``-`` or
``@`` get a leading ``'`` so that a spreadsheet never runs them as formulas
(``architecture.md``, Privacy). A field is quoted only when it holds a comma, a quote or a line
break (RFC 4180, quotes doubled). Rows are sorted explicitly, lines end with ``\\n``, and the file
is UTF-8 without BOM: the same table gives the same bytes on every run.

Everything is vectorised with Arrow compute; nothing here executes a query.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from itpcohort.derived_schema import MARTS
from itpcohort.shared.safe_csv import SPREADSHEET_FORMULA_STARTS

__all__ = [
    "MART_LAYOUTS",
    "courses_csv_bytes",
    "derived_csv_bytes",
    "table_csv_bytes",
]

#: per derived table: (columns in order, sort keys), as ``derived_schema`` declares them
MART_LAYOUTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    mart.name: (mart.names, mart.sort_by) for mart in MARTS
}

#: a text cell starting with one of these is a formula to a spreadsheet
_FORMULA_STARTS = SPREADSHEET_FORMULA_STARTS
#: a cell holding one of these is quoted (RFC 4180)
_QUOTE_TRIGGERS = (",", '"', "\r", "\n")


def _holds_any(cells: pa.ChunkedArray, needles: tuple[str, ...], test: Callable[..., Any]) -> Any:
    """Per cell: whether ``test(cell, pattern=needle)`` holds for some needle (literal searches,
    several times faster than one regular expression on millions of cells)."""
    found = test(cells, pattern=needles[0])
    for needle in needles[1:]:
        found = pc.or_(found, test(cells, pattern=needle))
    return found


def _quoted(cells: pa.ChunkedArray) -> pa.ChunkedArray:
    needs = _holds_any(cells, _QUOTE_TRIGGERS, pc.match_substring)
    if not pc.any(needs).as_py():
        return cells
    escaped = pc.binary_join_element_wise('"', pc.replace_substring(cells, '"', '""'), '"', "")
    return pc.if_else(needs, escaped, cells)


def _cells(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """One column as CSV cell text (NULL -> empty), by type.

    Only text can hold a separator, a quote or a formula start: dates, numbers and booleans are
    cast as they are.
    """
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = column.cast(pa.string())
        starts_like_formula = _holds_any(text, _FORMULA_STARTS, pc.starts_with)
        if pc.any(starts_like_formula).as_py():
            text = pc.if_else(starts_like_formula, pc.binary_join_element_wise("'", text, ""), text)
        text = _quoted(text)
    elif (
        pa.types.is_date(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
    ):
        text = column.cast(pa.string())
    elif pa.types.is_null(kind):
        text = pa.chunked_array([pa.nulls(len(column), pa.string())])
    else:
        raise TypeError(f"no CSV format for column type {kind}")
    return text.fill_null("")


def _text_buffers(lines: pa.ChunkedArray) -> list[pa.Buffer]:
    """The bytes of every line, chunk by chunk, as slices of Arrow's buffers (no copy, no
    Python strings); ``lines`` holds no NULL."""
    buffers = []
    for chunk in lines.chunks:
        if len(chunk) == 0:
            continue
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        offsets = np.frombuffer(chunk.buffers()[1], dtype=width)
        start, end = int(offsets[chunk.offset]), int(offsets[chunk.offset + len(chunk)])
        buffers.append(chunk.buffers()[2][start:end])
    return buffers


#: rows formatted per task: a large table's slices are formatted on every core at once
SLICE_ROWS = 50_000


def _lines(rows: pa.Table, columns: Sequence[str]) -> list[pa.Buffer]:
    """The CSV lines of ``rows`` (each ending with ``\\n``), as Arrow buffers."""
    cells = [_cells(rows.column(name)) for name in columns]
    cells[-1] = pc.binary_join_element_wise(cells[-1], "", "\n")  # each line ends with \n
    return _text_buffers(pc.binary_join_element_wise(*cells, ","))


def _in_order(table: pa.Table, sort_by: Sequence[str]) -> bool:
    """Whether the rows of ``table`` are already sorted by ``sort_by`` (ascending, NULLs last).

    The marts come out of DuckDB sorted, and sorting two million courses again by text keys
    took 1.4 s; checking neighbours takes a few vectorised comparisons. Floating-point keys are
    not checked (NaN compares with nothing): such a table is always sorted.
    """
    if table.num_rows < 2:
        return True
    decided = None  # rows already known to be before their successor
    for key in sort_by:
        column = table.column(key)
        if pa.types.is_floating(column.type):
            return False
        this, after = column.slice(0, table.num_rows - 1), column.slice(1)
        this_null, after_null = pc.is_null(this), pc.is_null(after)
        before = pc.or_(
            pc.fill_null(pc.less(this, after), False), pc.and_not(after_null, this_null)
        )
        later = pc.or_(
            pc.fill_null(pc.greater(this, after), False), pc.and_not(this_null, after_null)
        )
        if decided is not None:
            later = pc.and_not(later, decided)
        if pc.any(later).as_py():
            return False
        decided = before if decided is None else pc.or_(decided, before)
    return True


def table_csv_bytes(table: pa.Table, columns: Sequence[str], sort_by: Sequence[str]) -> bytes:
    """``table``'s ``columns`` as CSV bytes, rows sorted by ``sort_by`` (NULLs last).

    A cell's text depends on that cell alone, so slices of rows are formatted in parallel
    (Arrow's kernels release the GIL) and their bytes joined in order: the same bytes as one pass.
    """
    ordered = table.select(list(columns))
    if not _in_order(ordered, sort_by):  # a stable sort leaves sorted rows as they are
        ordered = ordered.sort_by([(key, "ascending") for key in sort_by])
    header = ",".join(_quoted(pa.chunked_array([list(columns)], pa.string())).to_pylist())
    if ordered.num_rows == 0:
        return (header + "\n").encode("utf-8")
    slices = [ordered.slice(start, SLICE_ROWS) for start in range(0, ordered.num_rows, SLICE_ROWS)]
    if len(slices) == 1:
        parts = [_lines(slices[0], columns)]
    else:
        with ThreadPoolExecutor(max_workers=min(len(slices), os.cpu_count() or 1)) as pool:
            parts = list(pool.map(lambda rows: _lines(rows, columns), slices))
    return b"".join([(header + "\n").encode("utf-8"), *(b for part in parts for b in part)])


def courses_csv_bytes(table: pa.Table) -> bytes:
    """``derived/courses.csv``: the spec's columns in order, sorted by center, patient, course."""
    return derived_csv_bytes("courses", table)


def derived_csv_bytes(name: str, table: pa.Table) -> bytes:
    """Any derived table of ``MART_LAYOUTS`` as CSV bytes, in its column order and sort order."""
    try:
        columns, sort_by = MART_LAYOUTS[name]
    except KeyError:
        raise KeyError(f"no CSV layout for '{name}'; known: {', '.join(MART_LAYOUTS)}") from None
    return table_csv_bytes(table, columns, sort_by)
