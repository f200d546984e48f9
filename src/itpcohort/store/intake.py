"""Open every source file, check its header, and stream its rows into DuckDB as text.

Rows arrive as Arrow batches holding the line number (header = 1), the row's own error if any
(with the column it is about, when the reader knows it) and the cells trimmed of surrounding
white space; nothing is cast here: ``checks`` does every cast in SQL. Every file is
opened and its header checked before any row is loaded, so that a file-level problem (missing table
or column, identifier column, empty file, unreadable encoding) stops the import with every such
problem listed. The rows are then read in a background thread one chunk ahead of DuckDB
(``ReadAhead``).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from itpcohort.errors import InputError, Problem, cut
from itpcohort.io.csv_reader import (
    LINE,
    ROW_ERROR,
    ROW_ERROR_COLUMN,
    ROW_ERROR_VALUE,
    open_csv_text,
)
from itpcohort.io.headers import HeaderMap, map_header
from itpcohort.io.sources import Source, TableFile
from itpcohort.io.xlsx_reader import open_sheet_text
from itpcohort.schema import TABLES_BY_NAME


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


#: rows handed to DuckDB at a time (about 200 MB of text for a platelet_counts file)
CHUNK_ROWS = 4_000_000


class TextFile(Protocol):
    """What the CSV, sheet and REDCap export readers share.

    ``batches`` yields ``__line``, ``__row_error``, optionally ``__row_error_column`` and
    ``__row_error_value``, then ``c<i>`` for each kept header position ``i``. ``shown_columns``
    maps a table column to the name problems show for it (a REDCap field name, for example).
    """

    header: list[str]
    sha256: str
    size: int
    fast_failed: bool
    shown_columns: dict[str, str]

    def batches(self, keep: list[int], slow: bool = False) -> Iterator[pa.RecordBatch]: ...


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
    sha256: str
    size: int
    #: (table column, name shown in problems) where the file names it otherwise (REDCap fields)
    shown_columns: tuple[tuple[str, str], ...] = ()


#: the columns every row carries before the table's own: where it is and what is wrong with it
ROW_COLUMNS = "line INTEGER, row_error VARCHAR, row_error_column VARCHAR, row_error_value VARCHAR"
_FIXED_FIELDS = (LINE, ROW_ERROR, ROW_ERROR_COLUMN, ROW_ERROR_VALUE)


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
        return (lambda file: export.table_text(file.table)), list(export.notes)
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
    )


def _trimmed(
    batches: Iterator[pa.RecordBatch],
    schema: pa.Schema,
    failures: list[InputError],
) -> Iterator[pa.RecordBatch]:
    """Batches with their cells trimmed and renamed after the table's columns.

    The optional row-error columns a reader does not give are NULL. A reader's InputError is
    kept aside (DuckDB would wrap it) and ends the stream.
    """
    try:
        for batch in batches:
            names = batch.schema.names
            arrays = [
                batch.column(name) if name in names else pa.nulls(batch.num_rows, pa.string())
                for name in _FIXED_FIELDS
            ]
            arrays += [
                pc.utf8_trim_whitespace(batch.column(i))
                for i, name in enumerate(names)
                if name not in _FIXED_FIELDS
            ]
            yield pa.RecordBatch.from_arrays(arrays, schema=schema)
    except InputError as error:
        failures.append(error)


#: in a file's stream of chunks: undo what its chunks did, the rows follow again (read exactly)
DISCARD = object()


@dataclass
class OpenedFile:
    """A file whose header has been checked, ready to be read."""

    staged: StagedFile
    text: TextFile
    header: HeaderMap

    def chunks(self) -> Iterator[pa.Table | object]:
        """The file's rows as Arrow tables of about ``CHUNK_ROWS`` rows.

        A chunk has ``__line``, ``__row_error``, ``__row_error_column``, ``__row_error_value``
        and one trimmed text column per table column present in the file. When the fast CSV
        reader gives up midway, ``DISCARD`` follows the chunks it gave, then every row again from
        the exact reader. A reader's InputError is raised after the chunks read before it.
        """
        yield from self._chunks(slow=False)
        if self.text.fast_failed:
            yield DISCARD
            yield from self._chunks(slow=True)

    def _chunks(self, slow: bool) -> Iterator[pa.Table]:
        keep = list(self.header.keep)
        schema = pa.schema(
            [pa.field(LINE, pa.int64())]
            + [pa.field(name, pa.string()) for name in _FIXED_FIELDS[1:]]
            + [pa.field(c, pa.string()) for c in self.header.columns]
        )
        failures: list[InputError] = []
        # Rows go to DuckDB in chunks held as Arrow tables: DuckDB scans a table with every
        # thread, where a stream of batches would be scanned by one; a chunk bounds the memory.
        chunk: list[pa.RecordBatch] = []
        rows = 0
        for batch in _trimmed(self.text.batches(keep, slow), schema, failures):
            chunk.append(batch)
            rows += batch.num_rows
            if rows >= CHUNK_ROWS:
                yield pa.Table.from_batches(chunk, schema=schema)
                chunk, rows = [], 0
        if chunk:
            yield pa.Table.from_batches(chunk, schema=schema)
        if failures:
            raise failures[0]


def load_chunks(
    con: duckdb.DuckDBPyConnection,
    o: OpenedFile,
    chunks: Iterator[pa.Table | object],
    on_chunk: Callable[[str], None],
    discard: Callable[[], None],
) -> None:
    """Call ``on_chunk(view)`` for each chunk of ``o`` (``OpenedFile.chunks``), registered in
    ``con`` as ``view``; call ``discard()`` where the chunks given so far are to be undone."""
    view = f"__batches_{o.staged.file_id}"
    for chunk in chunks:
        if chunk is DISCARD:
            discard()
            continue
        con.register(view, chunk)
        try:
            on_chunk(view)
        finally:
            con.unregister(view)


@dataclass(frozen=True)
class _Failed:
    error: BaseException


_END_OF_FILE = object()


class ReadAhead:
    """Reads the chunks of ``files``, in that order, in a background thread, one chunk ahead.

    While DuckDB checks and loads one chunk (on both cores, with the GIL released), the next one
    is read, trimmed and numbered: Python's share of the import no longer waits for DuckDB's.
    The caller takes each file's chunks with ``chunks_of(file)`` in the order given, and calls
    ``close()`` at the end (also on failure: it stops the thread).
    """

    def __init__(self, files: list[OpenedFile]) -> None:
        self._queue: queue.Queue[tuple[OpenedFile, object]] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._read, args=(list(files),), name="itpcohort-read-ahead", daemon=True
        )
        self._thread.start()

    def _put(self, item: tuple[OpenedFile, object]) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _read(self, files: list[OpenedFile]) -> None:
        for o in files:
            try:
                for chunk in o.chunks():
                    if not self._put((o, chunk)):
                        return
            except BaseException as error:  # handed to the caller, which raises it
                if not self._put((o, _Failed(error))):
                    return
                continue
            if not self._put((o, _END_OF_FILE)):
                return

    def chunks_of(self, o: OpenedFile) -> Iterator[pa.Table | object]:
        """The chunks of ``o`` as ``OpenedFile.chunks`` gives them (and its error, raised)."""
        while True:
            owner, item = self._queue.get()
            if owner is not o:
                raise AssertionError(f"read ahead {owner.staged.display}, asked {o.staged.display}")
            if item is _END_OF_FILE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item

    def close(self) -> None:
        """Stop reading and wait for the thread."""
        self._stop.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        self._thread.join()


def _opened_in_parallel(
    source: Source, open_file: Callable[[TableFile], TextFile]
) -> list[Future[TextFile]]:
    """``open_file`` of each file of ``source``, in order; CSV files are opened two at a time.

    Opening a CSV file scans it whole (hash, encoding, line ends): reading and hashing release
    the GIL, so two files scan at once on two cores. Sheets and REDCap tables open one by one.
    """
    csv_only = source.kind != "redcap" and all(file.sheet is None for file in source.files)
    with ThreadPoolExecutor(max_workers=2 if csv_only else 1) as pool:
        return [pool.submit(open_file, file) for file in source.files]


def open_sources(sources: tuple[Source, ...]) -> tuple[list[OpenedFile], list[str]]:
    """Open every file of ``sources`` and check its header; return the files and notes.

    Raises InputError with every file-level problem (missing column, identifier column, empty
    file, unreadable encoding) before any row is loaded.
    """
    problems: list[Problem] = []
    notes: list[str] = []
    opened: list[OpenedFile] = []
    for source in sources:
        try:
            open_file, source_notes = _openers(source)
            notes.extend(source_notes)
        except InputError as error:
            problems.extend(
                error.problems or (Problem(source.display, None, None, None, str(error)),)
            )
            continue
        for file, opening in zip(source.files, _opened_in_parallel(source, open_file), strict=True):
            table = TABLES_BY_NAME[file.table]
            try:
                text = opening.result()
                header = map_header(
                    table, text.header, file.display, file.relative, source.delimiter
                )
            except InputError as error:
                problems.extend(
                    error.problems or (Problem(file.display, None, None, None, str(error)),)
                )
                continue
            except OSError as error:
                reason = f"cannot be read ({error.strerror or error})"
                problems.append(Problem(file.display, None, None, None, reason, file.relative))
                continue
            if header.ignored:
                ignored = ", ".join(cut(name) for name in header.ignored)
                notes.append(f"{file.display}: column(s) ignored: {ignored}")
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
                tuple(sorted(text.shown_columns.items())),
            )
            opened.append(OpenedFile(staged, text, header))
    if problems:
        raise InputError("the input cannot be imported", tuple(problems))
    return opened, notes
