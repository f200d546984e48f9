"""Derived tables written as CSV by DuckDB's ``COPY``, straight from the tables that hold them.

Value formats follow ``response-criteria.md`` ("Derived table courses"), byte for byte those of
``derive.serialize.table_csv_bytes``: dates ISO ``YYYY-MM-DD``; booleans ``true``/``false``;
missing values empty; integers as they are; floats as the shortest decimal that reads back to the
same double, in Arrow's layout (``150``, ``30.5``, ``0.000025``; an exponent outside
``1e-7 < |x| < 1e10``: ``1.25e-7``, ``1e+10``). Text cells starting with ``=``, ``+``, ``-`` or
``@`` get a leading ``'`` (``architecture.md``, Privacy). A field is quoted only when it holds a
comma, a quote or a line break (quotes doubled); an empty text is written empty, like a missing
one (DuckDB would quote it). Lines end with ``\\n``; UTF-8 without BOM; rows sorted by the given
keys (NULLs last), then by every other column so that equal keys still give the same bytes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from itpcohort.shared.safe_csv import SPREADSHEET_FORMULA_STARTS

#: the SQL macros that turn a value into its CSV text (created as temporary macros)
_MACROS: tuple[str, ...] = (
    # the significant digits and decimal point of DuckDB's shortest text of a positive double
    "_csv_digits(s) AS CASE WHEN contains(s, 'e') "
    "THEN rtrim(replace(split_part(s, 'e', 1), '.', ''), '0') "
    "ELSE trim(replace(s, '.', ''), '0') END",
    "_csv_point(s) AS CASE WHEN contains(s, 'e') THEN CAST(split_part(s, 'e', 2) AS INTEGER) + 1 "
    "WHEN split_part(s, '.', 1) <> '0' THEN length(split_part(s, '.', 1)) "
    "ELSE -(length(split_part(s, '.', 2)) - length(ltrim(split_part(s, '.', 2), '0'))) END",
    # those digits laid out as Arrow does: fixed when -6 < point <= 10, else d.ddde+x
    "_csv_layout(d, p) AS CASE WHEN p > -6 AND p <= 10 THEN CASE "
    "WHEN p <= 0 THEN '0.' || repeat('0', -p) || d "
    "WHEN p >= length(d) THEN d || repeat('0', p - length(d)) "
    "ELSE d[1:p] || '.' || d[p + 1:] END "
    "ELSE d[1:1] || CASE WHEN length(d) > 1 THEN '.' || d[2:] ELSE '' END || 'e' "
    "|| CASE WHEN p >= 1 THEN '+' ELSE '-' END || CAST(abs(p - 1) AS VARCHAR) END",
    "_csv_double_any(x) AS CASE WHEN isnan(x) THEN 'nan' "
    "WHEN isinf(x) THEN CASE WHEN x > 0 THEN 'inf' ELSE '-inf' END "
    "WHEN x = 0 THEN CASE WHEN CAST(x AS VARCHAR) LIKE '-%' THEN '-0' ELSE '0' END "
    "ELSE CASE WHEN x < 0 THEN '-' ELSE '' END "
    "|| _csv_layout(_csv_digits(CAST(abs(x) AS VARCHAR)), _csv_point(CAST(abs(x) AS VARCHAR))) END",
    # the common case first: there DuckDB's own text is Arrow's, but for the '.0' of a whole number
    "_csv_double(x) AS CASE WHEN abs(x) >= 1e-4 AND abs(x) < 1e10 THEN CASE WHEN x = trunc(x) "
    "THEN CAST(CAST(x AS BIGINT) AS VARCHAR) ELSE CAST(x AS VARCHAR) END "
    "ELSE _csv_double_any(x) END",
    "_csv_text(x) AS nullif(CASE WHEN left(x, 1) IN "
    f"({', '.join(repr(c) for c in SPREADSHEET_FORMULA_STARTS)}) THEN '''' || x ELSE x END, '')",
)

_INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT"}
_INTEGERS |= {"UINTEGER", "UBIGINT"}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cell(column: str, kind: str) -> str:
    """The SQL of one CSV cell of ``column`` (DuckDB type ``kind``), NULL for an empty cell."""
    c = _q(column)
    if kind == "VARCHAR":
        text = f"_csv_text({c})"
    elif kind == "DOUBLE":
        text = f"_csv_double({c})"
    elif kind == "BOOLEAN":
        text = f"CASE WHEN {c} THEN 'true' WHEN NOT {c} THEN 'false' END"
    elif kind == "DATE" or kind in _INTEGERS:
        text = f"CAST({c} AS VARCHAR)"
    elif kind == '"NULL"' or kind == "NULL":
        text = "CAST(NULL AS VARCHAR)"
    else:
        raise TypeError(f"no CSV format for column type {kind}")
    return f"{text} AS {c}"


def copy_csv(
    con: duckdb.DuckDBPyConnection,
    source: str,
    columns: Sequence[str],
    sort_by: Sequence[str],
    path: Path,
) -> None:
    """Write ``columns`` of the table or view ``source`` (SQL name) to ``path`` as CSV, in the
    formats of the module docstring, rows sorted by ``sort_by`` then the other columns.

    The rows never leave DuckDB: one ``COPY (SELECT ...) TO`` formats, sorts and writes them.
    """
    for macro in _MACROS:
        con.execute(f"CREATE OR REPLACE TEMP MACRO {macro}")
    selected = con.sql(f"SELECT {', '.join(map(_q, columns))} FROM {source}")
    kinds = dict(zip(columns, selected.types, strict=True))
    cells = ", ".join(_cell(c, str(kinds[c])) for c in columns)
    order = [*sort_by, *(c for c in columns if c not in sort_by)]
    # by the typed column of the source, not the text cell of the same name
    order_sql = ", ".join(f"_rows.{_q(c)} ASC NULLS LAST" for c in order)
    target = str(path).replace("'", "''")
    con.execute(
        f"COPY (SELECT {cells} FROM {source} AS _rows ORDER BY {order_sql}) TO '{target}' "
        "(FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"', ESCAPE '\"', NULLSTR '')"
    )


def arrow_csv_bytes(table: pa.Table, columns: Sequence[str], sort_by: Sequence[str]) -> bytes:
    """``copy_csv`` of an Arrow ``table`` (in a scratch in-memory database), as bytes."""
    with duckdb.connect() as con, tempfile.TemporaryDirectory(prefix="itpcohort-csv-") as folder:
        con.register("_arrow_rows", table)
        path = Path(folder) / "rows.csv"
        copy_csv(con, "_arrow_rows", columns, sort_by, path)
        return path.read_bytes()
