"""Open every source file, check its header, and give its rows to DuckDB as text.

Every file is opened and its header checked before any row is loaded, so that a file-level problem
(missing table or column, identifier column, empty file, unreadable encoding) stops the import with
every such problem listed. A file's rows then reach the checks (``checks.source_select``) as one
SQL relation (``file_rows``) with the line number (header = 1), the row's own error if any (with
the column it is about, when the reader knows it) and one untrimmed text column per table column
in the file; nothing is cast here: ``checks`` does every cast in SQL.

A CSV file is copied by DuckDB's ``read_csv`` (every column as text) into a table of the attached
in-memory database ``text_rows`` wherever that numbers lines exactly: the file passed the scan of
``io/csv_reader.py`` (UTF-8, no lone carriage return, a one-line header) and DuckDB finds exactly
one record per content line, so that the record of ``rowid`` n (DuckDB keeps the file's order)
starts on line ``n + 2``. Any other file (line breaks inside quotes, blank lines, a declared
encoding, a workbook sheet, a REDCap export) is read in Python and its Arrow batches copied into
the same kind of table. The copy costs one write of the text and buys the checks a table DuckDB
scans on every thread (reading the CSV straight into the checks, with ``row_number() OVER ()`` for
the lines, ran on one thread), and one connection can copy a file while another checks the one
before (``loading``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from itpcohort.errors import InputError, Problem, cut
from itpcohort.io.csv_reader import (
    LINE,
    ROW_ERROR,
    ROW_ERROR_COLUMN,
    ROW_ERROR_VALUE,
    CsvText,
    column_key,
    open_csv_text,
)
from itpcohort.io.headers import HeaderMap, map_header
from itpcohort.io.sources import Source, TableFile
from itpcohort.io.xlsx_reader import open_sheet_text
from itpcohort.schema import TABLES_BY_NAME

#: the characters trimmed around every cell (a RE2 class): Unicode white space, as Python's
#: ``str.strip`` and the exact reader know it (``data-model.md``, Conventions: cells are trimmed)
WHITE_SPACE = (
    r"\t\n\x0b\x0c\r\x1c-\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}"
    r"\x{202f}\x{205f}\x{3000}"
)


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    """The single value of a one-row, one-column query (the result is fully fetched, as duckdb 2
    requires before the connection runs anything else)."""
    rows = con.execute(sql).fetchall()
    return rows[0][0]


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def trimmed(expression: str) -> str:
    """SQL: the text ``expression`` without the white space around it (``WHITE_SPACE``).

    DuckDB's ``trim(text, characters)`` took 2 µs a cell (8 s for 845,000 rows of 5 cells). A cell
    that starts and ends with a printable ASCII character (no white space) is kept as it is, which
    costs 0.1 µs; only the others go through the regular expression.
    """
    around = lit(f"^[{WHITE_SPACE}]+|[{WHITE_SPACE}]+$")
    return (
        f"CASE WHEN {_printable('ord(' + expression + ')')} "
        f"AND {_printable('ord(right(' + expression + ', 1))')} THEN {expression} "
        f"ELSE regexp_replace({expression}, {around}, '', 'g') END"
    )


def has_content(expression: str) -> str:
    """SQL: whether the text ``expression`` holds anything but white space (NULL when NULL)."""
    return (
        f"CASE WHEN {_printable('ord(' + expression + ')')} THEN TRUE "
        f"ELSE regexp_matches({expression}, {lit(f'[^{WHITE_SPACE}]')}) END"
    )


def _printable(code_point: str) -> str:
    """SQL: whether ``code_point`` is a printable ASCII character (never white space)."""
    return f"{code_point} BETWEEN 33 AND 126"


class TextFile(Protocol):
    """What the CSV, sheet and REDCap export readers share.

    ``batches`` yields ``__line``, ``__row_error``, optionally ``__row_error_column`` and
    ``__row_error_value``, then ``c<i>`` for each kept header position ``i``. ``shown_columns``
    maps a table column to the name problems show for it (a REDCap field name, for example).
    ``sha256`` may scan the file first (``open_csv_text``).
    """

    header: list[str]
    size: int
    shown_columns: dict[str, str]

    @property
    def sha256(self) -> str: ...

    def batches(self, keep: list[int]) -> Iterator[pa.RecordBatch]: ...


@dataclass(frozen=True)
class StagedFile:
    """One input file opened for loading: its id, where it came from and how it is read."""

    file_id: int
    table: str
    display: str
    relative: str
    source_index: int
    source_name: str
    date_format: str | None
    size: int
    #: (table column, name shown in problems) where the file names it otherwise (REDCap fields)
    shown_columns: tuple[tuple[str, str], ...] = ()


#: the columns every row carries before the table's own: where it is and what is wrong with it
ROW_COLUMNS = "line INTEGER, row_error VARCHAR, row_error_column VARCHAR, row_error_value VARCHAR"


def create_raw_patients(con: duckdb.DuckDBPyConnection) -> None:
    """Create the temporary ``raw_patients``: the text rows of every patients file."""
    table = TABLES_BY_NAME["patients"]
    columns = ", ".join(f"{q(c)} VARCHAR" for c in table.column_names)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE raw_patients (file_id INTEGER, source_index INTEGER, "
        f"{ROW_COLUMNS}, {columns})"
    )


def _openers(source: Source) -> tuple[Callable[[TableFile], TextFile], list[str]]:
    """How to open the files of ``source`` and the notes reading it gave: a REDCap export is read
    once for all its tables."""
    if source.kind == "redcap":
        from itpcohort.io.redcap_reader import open_redcap_export

        export = open_redcap_export(
            source.path,
            source.display,
            source.files[0].relative if source.files else source.path.name,
            encoding=source.encoding,
            delimiter=source.delimiter,
        )
        return (lambda file: export.tables[file.table]), list(export.notes)
    return (lambda file: _open(source, file)), []


def _open(source: Source, file: TableFile) -> TextFile:
    if file.sheet is not None:
        return open_sheet_text(file.path, file.sheet, file.display, file.relative)
    return open_csv_text(
        file.path,
        file.display,
        file.relative,
        encoding=source.encoding,
        delimiter=source.delimiter,
        scan_later=True,
    )


@dataclass
class OpenedFile:
    """A file whose header has been checked, ready to be read."""

    staged: StagedFile
    text: TextFile
    header: HeaderMap


def _read_csv(text: CsvText, names: list[str]) -> str:
    """SQL: DuckDB's reader of ``text`` with one text column per name, in the file's dialect.

    ``names`` has one more column than the header and short rows are padded with NULL, while an
    empty field is '' (no text can be the NULL string: an unquoted field holds no line break), so
    the number of non-NULL columns is the number of fields: a ragged row is kept and marked.
    """
    columns = ", ".join(f"{lit(n)}: 'VARCHAR'" for n in names)
    return (
        f"read_csv({lit(str(text.path.absolute()))}, header = false, skip = {text.header_line}, "
        f"auto_detect = false, columns = {{{columns}}}, delim = {lit(text.delimiter)}, "
        "quote = '\"', escape = '\"', strict_mode = true, null_padding = true, "
        "allow_quoted_nulls = false, nullstr = '\n')"
    )


def attach_text_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Attach the in-memory database ``text_rows`` that holds the files' text rows, unless it is
    attached: unlike a temporary table, a table there is seen by every connection (``cursor``) of
    the database, so that one can copy a file while another checks the one before. Attach it
    before a second connection uses it (two attaching at once collide)."""
    con.execute("ATTACH IF NOT EXISTS ':memory:' AS text_rows")


def _text_table(con: duckdb.DuckDBPyConnection, o: OpenedFile) -> str:
    """The table of ``o``'s text rows (``attach_text_rows``)."""
    attach_text_rows(con)
    return f"text_rows.text_{o.staged.file_id}"


def _csv_rows(con: duckdb.DuckDBPyConnection, o: OpenedFile) -> str | None:
    """SQL: the rows of a CSV file copied by DuckDB, or None where that would not be exact (then
    ``python_rows`` reads it). The SQL reads a table of ``text_rows``: it may be run on another
    connection than ``con``. Lines longer than DuckDB's ``max_line_size`` (2 MB) are left to the
    Python reader too.
    """
    text = o.text
    if not isinstance(text, CsvText) or not text.line_reader_ok:
        return None
    if any(c in str(text.path) for c in "*?["):  # DuckDB would read the name as a pattern
        return None
    width = len(text.header)
    names = [column_key(i) for i in range(width + 1)]
    table = _text_table(con, o)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {_read_csv(text, names)}")
    except duckdb.OutOfMemoryException:
        raise
    except duckdb.Error:  # a row it cannot split (too many fields, a stray quote, a quoted line
        return None  # break in a parallel scan, a long line): the Python reader reads it
    if scalar(con, f"SELECT count(*) FROM {table}") != text.last_content_line - text.header_line:
        con.execute(f"DROP TABLE {table}")
        return None  # blank lines or line breaks inside quotes: a record is not a line
    fields = " + ".join(f"({q(n)} IS NOT NULL)::INTEGER" for n in names)
    ragged = f"{q(names[-1])} IS NOT NULL OR {q(names[-2])} IS NULL"
    content = " OR ".join(has_content(q(n)) for n in names)
    row_error = (
        f"CASE WHEN ({ragged}) AND ({content}) THEN 'row has ' || ({fields}) || ' field' || "
        f"CASE WHEN ({fields}) = 1 THEN '' ELSE 's' END || '; the header has {width}' END"
    )
    kept = ", ".join(
        f"{q(column_key(i))} AS {q(c)}"
        for i, c in zip(o.header.keep, o.header.columns, strict=True)
    )
    # a new table's rowid numbers its rows in insertion order, which is the file's order
    return (
        f"SELECT {text.header_line + 1} + rowid AS {LINE}, {row_error} AS {ROW_ERROR}, "
        f"NULL::VARCHAR AS {ROW_ERROR_COLUMN}, NULL::VARCHAR AS {ROW_ERROR_VALUE}, {kept} "
        f"FROM {table}"
    )


def python_rows(con: duckdb.DuckDBPyConnection, o: OpenedFile) -> str:
    """SQL: the rows of ``o`` read in Python, copied once into ``text_rows.text_<id>``.

    A reader's InputError is raised after the copy (DuckDB would wrap it).
    """
    keep = list(o.header.keep)
    failures: list[InputError] = []

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            yield from o.text.batches(keep)
        except InputError as error:
            failures.append(error)

    stream = batches()
    first = next(stream, None)
    if first is None:
        fields = [pa.field(LINE, pa.int64()), pa.field(ROW_ERROR, pa.string())]
        schema = pa.schema(fields + [pa.field(column_key(i), pa.string()) for i in keep])
        reader = pa.RecordBatchReader.from_batches(schema, [])
    else:
        reader = pa.RecordBatchReader.from_batches(first.schema, itertools.chain([first], stream))
    table, view = _text_table(con, o), f"__batches_{o.staged.file_id}"
    con.register(view, reader)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {view}")
    finally:
        con.unregister(view)
    if failures:
        raise failures[0]
    names = reader.schema.names
    fixed = [
        q(n) if n in names else f"NULL::VARCHAR AS {q(n)}"
        for n in (LINE, ROW_ERROR, ROW_ERROR_COLUMN, ROW_ERROR_VALUE)
    ]
    kept = [f"{q(column_key(i))} AS {q(c)}" for i, c in zip(keep, o.header.columns, strict=True)]
    return f"SELECT {', '.join(fixed + kept)} FROM {table}"


def file_rows(con: duckdb.DuckDBPyConnection, o: OpenedFile) -> str:
    """SQL: every record of ``o`` in file order, as text: ``__line`` (where it starts; header =
    1), ``__row_error``, ``__row_error_column``, ``__row_error_value`` (the row's own problem, if
    any) and one column per table column in the file (``o.header.columns``), cells untrimmed.

    Records without any content are left out or left to ``checks.source_select``. Call
    ``drop_file_rows`` when done. Raises InputError when the file turns out unreadable.
    """
    return _csv_rows(con, o) or python_rows(con, o)


def file_records(con: duckdb.DuckDBPyConnection, o: OpenedFile) -> int:
    """How many records ``file_rows`` kept of ``o``, those without content included."""
    return int(scalar(con, f"SELECT count(*) FROM {_text_table(con, o)}"))


def drop_file_rows(con: duckdb.DuckDBPyConnection, o: OpenedFile) -> None:
    """Free what ``file_rows`` kept of ``o`` (its text copy in ``text_rows``)."""
    con.execute(f"DROP TABLE IF EXISTS {_text_table(con, o)}")


def open_sources(sources: tuple[Source, ...]) -> tuple[list[OpenedFile], list[str]]:
    """Open every file of ``sources`` and check its header; return the files and notes.

    Raises InputError with every file-level problem (missing column, identifier column, empty
    file, unreadable encoding) before any row is loaded. A UTF-8 CSV file's scan (hash,
    encoding, line ends: ``io.csv_reader``) is left until its rows are read, unless a problem is
    found: then every file is scanned, so that every unreadable file is listed.
    """
    notes: list[str] = []
    opened: list[OpenedFile] = []
    #: the problems of each source or file, in their order (a file's scan is waited for last)
    found: list[OpenedFile | tuple[Problem, ...]] = []
    for source in sources:
        try:
            open_file, source_notes = _openers(source)
            notes.extend(source_notes)
        except InputError as error:
            found.append(error.problems or (Problem.of_file(source.display, str(error)),))
            continue
        for file in source.files:
            opened_file = _open_file(open_file, file, source, len(opened), notes)
            if isinstance(opened_file, OpenedFile):
                opened.append(opened_file)
            found.append(opened_file)
    if len(opened) < len(found):  # a problem: with those of every file found unreadable
        problems = [
            problem
            for entry in found
            for problem in (unreadable_files([entry]) if isinstance(entry, OpenedFile) else entry)
        ]
        raise InputError("the input cannot be imported", tuple(problems))
    return opened, notes


def _open_file(
    open_file: Callable[[TableFile], TextFile],
    file: TableFile,
    source: Source,
    file_id: int,
    notes: list[str],
) -> OpenedFile | tuple[Problem, ...]:
    """Open ``file`` and map its header (``open_sources``): the file, or its problems; its notes
    are added to ``notes``."""
    table = TABLES_BY_NAME[file.table]
    text = None
    try:
        text = open_file(file)
        header = map_header(table, text.header, file.display, file.relative, source.delimiter)
    except InputError as error:
        unreadable = text.unreadable() if isinstance(text, CsvText) else ()
        return unreadable or error.problems or (Problem.of_file(file.display, str(error)),)
    except OSError as error:
        reason = f"cannot be read ({error.strerror or error})"
        return (Problem.of_file(file.display, reason, file.relative),)
    if header.ignored:
        ignored = ", ".join(cut(name) for name in header.ignored)
        notes.append(f"{file.display}: column(s) ignored: {ignored}")
    staged = StagedFile(
        file_id,
        file.table,
        file.display,
        file.relative,
        source.index,
        source.name,
        source.date_format,
        text.size,
        tuple(sorted(text.shown_columns.items())),
    )
    return OpenedFile(staged, text, header)


def unreadable_files(opened: list[OpenedFile]) -> tuple[Problem, ...]:
    """The problems of every file of ``opened`` whose scan found it unreadable (an encoding it
    cannot be read in), in file order; scans those not scanned yet."""
    return tuple(
        problem for o in opened if isinstance(o.text, CsvText) for problem in o.text.unreadable()
    )
