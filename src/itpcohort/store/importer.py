"""Validated, all-or-nothing import of a study into DuckDB, and the run registry.

``architecture.md``: an import lands whole or leaves the database as it was (the new database is
built beside the old one and renamed over it); importing the same files twice gives the same
canonical tables and ``rejected_rows`` (rows in file and line order); each import appends one row
to ``runs`` (input file hashes, criteria, configuration, versions, times, counts).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

import itpcohort
from itpcohort.config import StudyConfig
from itpcohort.errors import InputError, ItpcohortError
from itpcohort.io.import_report import ImportReport, TableCounts, ValidationReport
from itpcohort.io.sources import discover_sources
from itpcohort.schema import TABLES
from itpcohort.store.canonical import find_warnings, rejected_problems, write_rejected_rows
from itpcohort.store.connection import connect
from itpcohort.store.intake import OpenedFile, StagedFile, lit, open_sources, scalar
from itpcohort.store.loading import check_and_load

RUNS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "INTEGER"),
    ("command", "VARCHAR"),
    ("started_at", "TIMESTAMP"),
    ("finished_at", "TIMESTAMP"),
    ("itpcohort_version", "VARCHAR"),
    ("duckdb_version", "VARCHAR"),
    ("python_version", "VARCHAR"),
    ("inputs", "VARCHAR"),  # JSON: [{"file", "relative", "sha256", "bytes"}]
    ("config", "VARCHAR"),  # JSON of the study configuration
    ("criteria", "VARCHAR"),  # JSON of the criteria given by the caller (null for a plain import)
    ("counts", "VARCHAR"),  # JSON: {table: {rows_read, rows_loaded, rows_rejected, rows_held_back}}
)


class DatabaseError(ItpcohortError):
    """The study database cannot be opened or written (in use by another program, not DuckDB)."""

    exit_code = 1


def _open_inputs(inputs: list[Path], config: StudyConfig) -> tuple[list[OpenedFile], list[str]]:
    """Find and open every file; raise InputError with every file-level problem."""
    discovery = discover_sources(inputs, config)
    if discovery.problems:
        raise InputError("the input cannot be imported", discovery.problems)
    opened, notes = open_sources(discovery.sources)
    return opened, list(discovery.notes) + notes


def _counts(con: duckdb.DuckDBPyConnection, rows_read: dict[str, int]) -> tuple[TableCounts, ...]:
    counts = []
    for table in TABLES:
        name = table.name
        rejected, held_back = con.execute(
            f"SELECT count(*) FILTER (rejected), count(held_back) FROM checked_{name}"
        ).fetchall()[0]
        loaded = scalar(con, f'SELECT count(*) FROM main."{name}"')
        read = rows_read[name]
        if loaded + rejected != read:  # an invariant of the pipeline, checked by the tests
            raise AssertionError(f"{name}: {loaded} loaded + {rejected} rejected != {read} read")
        counts.append(TableCounts(name, read, loaded, rejected, held_back))
    return tuple(counts)


def _report_parts(
    con: duckdb.DuckDBPyConnection,
    files: list[StagedFile],
    rows_read: dict[str, int],
    warnings_sql: str | Callable[[], str] | None,
) -> dict[str, Any]:
    relative_of = {f.display: f.relative for f in files}
    if callable(warnings_sql):
        warnings_sql = warnings_sql()
    return {
        "problems": tuple(rejected_problems(con, "problem", relative_of)),
        "held_back": tuple(rejected_problems(con, "held_back", relative_of)),
        "rejected": tuple(rejected_problems(con, None, relative_of)),
        "warnings": tuple(find_warnings(con, relative_of, warnings_sql)),
        "counts": _counts(con, rows_read),
    }


def validate_study(
    inputs: list[Path], config: StudyConfig, warnings_sql: str | None = None
) -> ValidationReport:
    """Check ``inputs`` as an import would; no study database is written.

    ``warnings_sql``: the query of the warnings (``canonical.find_warnings``), None for none.

    The checks run in a scratch database in the system's temporary folder (so that 50 million
    counts spill to disk instead of filling the memory), deleted afterwards. Raises InputError for
    file-level problems; row-level problems are in the report.
    """
    scratch = Path(tempfile.mkdtemp(prefix="itpcohort-validate-"))
    try:
        con = connect(scratch / "scratch.duckdb", scratch / "spill")
        try:
            opened, notes = _open_inputs(inputs, config)
            files = [o.staged for o in opened]
            rows_read = check_and_load(con, opened)
            write_rejected_rows(con)
            parts = _report_parts(con, files, rows_read, warnings_sql)
            return ValidationReport(notes=tuple(notes), **parts)
        finally:
            con.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _open_database(db_path: Path, spill: Path) -> duckdb.DuckDBPyConnection:
    try:
        return connect(db_path, spill)
    except duckdb.Error as error:
        raise DatabaseError(f"{db_path}: cannot open the study database ({error})") from None


def _config_json(config: StudyConfig) -> str:
    return json.dumps(asdict(config), sort_keys=True, default=str)


def _register_run(
    con: duckdb.DuckDBPyConnection,
    command: str,
    started_at: datetime,
    opened: list[OpenedFile],
    config: StudyConfig,
    criteria: dict[str, Any] | None,
    counts: tuple[TableCounts, ...],
) -> int:
    run_id = scalar(con, "SELECT coalesce(max(run_id), 0) + 1 FROM main.runs")
    # one entry per file read: the tables of a REDCap export are one file
    inputs = list(
        {
            (o.staged.display, o.text.sha256): {
                "file": o.staged.display,
                "relative": o.staged.relative,
                "sha256": o.text.sha256,
                "bytes": o.staged.size,
            }
            for o in opened
        }.values()
    )
    con.execute(
        "INSERT INTO main.runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            command,
            started_at.replace(tzinfo=None),
            datetime.now(UTC).replace(tzinfo=None),
            itpcohort.__version__,
            duckdb.__version__,
            platform.python_version(),
            json.dumps(inputs, sort_keys=True),
            _config_json(config),
            None if criteria is None else json.dumps(criteria, sort_keys=True, default=str),
            json.dumps({c.table: asdict(c) for c in counts}, sort_keys=True),
        ],
    )
    return int(run_id)


def _building_path(db_path: Path) -> Path:
    """Where an import builds its new database: beside ``db_path``, named after this process."""
    return db_path.with_name(f".{db_path.name}.importing-{os.getpid()}")


def _remove_database_file(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def _remove_abandoned_builds(db_path: Path) -> None:
    """Remove what imports killed midway left beside ``db_path`` (their process is gone)."""
    for leftover in db_path.parent.glob(f".{db_path.name}.importing-*"):
        pid = leftover.name.rsplit("-", 1)[-1].removesuffix(".wal")
        if pid.isdigit() and not _process_alive(int(pid)):
            leftover.unlink(missing_ok=True)
    for spill in db_path.parent.glob(".itpcohort-spill-*"):
        pid = spill.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _process_alive(int(pid)):
            shutil.rmtree(spill, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _carry_runs_over(
    con: duckdb.DuckDBPyConnection, db_path: Path, replaced_in_place: bool
) -> None:
    """Copy the run registry of the previous database at ``db_path`` (if any) into ``con``.

    Unless ``replaced_in_place`` (the new database is renamed over ``db_path``), the previous
    database is only read: it belongs to outputs that stay as they were until swapped out.
    """
    definition = ", ".join(f'"{c}" {t}' for c, t in RUNS_COLUMNS)
    con.execute(f"CREATE TABLE main.runs ({definition})")
    if not db_path.exists():
        return
    mode = "" if replaced_in_place else " (READ_ONLY)"
    try:
        con.execute(f"ATTACH {lit(str(db_path))} AS previous{mode}")
    except duckdb.Error as error:
        raise DatabaseError(f"{db_path}: cannot open the study database ({error})") from None
    try:
        has_runs = scalar(
            con,
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'previous' "
            "AND table_name = 'runs'",
        )
        if has_runs:
            columns = ", ".join(f'"{c}"' for c, _ in RUNS_COLUMNS)
            con.execute(
                f"INSERT INTO main.runs SELECT {columns} FROM previous.runs ORDER BY run_id"
            )
        if replaced_in_place:
            con.execute("CHECKPOINT previous")  # so that no WAL of the old file is left behind
    finally:
        con.execute("DETACH previous")


def import_study(
    inputs: list[Path],
    config: StudyConfig,
    db_path: Path,
    *,
    command: str = "import",
    criteria: dict[str, Any] | None = None,
    previous: Path | None = None,
    warnings_sql: str | Callable[[], str] | None = None,
) -> ImportReport:
    """Validate ``inputs`` and write the study database ``db_path``; it lands whole or not at all.

    Writes every canonical table (``schema.CANONICAL_COLUMNS`` + provenance), ``rejected_rows``
    (``schema.REJECTED_ROWS_COLUMNS``) and one ``runs`` row appended to the registry of the
    previous database (``previous``, by default ``db_path`` itself: a command writing into a
    staging folder names the database that folder will replace). Raises InputError for
    file-level problems. ``criteria`` is recorded in the run; ``warnings_sql`` finds the warnings
    (``canonical.find_warnings``: the caller compiles it from the derivation under those criteria;
    a call that gives it is made once the rows are loaded).

    The new database is built in a file beside ``db_path`` and renamed over it at the end
    (an atomic replacement): an import that fails or is killed leaves ``db_path`` as it was. One
    DuckDB transaction would give the same guarantee but holds every uncommitted row in memory
    (8.5 GiB for a million patients, against 3 GiB this way). Everything else the previous file
    held (derived tables of an earlier run) is replaced with it: it was derived from the old
    data. Only the run registry is carried over.
    """
    started_at = datetime.now(UTC)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_builds(db_path)
    building = _building_path(db_path)
    _remove_database_file(building)
    spill = db_path.parent / f".itpcohort-spill-{os.getpid()}"
    try:
        opened, notes = _open_inputs(inputs, config)
        files = [o.staged for o in opened]
        con = _open_database(building, spill)
        try:
            rows_read = check_and_load(con, opened)
            write_rejected_rows(con)
            parts = _report_parts(con, files, rows_read, warnings_sql)
            registry = db_path if previous is None else previous
            _carry_runs_over(con, registry, replaced_in_place=registry == db_path)
            run_id = _register_run(
                con, command, started_at, opened, config, criteria, parts["counts"]
            )
            _drop_work_tables(con)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(building, db_path)
        return ImportReport(notes=tuple(notes), db_path=db_path, run_id=run_id, **parts)
    except BaseException:
        _remove_database_file(building)
        raise
    finally:
        shutil.rmtree(spill, ignore_errors=True)


def _drop_work_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the temporary tables (they live in memory and spill files, not in the database)."""
    for (name,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary ORDER BY table_name"
    ).fetchall():
        con.execute(f'DROP TABLE temp."{name}"')
