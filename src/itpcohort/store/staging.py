"""Load every source file into DuckDB as text: one ``raw_<table>`` per table, with provenance.

Each raw row keeps its file id, source index, line number (header = 1) and trimmed cell texts
(empty cells as NULL); rows with no content at all (blank lines, delimiters only, empty sheet rows)
are not rows. Nothing is cast here: ``checks`` does every cast in SQL. Every file is opened and its
header checked before any row is loaded, so that a file-level problem (missing table or column,
identifier column, empty file, unreadable encoding) stops the import with every such problem listed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import duckdb
import pyarrow as pa

from itpcohort.errors import InputError, Problem
from itpcohort.io.csv_reader import LINE, ROW_ERROR, column_key, open_csv_text
from itpcohort.io.headers import HeaderMap, map_header
from itpcohort.io.sources import Source, TableFile
from itpcohort.io.xlsx_reader import open_sheet_text
from itpcohort.schema import TABLES, TABLES_BY_NAME

#: characters trimmed from every cell (spaces, tabs, line ends, no-break space)
TRIM_CHARS = " \t\r\n\u00a0"


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def clean(expression: str) -> str:
    """SQL: the trimmed text of ``expression``, NULL when empty."""
    return f"nullif(trim({expression}, {lit(TRIM_CHARS)}), '')"


class TextFile(Protocol):
    """What the CSV and sheet readers share."""

    header: list[str]
    sha256: str
    size: int
    fast_failed: bool

    def batches(self, keep: list[int], slow: bool = False) -> Iterator[pa.RecordBatch]: ...


@dataclass(frozen=True)
class StagedFile:
    """One file loaded into ``raw_<table>``: its id, where it came from and how it was read."""

    file_id: int
    table: str
    display: str
    relative: str
    source_index: int
    source_name: str
    date_format: str | None
    sha256: str
    size: int


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create an empty temporary ``raw_<table>`` for every table of the data model."""
    for table in TABLES:
        columns = ", ".join(f"{q(c)} VARCHAR" for c in table.column_names)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE raw_{table.name} (file_id INTEGER, source_index INTEGER, "
            f"line INTEGER, row_error VARCHAR, {columns})"
        )


def _open(source: Source, file: TableFile) -> TextFile:
    if file.sheet is not None:
        return open_sheet_text(file.path, file.sheet, file.display, file.relative)
    return open_csv_text(
        file.path,
        file.display,
        file.relative,
        encoding=source.encoding,
        delimiter=source.delimiter,
    )


def _guarded(
    batches: Iterator[pa.RecordBatch], failures: list[InputError]
) -> Iterator[pa.RecordBatch]:
    """Pass batches on; keep a reader's InputError aside (DuckDB would wrap it) and stop."""
    try:
        yield from batches
    except InputError as error:
        failures.append(error)


def _insert(
    con: duckdb.DuckDBPyConnection,
    text: TextFile,
    header: HeaderMap,
    staged: StagedFile,
    slow: bool,
) -> None:
    keep = list(header.keep)
    schema = pa.schema(
        [pa.field(LINE, pa.int64()), pa.field(ROW_ERROR, pa.string())]
        + [pa.field(column_key(i), pa.string()) for i in keep]
    )
    failures: list[InputError] = []
    reader = pa.RecordBatchReader.from_batches(schema, _guarded(text.batches(keep, slow), failures))
    cleaned = [clean(q(column_key(i))) for i in keep]
    targets = ", ".join(q(c) for c in header.columns)
    values = ", ".join(f"{expr} AS {q(c)}" for expr, c in zip(cleaned, header.columns, strict=True))
    content = " OR ".join(
        ["row_error IS NOT NULL", *(f"{q(c)} IS NOT NULL" for c in header.columns)]
    )
    view = f"__batches_{staged.file_id}"
    con.register(view, reader)
    try:
        con.execute(
            f"INSERT INTO raw_{staged.table} (file_id, source_index, line, row_error"
            f"{', ' + targets if targets else ''}) "
            f"SELECT {staged.file_id}, {staged.source_index}, line, row_error"
            f"{', ' + targets if targets else ''} FROM ("
            f"SELECT {LINE} AS line, {ROW_ERROR} AS row_error{', ' + values if values else ''} "
            f"FROM {view}) WHERE {content}"
        )
    finally:
        con.unregister(view)
    if failures:
        raise failures[0]


def stage_sources(
    con: duckdb.DuckDBPyConnection, sources: tuple[Source, ...]
) -> tuple[list[StagedFile], list[str]]:
    """Open, check and load every file of ``sources``; return the files loaded and notes.

    Raises InputError with every file-level problem found (before loading any row when the
    problem is in a header or an encoding).
    """
    problems: list[Problem] = []
    notes: list[str] = []
    opened: list[tuple[StagedFile, TextFile, HeaderMap]] = []
    for source in sources:
        for file in source.files:
            table = TABLES_BY_NAME[file.table]
            try:
                text = _open(source, file)
                header = map_header(table, text.header, file.display, file.relative)
            except InputError as error:
                problems.extend(
                    error.problems or (Problem(file.display, None, None, None, str(error)),)
                )
                continue
            if header.ignored:
                notes.append(f"{file.display}: column(s) ignored: {', '.join(header.ignored)}")
            staged = StagedFile(
                len(opened),
                file.table,
                file.display,
                file.relative,
                source.index,
                source.name,
                source.date_format,
                text.sha256,
                text.size,
            )
            opened.append((staged, text, header))
    if problems:
        raise InputError("the input cannot be imported", tuple(problems))
    create_raw_tables(con)
    for staged, text, header in opened:
        try:
            _insert(con, text, header, staged, slow=False)
            if text.fast_failed:
                con.execute(f"DELETE FROM raw_{staged.table} WHERE file_id = {staged.file_id}")
                _insert(con, text, header, staged, slow=True)
        except InputError as error:
            problems.extend(error.problems)
    if problems:
        raise InputError("the input cannot be imported", tuple(problems))
    return [staged for staged, _, _ in opened], notes
