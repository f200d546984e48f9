"""Write the canonical tables and ``rejected_rows`` from the checked rows; find the warnings.

Canonical values follow ``schema.CANONICAL_COLUMNS``: vocabularies lower-case (``sex`` and
``response`` upper-case), booleans typed with the data model's defaults (``rescue`` empty -> false;
``severe`` empty -> ``who_grade >= 3`` or site ``intracranial``, false when neither is known;
``serious`` empty -> NULL), platelets in 10^9/L with the value and unit as given kept beside,
partial dates at mid-period with their precision. Child rows take their patient's center.
The warnings are found by the query the caller compiles from the derivation (``find_warnings``).
"""

from __future__ import annotations

import duckdb

from itpcohort.errors import Problem
from itpcohort.schema import (
    CANONICAL_COLUMNS,
    PROVENANCE_COLUMNS,
    REJECTED_ROWS_COLUMNS,
    TABLES,
    TABLES_BY_NAME,
    ColumnType,
)
from itpcohort.store.checks import DATE_TYPES, drug_class_sql
from itpcohort.store.intake import StagedFile, lit, q, scalar

#: canonical values that are not the checked value of a column of the same name
_DERIVED = {
    ("treatments", "drug_class"): drug_class_sql("drug__v"),
    ("treatments", "rescue"): "coalesce(rescue__v, FALSE)",
    ("platelet_counts", "platelets"): "platelets__conv",
    ("platelet_counts", "platelets_as_given"): "platelets__raw",
    ("bleeding_events", "severe"): (
        "coalesce(severe__v, coalesce(who_grade__v >= 3, FALSE) OR site__v = 'intracranial')"
    ),
}


def _expression(table: str, name: str) -> str:
    """SQL over ``checked_<table>`` of the canonical column ``name``: text as given, a date's
    precision, the patient's center for a child row, else the checked value (``__v``; a date of
    ``checked_patients`` is ``__value``)."""
    if (table, name) in _DERIVED:
        return _DERIVED[table, name]
    if name == "center" and table != "patients":
        return "patient_center"
    if name.endswith("_precision"):
        return name.removesuffix("_precision") + "__p"
    kind = TABLES_BY_NAME[table].column(name).type
    if kind is ColumnType.TEXT:
        return name + "__raw"
    return name + ("__value" if table == "patients" and kind in DATE_TYPES else "__v")


def create_canonical_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) every canonical table, empty, in the current transaction."""
    for table in TABLES:
        columns = CANONICAL_COLUMNS[table.name] + PROVENANCE_COLUMNS
        definition = ", ".join(f"{q(c)} {t}" for c, t in columns)
        con.execute(f"CREATE OR REPLACE TABLE main.{q(table.name)} ({definition})")


def insert_canonical(
    con: duckdb.DuckDBPyConnection, table: str, checked: str, files: list[StagedFile]
) -> int:
    """Insert the accepted rows of ``checked`` (SQL: the checked rows of ``files``) in file and
    line order; return how many.

    The printed path is a constant of the insert, or a CASE over a few files (cheaper than a join
    on 50 million rows).
    """
    if not files:
        return 0
    select = [
        f"CAST({_expression(table, c)} AS {t}) AS {q(c)}" for c, t in CANONICAL_COLUMNS[table]
    ]
    shown = " ".join(f"WHEN {f.file_id} THEN {lit(f.display)}" for f in files)
    display = lit(files[0].display) if len(files) == 1 else f"CASE file_id {shown} END"
    return int(
        scalar(
            con,
            f"INSERT INTO main.{q(table)} SELECT {', '.join(select)}, {display} AS source_file, "
            f"line AS source_row FROM ({checked}) WHERE NOT rejected ORDER BY file_id, line",
        )
    )


def write_rejected_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) ``rejected_rows`` from ``problems``, in file and line order."""
    definition = ", ".join(f"{q(c)} {t}" for c, t in REJECTED_ROWS_COLUMNS)
    con.execute(f"CREATE OR REPLACE TABLE main.rejected_rows ({definition})")
    con.execute(
        "INSERT INTO main.rejected_rows SELECT f.display, p.line, p.column_name, p.value, p.reason, "
        "p.table_name FROM problems p JOIN files f ON f.file_id = p.file_id "
        "ORDER BY f.file_order, p.line, p.file_id, p.column_order, p.kind"
    )


def find_warnings(
    con: duckdb.DuckDBPyConnection, relative_of: dict[str, str], warnings_sql: str | None
) -> list[Problem]:
    """The data-model warnings of the canonical tables (``data-model.md``, Warnings), in file, line
    and column order.

    ``warnings_sql`` is the query of the warned cells (``derivation.compile_warnings``: the
    derivation's own courses and baseline rules under the study's criteria), with the columns
    ``derive.warnings.WARNING_COLUMNS``; None finds no warning. A column is named as its file
    names it (the fields of a REDCap export: ``file_columns``).
    """
    if warnings_sql is None:
        return []
    query = f"""
    SELECT w.source_file, w.source_row, coalesce(c.shown_name, w.column_name), w.value, w.reason
    FROM ({warnings_sql}) w
    LEFT JOIN files f ON f.display = w.source_file AND f.table_name = w.table_name
    LEFT JOIN file_columns c ON c.file_id = f.file_id AND c.column_name = w.column_name
    ORDER BY 1, 2, 3
    """
    return _problems(con.execute(query).fetchall(), relative_of)


def rejected_problems(
    con: duckdb.DuckDBPyConnection, kind: str | None, relative_of: dict[str, str]
) -> list[Problem]:
    """The problems (``kind`` = ``problem``), held-back rows (``held_back``) or both (None), in
    file and line order."""
    where = "" if kind is None else f"WHERE p.kind = {lit(kind)}"
    rows = con.execute(
        "SELECT f.display, p.line, p.column_name, p.value, p.reason FROM problems p "
        f"JOIN files f ON f.file_id = p.file_id {where} "
        "ORDER BY f.file_order, p.line, p.file_id, p.column_order, p.kind"
    ).fetchall()
    return _problems(rows, relative_of)


def _problems(rows: list[tuple], relative_of: dict[str, str]) -> list[Problem]:
    """(file, row, column, value, reason) rows as problems naming their file's relative path."""
    return [
        Problem(file, row, column, value, reason, relative_file=relative_of.get(file))
        for file, row, column, value, reason in rows
    ]
