"""Validated, transactional import of a study into DuckDB, and the run registry.

``architecture.md``: an import is one transaction, it lands whole or leaves the database as it was;
importing the same files twice gives the same canonical tables and ``rejected_rows`` (every table is
replaced, rows in file and line order); each import appends one row to ``runs`` (input file hashes,
criteria, configuration, versions, times, counts).
"""

from __future__ import annotations

import contextlib
import json
import platform
import shutil
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

import itpcohort
from itpcohort.config import StudyConfig
from itpcohort.errors import InputError, ItpcohortError
from itpcohort.io.report import ImportReport, TableCounts, ValidationReport
from itpcohort.io.sources import discover_sources
from itpcohort.schema import TABLES
from itpcohort.store.canonical import find_warnings, rejected_problems, write_rejected_rows
from itpcohort.store.connection import connect
from itpcohort.store.pipeline import check_and_load
from itpcohort.store.staging import OpenedFile, StagedFile, open_sources, scalar

DEFAULT_COURSE_GAP_DAYS = 60
DEFAULT_BASELINE_DAYS = 30

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


def _criteria_days(
    config: StudyConfig, criteria: dict[str, Any] | None, key: str, default: int
) -> int:
    for source in (criteria or {}, config.criteria_overrides):
        value = source.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return default


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
    config: StudyConfig,
    criteria: dict[str, Any] | None,
) -> dict[str, Any]:
    relative_of = {f.display: f.relative for f in files}
    gap = _criteria_days(config, criteria, "course_gap_days", DEFAULT_COURSE_GAP_DAYS)
    baseline = _criteria_days(config, criteria, "baseline_days", DEFAULT_BASELINE_DAYS)
    return {
        "problems": tuple(rejected_problems(con, "problem", relative_of)),
        "held_back": tuple(rejected_problems(con, "held_back", relative_of)),
        "rejected": tuple(rejected_problems(con, None, relative_of)),
        "warnings": tuple(find_warnings(con, relative_of, gap, baseline)),
        "counts": _counts(con, rows_read),
    }


def validate_study(inputs: list[Path], config: StudyConfig) -> ValidationReport:
    """Check ``inputs`` as an import would, in an in-memory database; nothing is written.

    Raises InputError for file-level problems; row-level problems are in the report.
    """
    spill = Path(tempfile.mkdtemp(prefix="itpcohort-validate-"))
    con = connect(None, spill)
    try:
        opened, notes = _open_inputs(inputs, config)
        files = [o.staged for o in opened]
        rows_read = check_and_load(con, opened)
        write_rejected_rows(con)
        parts = _report_parts(con, files, rows_read, config, None)
        return ValidationReport(notes=tuple(notes), **parts)
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


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
    files: list[StagedFile],
    config: StudyConfig,
    criteria: dict[str, Any] | None,
    counts: tuple[TableCounts, ...],
) -> int:
    definition = ", ".join(f'"{c}" {t}' for c, t in RUNS_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS main.runs ({definition})")
    run_id = scalar(con, "SELECT coalesce(max(run_id), 0) + 1 FROM main.runs")
    # one entry per file read: the tables of a REDCap export are one file
    inputs = list(
        {
            (f.display, f.sha256): {
                "file": f.display,
                "relative": f.relative,
                "sha256": f.sha256,
                "bytes": f.size,
            }
            for f in files
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


def import_study(
    inputs: list[Path],
    config: StudyConfig,
    db_path: Path,
    *,
    command: str = "import",
    criteria: dict[str, Any] | None = None,
) -> ImportReport:
    """Validate ``inputs`` and write the study database ``db_path`` in one transaction.

    Writes every canonical table (``schema.CANONICAL_COLUMNS`` + provenance), ``rejected_rows``
    (``schema.REJECTED_ROWS_COLUMNS``) and one ``runs`` row. Raises InputError for file-level
    problems, leaving the database as it was (a database file that did not exist is removed).
    """
    started_at = datetime.now(UTC)
    existed = db_path.exists()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    spill = Path(tempfile.mkdtemp(prefix=".itpcohort-spill-", dir=db_path.parent))
    con = _open_database(db_path, spill)
    in_transaction = False
    try:
        opened, notes = _open_inputs(inputs, config)
        files = [o.staged for o in opened]
        con.execute("BEGIN TRANSACTION")
        in_transaction = True
        rows_read = check_and_load(con, opened)
        write_rejected_rows(con)
        parts = _report_parts(con, files, rows_read, config, criteria)
        run_id = _register_run(con, command, started_at, files, config, criteria, parts["counts"])
        con.execute("COMMIT")
        in_transaction = False
        return ImportReport(notes=tuple(notes), db_path=db_path, run_id=run_id, **parts)
    except BaseException:
        if in_transaction:
            # closing without commit discards the transaction anyway
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
        con.close()
        if not existed:
            for leftover in (db_path, db_path.with_name(db_path.name + ".wal")):
                leftover.unlink(missing_ok=True)
        raise
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
