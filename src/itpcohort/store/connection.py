"""DuckDB connections of the study database, and the Ibis backend other layers read it through.

Only ``store/`` imports duckdb (``architecture.md``). Connections get a memory limit and a spill
directory, so that a 50-million-count import stays within a few GiB on a laptop: set
``ITPCOHORT_MEMORY_LIMIT`` (default ``4GB``) and ``ITPCOHORT_THREADS`` (default: every core) to change
them. Both are checked (``resource_settings``) and, like the spill folder, passed to DuckDB as
parameters.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from itpcohort.errors import UsageError, shown

DEFAULT_MEMORY_LIMIT = "4GB"

#: a memory limit as DuckDB reads it: a number and a unit, or a percentage of the machine's memory
_MEMORY_LIMIT = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB|%)", re.IGNORECASE)


def resource_settings() -> tuple[str, int | None]:
    """The memory limit and thread count the environment asks for (``ITPCOHORT_MEMORY_LIMIT``,
    ``ITPCOHORT_THREADS``), checked; a value DuckDB would not read is a ``UsageError`` (exit 2).
    """
    memory_limit = os.environ.get("ITPCOHORT_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT).strip()
    if not _MEMORY_LIMIT.fullmatch(memory_limit):
        raise UsageError(
            f"ITPCOHORT_MEMORY_LIMIT={shown(memory_limit)}: expected a size such as 4GB, 512MB, "
            "8GiB or 50%"
        )
    threads = os.environ.get("ITPCOHORT_THREADS", "").strip()
    if not threads:
        return memory_limit, None
    if not threads.isascii() or not threads.isdigit() or int(threads) < 1:
        raise UsageError(
            f"ITPCOHORT_THREADS={shown(threads)}: expected a whole number of threads, such as 4"
        )
    return memory_limit, int(threads)


def _install_ibis_compat() -> None:
    """Let ibis 12 run on duckdb 2: ibis calls the cursor methods that duckdb 2 renamed.

    duckdb 2 has ``to_arrow_table``/``to_arrow_reader`` where ibis 12 calls ``fetch_arrow_table``/
    ``fetch_record_batch``; the old names are added back as thin aliases (silencing duckdb's note
    that Arrow output of a DB-API result makes one copy, which is what ibis wants here).
    """
    # ibis 12 still calls the result method duckdb 2 deprecated in favour of to_arrow_table
    warnings.filterwarnings(
        "ignore", message=r"fetch_arrow_table\(\) is deprecated", category=DeprecationWarning
    )
    connection = duckdb.DuckDBPyConnection
    if not hasattr(connection, "fetch_arrow_table"):

        def fetch_arrow_table(self: Any) -> pa.Table:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                return self.to_arrow_table()

        connection.fetch_arrow_table = fetch_arrow_table  # type: ignore[attr-defined]
    if not hasattr(connection, "fetch_record_batch"):

        def fetch_record_batch(self: Any, rows_per_batch: int = 1_000_000) -> pa.RecordBatchReader:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                return self.to_arrow_reader(rows_per_batch)

        connection.fetch_record_batch = fetch_record_batch  # type: ignore[attr-defined]


def configure(
    con: duckdb.DuckDBPyConnection, temp_directory: Path, create_temp_directory: bool = True
) -> None:
    """Set the memory limit, thread count and spill directory of ``con``.

    Without ``create_temp_directory``, DuckDB creates the spill folder only if it spills, and
    removes what it created when the connection closes.
    """
    memory_limit, threads = resource_settings()
    # every value reaches DuckDB as a parameter, never spliced into the statement
    con.execute("SET memory_limit = ?", [memory_limit])
    if threads is not None:
        con.execute("SET threads = ?", [threads])
    if create_temp_directory:
        temp_directory.mkdir(parents=True, exist_ok=True)
    con.execute("SET temp_directory = ?", [temp_directory.as_posix()])
    # our own progress display is rich's; DuckDB's would print over it
    con.execute("SET enable_progress_bar = false")


def storage_error_message(error: BaseException) -> str | None:
    """One line for a DuckDB failure of the disk or the memory (disk full, read-only folder, a
    database invalidated by such a failure, out of memory), or None for any other error.
    """
    if isinstance(error, duckdb.OutOfMemoryException):
        return (
            f"DuckDB ran out of memory ({_first_line(error)}); raise ITPCOHORT_MEMORY_LIMIT or "
            "free some disk space for its spill folder"
        )
    if isinstance(error, (duckdb.IOException, duckdb.FatalException, duckdb.TransactionException)):
        original = str(error).partition("Original error:")[2]
        return f"the study database could not be written: {_first_line(original or error)}"
    return None


def _first_line(error: object) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def connect(db_path: Path | None, temp_directory: Path) -> duckdb.DuckDBPyConnection:
    """Open the study database at ``db_path`` (in memory when None), configured for big imports."""
    con = duckdb.connect(":memory:" if db_path is None else str(db_path))
    configure(con, temp_directory)
    return con


@dataclass(frozen=True)
class SqlBackend:
    """A connection on the study database for what only runs SQL (the compiled derivation,
    ``persist_temp_tables``): ``con`` and ``disconnect`` as an Ibis backend has them, without
    loading Ibis (a quarter of a second)."""

    con: duckdb.DuckDBPyConnection

    def disconnect(self) -> None:
        """Close the connection."""
        self.con.close()


def connect_sql(db_path: Path, *, read_only: bool = False) -> SqlBackend:
    """The study database at ``db_path`` for running SQL, with the import's memory limit and
    spill folder (so that derivation spills too) and the session settings of Ibis's backend."""
    con = duckdb.connect(str(db_path), read_only=read_only)
    configure(con, db_path.parent / ".itpcohort-spill", create_temp_directory=False)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET python_enable_replacements = false")
    return SqlBackend(con)


def connect_ibis(db_path: Path, *, read_only: bool = False) -> Any:
    """An Ibis DuckDB backend on the study database (``derive/`` reads canonical tables through it)."""
    import ibis

    _install_ibis_compat()
    return ibis.duckdb.from_connection(connect_sql(db_path, read_only=read_only).con)


def execute_to_arrow(expr: Any) -> pa.Table:
    """Run an Ibis expression and return its rows as a pyarrow Table."""
    _install_ibis_compat()
    return expr.to_pyarrow()


def materialize_temp(backend: Any, name: str, expr: Any) -> Any:
    """Execute ``expr`` once into the new temporary table ``name`` of ``backend``; return it.

    Not ``overwrite=True``: Ibis would then build the rows in a scratch table and copy them
    again (twice the writing, on 50 million counts). ``name`` must be new on this connection.
    """
    _install_ibis_compat()
    return backend.create_table(name, expr, temp=True)


def drop_temp(backend: Any, name: str) -> None:
    """Drop the temporary table ``name`` of ``backend`` (its memory and spill space are freed)."""
    backend.con.execute(f'DROP TABLE IF EXISTS temp."{name}"')


def persist_temp_tables(backend: Any, tables: dict[str, str]) -> None:
    """Copy temporary tables into the study database, in one transaction: ``{name: temp_name}``.

    The rows go from DuckDB to DuckDB (no round trip through Arrow); the derived tables land all
    together or not at all.
    """
    con = backend.con
    con.execute("BEGIN TRANSACTION")
    try:
        for name, temp_name in tables.items():
            con.execute(
                f'CREATE OR REPLACE TABLE main."{name}" AS SELECT * FROM temp."{temp_name}"'
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
