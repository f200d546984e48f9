"""One pass over the input: check every row and load the accepted ones (``architecture.md``).

``patients`` first: their text rows are gathered in ``raw_patients``, checked as a whole
(duplicates need every row) into ``checked_patients``, loaded, and indexed for the lookup of child
rows. Then each child file, chunk by chunk as its reader gives them (``intake.ReadAhead`` reads
the next chunk while DuckDB loads one): the chunk is checked
(``checks.child_select``), its accepted rows go to the canonical table in line order and its
rejected rows to ``checked_<table>``. Nothing of 50 million counts is copied twice.

The caller owns the transaction: everything written to ``main`` here lands or not with it.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from itpcohort.errors import InputError, Problem
from itpcohort.schema import TABLES_BY_NAME, Table
from itpcohort.store.canonical import (
    canonical_inputs,
    create_canonical_tables,
    insert_canonical,
)
from itpcohort.store.checks import (
    CHILD_TABLES,
    DateFormats,
    checked_column_names,
    child_select,
    create_files_table,
    create_problems_table,
    empty_source,
    patients_statements,
    source_select,
)
from itpcohort.store.intake import (
    OpenedFile,
    ReadAhead,
    create_raw_patients,
    lit,
    load_chunks,
    q,
    scalar,
)


def check_and_load(con: duckdb.DuckDBPyConnection, opened: list[OpenedFile]) -> dict[str, int]:
    """Check and load every file of ``opened``; return the rows read per table.

    Builds ``files``, ``checked_patients``, ``checked_<child>`` (rejected rows only), the
    canonical tables in ``main`` and ``problems``. Raises InputError when a file turns out to be
    unreadable midway (the caller rolls back).
    """
    files = [o.staged for o in opened]
    create_files_table(con, files)
    formats = DateFormats.of(files)
    _check_date_formats(con, formats, opened)
    create_canonical_tables(con)
    problems: list[Problem] = []
    rows_read = dict.fromkeys(TABLES_BY_NAME, 0)
    patient_files = [o for o in opened if o.staged.table == "patients"]
    child_files = {name: [o for o in opened if o.staged.table == name] for name in CHILD_TABLES}
    read_ahead = ReadAhead(patient_files + [o for each in child_files.values() for o in each])

    def stream(o: OpenedFile, on_chunk: Callable[[str], None], discard: Callable[[], None]) -> None:
        try:
            load_chunks(con, o, read_ahead.chunks_of(o), on_chunk, discard)
        except InputError as error:
            problems.extend(error.problems)

    try:
        create_raw_patients(con)
        for o in patient_files:
            raw = _RawPatients(con, o)
            stream(o, raw.on_chunk, raw.discard)
        for statement in patients_statements(formats):
            con.execute(statement)
        rows_read["patients"] = int(scalar(con, "SELECT count(*) FROM checked_patients"))
        for o in patient_files:
            insert_canonical(con, "patients", "checked_patients", o.staged)

        for name, table_files in child_files.items():
            table = TABLES_BY_NAME[name]
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE checked_{name} AS "
                + child_select(table, formats, empty_source(table), with_center=False)
            )
            for o in table_files:
                counted = _ChildFile(con, table, formats, o)
                stream(o, counted.on_chunk, counted.discard)
                rows_read[name] += counted.rows
    finally:
        read_ahead.close()
    if problems:
        raise InputError("the input cannot be imported", tuple(problems))
    con.execute("DROP TABLE IF EXISTS chunk_checked")
    create_problems_table(con)
    return rows_read


class _ChildFile:
    """Checks and loads the chunks of one child file, counting its rows."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, table: Table, formats: DateFormats, o: OpenedFile
    ) -> None:
        self.con, self.table, self.formats, self.o = con, table, formats, o
        self.rows = 0
        made_of = canonical_inputs(table.name, checked_column_names(table))
        self.kept = [q(c) for c in ["file_id", "line", "rejected", *made_of]]

    def on_chunk(self, view: str) -> None:
        o, name = self.o, self.table.name
        source = source_select(
            self.table, o.header.columns, view, o.staged.file_id, o.staged.source_index
        )
        # the checks read the registered Arrow chunk directly: DuckDB scans an Arrow table with
        # every thread, and a copy into DuckDB first cost as much again as the scan
        checked = self._checked(source)
        # Only what the canonical row is made of is kept for every row: writing the many columns
        # of problems (mostly NULL) was most of the cost. The rare rejected rows are checked
        # again, alone, for their problems.
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE chunk_checked AS SELECT {', '.join(self.kept)} "
            f"FROM ({checked})"
        )
        insert_canonical(self.con, name, "chunk_checked", o.staged)
        rows, rejected = self.con.execute(
            "SELECT count(*), count(*) FILTER (rejected) FROM chunk_checked"
        ).fetchall()[0]
        self.rows += int(rows)
        if rejected:  # planning the checks costs 10-20 ms: not for a chunk without problems
            again = f"SELECT * FROM ({source}) WHERE line IN (SELECT line FROM chunk_checked WHERE rejected)"
            self.con.execute(f"INSERT INTO checked_{name} {self._checked(again)}")

    def _checked(self, source: str) -> str:
        """SQL: the checked rows of ``source`` (rows of this file, see ``checks.child_select``)."""
        o = self.o
        return child_select(
            self.table, self.formats, source, "center" in o.header.columns, o.staged.source_index
        )

    def discard(self) -> None:
        o, name = self.o, self.table.name
        self.con.execute(f"DELETE FROM checked_{name} WHERE file_id = {o.staged.file_id}")
        self.con.execute(f'DELETE FROM main."{name}" WHERE source_file = {lit(o.staged.display)}')
        self.rows = 0


class _RawPatients:
    """Gathers the text rows of one patients file into ``raw_patients``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, o: OpenedFile) -> None:
        self.con, self.o = con, o

    def on_chunk(self, view: str) -> None:
        o = self.o
        source = source_select(
            TABLES_BY_NAME["patients"],
            o.header.columns,
            view,
            o.staged.file_id,
            o.staged.source_index,
        )
        self.con.execute(f"INSERT INTO raw_patients BY NAME {source}")

    def discard(self) -> None:
        self.con.execute(f"DELETE FROM raw_patients WHERE file_id = {self.o.staged.file_id}")


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
