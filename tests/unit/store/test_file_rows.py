"""A file's rows as the checks get them (``intake.file_rows``): DuckDB's CSV reader where it numbers
lines exactly, the Python reader otherwise; either way every record with the physical line where it
starts, as Python's csv module counts lines (an independent reference), cells trimmed."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itpcohort.io.csv_reader import open_csv_text
from itpcohort.io.headers import HeaderMap
from itpcohort.store import import_study
from itpcohort.store import intake as staging_module
from itpcohort.store.intake import OpenedFile, StagedFile, file_rows, trimmed

HEADER = ("h1", "h2")


def _opened(path: Path) -> OpenedFile:
    text = open_csv_text(path, str(path), path.name)
    staged = StagedFile(0, "platelet_counts", str(path), path.name, 0, "s", None, 0)
    return OpenedFile(staged, text, HeaderMap((0, 1), HEADER, ()))


def _read(path: Path) -> tuple[list[tuple[int, bool, list[str]]], bool]:
    """(line, has a row error, trimmed cells) of each record with content, and whether DuckDB
    read the file itself (not the Python reader)."""
    con = duckdb.connect()
    try:
        o = _opened(path)
        by_duckdb = staging_module._csv_rows(con, o)
        sql = by_duckdb or file_rows(con, o)
        cells = ", ".join(f"coalesce({trimmed(c)}, '')" for c in HEADER)
        rows = con.execute(
            f"SELECT __line, __row_error IS NOT NULL, {cells} FROM ({sql}) ORDER BY __line"
        ).fetchall()
    finally:
        con.close()
    out = [(line, error, [a, b]) for line, error, a, b in rows if error or a or b]
    return out, by_duckdb is not None


def _reference(data: bytes) -> list[tuple[int, bool, list[str]]]:
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    out: list[tuple[int, bool, list[str]]] = []
    previous_end, seen_header = 0, False
    for record in reader:
        start, previous_end = previous_end + 1, reader.line_num
        if not record or not any(c.strip() for c in record):
            continue
        if not seen_header:
            seen_header = True
            continue
        cells = [c.strip() for c in [*record, "", ""][:2]]
        if len(record) != 2 or any(cells):
            out.append((start, len(record) != 2, cells))
    return out


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "data",
    [
        b"h1,h2\n1,2\n3,4\n",
        b"\xef\xbb\xbfh1,h2\r\n 1 ,\t2\r\n3,\xc2\xa04\xc2\xa0\r\n",
        b'h1,h2\n"a, b","c""d"\n,\n5,6',
        b"h1,h2\n1,2,\n3\n4,5,6\n , , \n7,8\n",
    ],
)
def test_plain_files_are_read_by_duckdb_with_their_lines(tmp_path: Path, data: bytes) -> None:
    rows, by_duckdb = _read(_write(tmp_path, data))
    assert by_duckdb
    assert rows == _reference(data)


@pytest.mark.parametrize(
    "data",
    [
        b"h1,h2\n1,2\n\n3,4\n",  # a blank line: DuckDB would skip it and number the rest wrong
        b'h1,h2\n1,"x\ny"\n3,4\n',  # a line break inside quotes
        b"h1,h2\n1,2,3,4\n5,6\n",  # two fields too many: DuckDB cannot split the row
        b'h1,h2\n1, "x"\n',  # a space before a quote
        b"h1,h2\r1,2\r",  # lone carriage returns
    ],
)
def test_other_files_are_read_in_python_with_their_lines(tmp_path: Path, data: bytes) -> None:
    rows, by_duckdb = _read(_write(tmp_path, data))
    assert not by_duckdb
    assert rows == _reference(data)


_text = st.text(alphabet=st.sampled_from(list('ab ,"\n\r')), max_size=5)
_bare = st.text(alphabet=st.sampled_from(list('ab "\t')), max_size=4)


def _cell(quoted: bool, text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if quoted else text


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.lists(st.tuples(st.booleans(), _text), min_size=1, max_size=3).map(
            lambda cells: [
                _cell(q, t) if q else t.replace("\n", "").replace("\r", "").replace(",", "")
                for q, t in cells
            ]
        )
        | st.lists(_bare, min_size=1, max_size=3),
        min_size=1,
        max_size=8,
    ),
    newline=st.sampled_from(["\n", "\r\n"]),
    blank_after=st.sets(st.integers(0, 8), max_size=2),
)
def test_line_numbers_and_cells_match_the_csv_module(
    tmp_path: Path, rows: list[list[str]], newline: str, blank_after: set[int]
) -> None:
    lines = ["h1,h2" + newline]
    for i, cells in enumerate(rows):
        lines.append(",".join(cells) + newline)
        if i in blank_after:
            lines.append(newline)
    data = "".join(lines).encode()
    rows_read, _ = _read(_write(tmp_path, data))
    assert rows_read == _reference(data)


def _dump(db: Path) -> dict[str, Any]:
    with duckdb.connect(str(db), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE table_name <> 'runs' ORDER BY 1"
            ).fetchall()
        ]
        return {n: con.execute(f'SELECT * FROM "{n}"').fetchall() for n in names}


def test_a_messy_study_gives_the_same_database_read_by_duckdb_or_in_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from itpcohort.io import resolve_config
    from itpcohort.synth import generate_study

    study = tmp_path / "study"
    generate_study(study, patients=300, centers=3, seed=8, messy=0.02)
    config = resolve_config([study], None)
    by_duckdb = tmp_path / "duckdb.duckdb"
    import_study([study], config, by_duckdb)
    read_by = {"duckdb": 0}
    original = staging_module._csv_rows

    def counted(con: Any, o: OpenedFile) -> str | None:
        sql = original(con, o)
        read_by["duckdb"] += sql is not None
        return sql

    monkeypatch.setattr(staging_module, "_csv_rows", counted)
    import_study([study], config, tmp_path / "counted.duckdb")
    assert read_by["duckdb"] >= 10  # most files of the study are read by DuckDB
    monkeypatch.setattr(staging_module, "_csv_rows", lambda con, o: None)
    in_python = tmp_path / "python.duckdb"
    import_study([study], config, in_python)
    dumped = _dump(by_duckdb)
    assert dumped == _dump(in_python)
    assert len(dumped["rejected_rows"]) > 10
    assert _dump(tmp_path / "counted.duckdb") == dumped


def test_cells_are_trimmed_of_the_white_space_python_strips() -> None:
    characters = [chr(c) for c in range(0x3001) if chr(c).isspace()]
    characters += ["\x0e", "\x1b", "\u200b", "\ufeff", "é", "€", "a"]
    con = duckdb.connect()
    try:
        for ch in characters:
            value = f"{ch}{ch}x{ch}y{ch}"
            sql = f"SELECT {trimmed('?')}, {staging_module.has_content('?')}"
            got = con.execute(sql.replace("?", "$1"), [value]).fetchone()
            assert got == (value.strip(), True), repr(ch)
            assert con.execute(sql.replace("?", "$1"), [ch * 3]).fetchone() == (
                (ch * 3).strip(),
                bool((ch * 3).strip()),
            ), repr(ch)
    finally:
        con.close()


def test_a_file_read_in_parallel_keeps_its_line_numbers(tmp_path: Path) -> None:
    # DuckDB reads a file in pieces of a few MB on every thread; its rows keep the file's order
    n = 400_000
    path = tmp_path / "t.csv"
    path.write_text("h1,h2\n" + "".join(f"{i},{'x' * (i % 40)}\n" for i in range(n)))
    assert path.stat().st_size > 8 << 20
    con = duckdb.connect()
    try:
        con.execute("SET threads = 4")
        sql = staging_module._csv_rows(con, _opened(path))
        assert sql is not None  # read by DuckDB, not copied from Python
        got = con.execute(
            f"SELECT count(*), count(*) FILTER (h1::BIGINT + 2 <> __line) FROM ({sql})"
        ).fetchone()
    finally:
        con.close()
    assert got == (n, 0)
