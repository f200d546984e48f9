"""One pass over the input: check every row and load the accepted ones (``architecture.md``).

``patients`` first: their text rows are gathered in ``raw_patients``, checked as a whole
(duplicates need every row) into ``checked_patients``, loaded, and indexed for the lookup of child
rows. Then each child file, read as one relation (``intake.file_rows``: DuckDB's CSV reader, or
the rows a Python reader copied; DuckDB copies the next file on a second connection meanwhile,
``_copied_ahead``): its rows are checked (``checks.child_select``), the accepted ones go to the
canonical table in line order and the rejected ones to ``checked_<table>``. The small
files of one table (a small study's centers, ``COMBINED_BYTES`` in all) are checked together, in
one statement: planning the checks, not running them, is what a small file costs.

The caller owns the transaction: everything written to ``main`` here lands or not with it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import duckdb

from itpcohort.errors import InputError, Problem
from itpcohort.schema import TABLES_BY_NAME, Table
from itpcohort.store import intake
from itpcohort.store.canonical import create_canonical_tables, insert_canonical
from itpcohort.store.checks import (
    CHILD_TABLES,
    DateFormats,
    child_select,
    create_files_table,
    create_problems_table,
    empty_source,
    patients_statements,
    source_select,
)
from itpcohort.store.intake import (
    OpenedFile,
    attach_text_rows,
    create_raw_patients,
    drop_file_rows,
    file_records,
    file_rows,
    lit,
    python_rows,
    q,
    scalar,
    unreadable_files,
)

#: a file's rows copied ahead by DuckDB: the SQL that reads them, None when they are to be read in
#: Python (``intake.python_rows``), or the file's problem
Copied = str | InputError | None

#: the size of a table's files, in all, up to which they are checked in one statement
#: (``_check_child_files``); larger ones are checked file by file, each file's rows held alone
COMBINED_BYTES = 8_000_000


def check_and_load(con: duckdb.DuckDBPyConnection, opened: list[OpenedFile]) -> dict[str, int]:
    """Check and load every file of ``opened``; return the rows read per table.

    Builds ``files``, ``checked_patients``, ``checked_<child>`` (rejected rows only), the
    canonical tables in ``main`` and ``problems``. Raises InputError when a file turns out to be
    unreadable midway (the caller rolls back): the files the scans found unreadable
    (``intake.unreadable_files``: their encoding) are the problems then, as they would have been
    had the scans ended before the loading started.
    """
    try:
        return _check_and_load(con, opened)
    except InputError:
        unreadable = unreadable_files(opened)
        if unreadable:
            raise InputError("the input cannot be imported", unreadable) from None
        raise


def _check_and_load(con: duckdb.DuckDBPyConnection, opened: list[OpenedFile]) -> dict[str, int]:
    files = [o.staged for o in opened]
    create_files_table(con, files)
    formats = DateFormats.of(files)
    _check_date_formats(con, formats, opened)
    create_canonical_tables(con)
    problems: list[Problem] = []
    rows_read = dict.fromkeys(TABLES_BY_NAME, 0)
    children = [TABLES_BY_NAME[name] for name in CHILD_TABLES]
    batches: list[tuple[Table, list[OpenedFile]]] = []
    for table in children:
        of_table = [o for o in opened if o.staged.table == table.name]
        together = sum(o.staged.size for o in of_table) <= COMBINED_BYTES
        batches += [
            (table, batch) for batch in ([of_table] if together else [[o] for o in of_table])
        ]
    # the first child files are copied while the patients are checked
    with _copied_ahead(con, [batch for _, batch in batches]) as ahead:
        rows_read["patients"] = _check_patients(con, opened, formats, problems)
        for table in children:  # their checks look the patients up
            empty = child_select(table, formats, empty_source(table), with_center=False)
            con.execute(f"CREATE OR REPLACE TEMP TABLE checked_{table.name} AS {empty}")
        for (table, batch), copies in zip(batches, ahead, strict=True):
            rows_read[table.name] += _check_child_files(
                con, table, formats, batch, copies, problems
            )
    if problems:
        raise InputError("the input cannot be imported", tuple(problems))
    create_problems_table(con)
    return rows_read


def _check_patients(
    con: duckdb.DuckDBPyConnection,
    opened: list[OpenedFile],
    formats: DateFormats,
    problems: list[Problem],
) -> int:
    """Check every patients file as a whole (duplicates need every row) and load the accepted
    rows; add the problems of a file that turns out unreadable to ``problems``; return the rows."""
    patients = TABLES_BY_NAME["patients"]
    create_raw_patients(con)
    for o in (o for o in opened if o.staged.table == "patients"):
        try:
            source = _source(con, patients, o)
            con.execute(f"INSERT INTO raw_patients BY NAME {source}")
        except InputError as error:
            problems.extend(error.problems)
        finally:
            drop_file_rows(con, o)
    for statement in patients_statements(formats):
        con.execute(statement)
    patient_files = [o.staged for o in opened if o.staged.table == "patients"]
    insert_canonical(con, "patients", "SELECT * FROM checked_patients", patient_files)
    return int(scalar(con, "SELECT count(*) FROM checked_patients"))


@contextlib.contextmanager
def _copied_ahead(
    con: duckdb.DuckDBPyConnection, batches: list[list[OpenedFile]]
) -> Iterator[Iterator[dict[int, Copied]]]:
    """The CSV files of each batch copied by DuckDB (``intake._csv_rows``) one batch ahead: on a
    second connection, in a background thread, while the checks of the batch before run (a copy
    keeps a core busy where the checks' last steps leave it idle). Yields the copies of each
    batch in turn (file id -> ``Copied``); at most two batches' rows are held at once. Leaving
    waits for the copy under way.
    """
    attach_text_rows(con)  # before the cursor attaches it too
    cursor = con.cursor()
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="itpcohort-copy") as pool:
            copies = (pool.submit(_copy, cursor, batch) for batch in batches)
            yield _one_ahead(next(copies, None), copies)  # the first copy starts now
    finally:
        cursor.close()


def _one_ahead(
    pending: Future[dict[int, Copied]] | None, copies: Iterator[Future[dict[int, Copied]]]
) -> Iterator[dict[int, Copied]]:
    """The results of ``pending`` then ``copies`` in turn, each next one started before one is
    given."""
    while pending is not None:
        done = pending.result()
        pending = next(copies, None)
        yield done


def _copy(cursor: duckdb.DuckDBPyConnection, batch: list[OpenedFile]) -> dict[int, Copied]:
    copied: dict[int, Copied] = {}
    for o in batch:
        try:
            copied[o.staged.file_id] = intake._csv_rows(cursor, o)
        except InputError as error:  # raised where the file is read (``_source``)
            copied[o.staged.file_id] = error
    return copied


def _source(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    o: OpenedFile,
    copies: dict[int, Copied] | None = None,
) -> str:
    """SQL: the text rows of ``o`` in the layout of ``raw_patients`` (``checks.source_select``);
    ``copies``: the files copied ahead (``_copied_ahead``), ``o`` among them."""
    if copies is None:
        rows = file_rows(con, o)
    elif isinstance(copied := copies[o.staged.file_id], InputError):
        raise copied
    else:
        rows = copied or python_rows(con, o)
    return source_select(table, o.header.columns, rows, o.staged.file_id, o.staged.source_index)


def _check_child_files(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    formats: DateFormats,
    files: list[OpenedFile],
    copies: dict[int, Copied],
    problems: list[Problem],
) -> int:
    """Check files of one child table in one statement, load their accepted rows in line order,
    keep their rejected ones and add the problems of a file that turns out unreadable to
    ``problems``; return their rows.

    Planning the checks costs 10-20 ms a statement, most of the import of a small study (its
    centers' files, one statement each): the small files of a table are checked together. The
    rows of several files without a ``center`` column are looked up by source. The checks write
    the accepted rows straight into the canonical table: the rare rejected rows (the rows read but
    not loaded) are checked again, alone, for their problems.
    """
    sources: dict[int, str] = {}
    try:
        for o in files:
            try:
                sources[o.staged.file_id] = _source(con, table, o, copies)
            except InputError as error:
                problems.extend(error.problems)
        if not sources:
            return 0
        rows_of = " UNION ALL ".join(f"({source})" for source in sources.values())
        with_center = any("center" in o.header.columns for o in files)
        source_index = files[0].staged.source_index if len(files) == 1 else None

        def checked(rows: str) -> str:
            return child_select(table, formats, rows, with_center, source_index)

        loaded = [o.staged for o in files if o.staged.file_id in sources]
        accepted = insert_canonical(con, table.name, checked(rows_of), loaded)
        rows = sum(file_records(con, o) for o in files if o.staged.file_id in sources)
        if accepted < rows:  # not every record loaded: count those with content, the rows
            rows = int(scalar(con, f"SELECT count(*) FROM ({rows_of})"))
        if rows > accepted:  # planning the checks costs 10-20 ms: not for files without problems
            again = (
                f"SELECT s.* FROM ({rows_of}) s ANTI JOIN (SELECT f.file_id, c.source_row AS line "
                f"FROM main.{q(table.name)} c JOIN files f ON f.display = c.source_file "
                f"AND f.table_name = {lit(table.name)}) c ON c.file_id = s.file_id AND c.line = s.line"
            )
            con.execute(f"INSERT INTO checked_{table.name} {checked(again)}")
        return rows
    finally:
        for o in files:
            drop_file_rows(con, o)


def _check_date_formats(
    con: duckdb.DuckDBPyConnection, formats: DateFormats, opened: list[OpenedFile]
) -> None:
    """Refuse a declared ``date_format`` that DuckDB cannot use (a typo such as ``%d/%m/%Q``)."""
    problems = []
    for fmt, file_ids in formats.by_format.items():
        try:
            con.execute(f"SELECT try_strptime('01/01/2000', {lit(fmt)})").fetchall()
        except duckdb.Error as error:
            first = next(o.staged for o in opened if o.staged.file_id == file_ids[0])
            problems.append(
                Problem(
                    first.display,
                    None,
                    None,
                    fmt,
                    f"the declared date_format {fmt!r} of source {first.source_name} is not a "
                    f"valid format ({str(error).splitlines()[0]})",
                    relative_file=first.relative,
                )
            )
    if problems:
        raise InputError("the input cannot be imported", tuple(problems))
