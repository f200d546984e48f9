"""A stored study database checked before it is read (``architecture.md``: one schema, typed).

A ``study.duckdb`` imported by an earlier ``itpcohort`` may lack a canonical table or column
declared since (``treatments.stop_reason``: ``protocols.md``, Data model additions). Every reader
of a stored study (the derivation on DuckDB and on other engines, ``export``) checks it here,
against the one declaration of the canonical tables (``schema.CANONICAL_COLUMNS``), before any
query: a missing column is one line naming the database, the table, the column and what to do,
never a binder error from deep inside a query.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from itpcohort.errors import InputError
from itpcohort.schema import CANONICAL_COLUMNS

#: what to do about a database written by an earlier version
_AGAIN = "(imported by an earlier itpcohort); import the inputs again"


def stored_study_problem(con: duckdb.DuckDBPyConnection, database: Path) -> str | None:
    """The line saying why the study database open on ``con`` (the file ``database``) cannot be
    read as the canonical tables (``schema.CANONICAL_COLUMNS``), or None when every table and
    column is there: no canonical table at all (or no ``patients``) is not an imported study;
    otherwise the first table, in declaration order, that is missing or lacks columns."""
    found: dict[str, set[str]] = {}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'main'"
    ).fetchall():
        found.setdefault(str(table), set()).add(str(column))
    absent = [name for name in CANONICAL_COLUMNS if name not in found]
    if "patients" in absent:
        return f"{database}: not an imported study (missing tables: {', '.join(absent)})"
    for name, columns in CANONICAL_COLUMNS.items():
        if name in absent:
            return f"{database}: no table {name} {_AGAIN}"
        missing = [column for column, _ in columns if column not in found[name]]
        if missing:
            noun = "column" if len(missing) == 1 else "columns"
            return f"{database}: table {name} has no {noun} {', '.join(missing)} {_AGAIN}"
    return None


def check_stored_study(con: duckdb.DuckDBPyConnection, database: Path) -> None:
    """Raise ``InputError`` (one line, exit 1) when ``stored_study_problem`` finds a problem."""
    problem = stored_study_problem(con, database)
    if problem is not None:
        raise InputError(problem)
