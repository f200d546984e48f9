"""CSV text reading: cells as given and the physical line where each record starts (header = 1)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itpcohort.errors import InputError
from itpcohort.io.csv_reader import CsvText, open_csv_text


def _open(path: Path, **options: str) -> CsvText:
    return open_csv_text(path, str(path), path.name, **options)


def _rows(text: CsvText, slow: bool = False) -> list[tuple[int, str | None, list[str]]]:
    keep = list(range(len(text.header)))
    return [
        (r["__line"], r["__row_error"], [r[f"c{i}"] for i in keep])
        for batch in text.batches(keep, slow=slow)
        for r in batch.to_pylist()
    ]


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    return path


def test_plain_file_is_read_by_the_fast_path(tmp_path: Path) -> None:
    text = _open(_write(tmp_path, b"a,b\n1,2\n3,4\n"))
    assert text.fast_possible
    assert text.header == ["a", "b"]
    assert _rows(text) == [(2, None, ["1", "2"]), (3, None, ["3", "4"])]
    assert not text.fast_failed


def test_bom_crlf_and_quoted_newlines(tmp_path: Path) -> None:
    data = b'\xef\xbb\xbfa,b\r\n1,"x\r\ny, z"\r\n2,"p\nq\nr"\r\n3,s\r\n'
    text = _open(_write(tmp_path, data))
    assert text.header == ["a", "b"]
    assert _rows(text) == [
        (2, None, ["1", "x\r\ny, z"]),
        (4, None, ["2", "p\nq\nr"]),
        (7, None, ["3", "s"]),
    ]
    assert _rows(text) == _rows(text, slow=True)


def test_blank_lines_take_the_exact_path_and_keep_line_numbers(tmp_path: Path) -> None:
    text = _open(_write(tmp_path, b"a,b\n1,2\n\n\r\n3,4\n,\n5,6\n"))
    _rows(text)
    assert text.fast_failed  # the fast reader skipped blank lines: its records end too early
    exact = [(2, None, ["1", "2"]), (5, None, ["3", "4"]), (7, None, ["5", "6"])]
    assert _rows(text, slow=True) == exact


def test_trailing_blank_lines_do_not_leave_the_fast_path(tmp_path: Path) -> None:
    for data in (b"a,b\n1,2\n\n\n", b"a,b\r\n1,2\r\n\r\n", b"a,b\n1,2", b"a,b\n"):
        text = _open(_write(tmp_path, data))
        rows = _rows(text)
        assert not text.fast_failed, data
        assert rows == ([(2, None, ["1", "2"])] if b"1,2" in data else [])


def test_rows_with_the_wrong_number_of_fields_are_kept_and_marked(tmp_path: Path) -> None:
    text = _open(_write(tmp_path, b"a,b\n1,2\n3\n4,5,6\n7,8\n"))
    _rows(text)
    assert text.fast_failed  # the fast reader gave up; the caller reads again exactly
    exact = _rows(text, slow=True)
    assert exact == [
        (2, None, ["1", "2"]),
        (3, "row has 1 field; the header has 2", ["3", ""]),
        (4, "row has 3 fields; the header has 2", ["4", "5"]),
        (5, None, ["7", "8"]),
    ]


def test_lone_carriage_returns_take_the_exact_path(tmp_path: Path) -> None:
    text = _open(_write(tmp_path, b"a,b\r1,2\r3,4\r"))
    assert not text.fast_possible
    assert _rows(text) == [(2, None, ["1", "2"]), (3, None, ["3", "4"])]


def test_header_spanning_two_lines(tmp_path: Path) -> None:
    text = _open(_write(tmp_path, b'"a\nx",b\n1,2\n'))
    assert text.header == ["a\nx", "b"]
    assert text.header_line == 1
    assert _rows(text) == [(3, None, ["1", "2"])]


def test_declared_encoding_and_delimiter(tmp_path: Path) -> None:
    data = "a;b\r\nfièvre;1,5\r\n".encode("latin-1")
    text = _open(_write(tmp_path, data), encoding="latin-1", delimiter=";")
    assert _rows(text) == [(2, None, ["fièvre", "1,5"])]


def test_bytes_that_are_not_utf8_are_reported_with_their_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as error:
        _open(_write(tmp_path, b"a,b\n1,2\n3,fi\xe8vre\n"))
    problem = error.value.problems[0]
    assert problem.row == 3
    assert "cannot be read as UTF-8 (byte 0xe8 on line 3)" in problem.reason
    assert "encoding" in problem.reason


def test_a_file_that_is_not_in_its_declared_encoding(tmp_path: Path) -> None:
    with pytest.raises(InputError) as error:
        _open(_write(tmp_path, b"a,b\n1,\xff\xfe\n"), encoding="ascii")
    assert error.value.problems[0].row == 2


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\r\n", b" , \n"])
def test_empty_files(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(InputError) as error:
        _open(_write(tmp_path, data))
    assert error.value.problems[0].reason == "empty file: no header row"


def test_the_hash_is_the_file_sha256(tmp_path: Path) -> None:
    import hashlib

    data = b"a,b\n1,2\n"
    assert _open(_write(tmp_path, data)).sha256 == hashlib.sha256(data).hexdigest()


# Property: whatever the layout, both readers give every record with the physical line where it
# starts, as Python's csv module counts lines (an independent reference).

_cell = st.text(alphabet=st.sampled_from(list('ab ,"\n\r')), max_size=6)


def _reference(data: bytes) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    out, previous_end, seen_header = [], 0, False
    for record in reader:
        start, previous_end = previous_end + 1, reader.line_num
        if not record or not any(c.strip() for c in record):
            continue
        if not seen_header:
            seen_header = True
            continue
        out.append((start, record))
    return out


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(_cell, _cell), min_size=1, max_size=8),
    newline=st.sampled_from(["\n", "\r\n"]),
    blank_after=st.sets(st.integers(0, 8)),
)
def test_line_numbers_match_the_csv_module(
    tmp_path: Path, rows: list[tuple[str, str]], newline: str, blank_after: set[int]
) -> None:
    def quote(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"' if cell else "x"

    lines = ["h1,h2" + newline]
    for i, (a, b) in enumerate(rows):
        lines.append(f"{quote(a)},{quote(b)}{newline}")
        if i in blank_after:
            lines.append(newline)
    data = "".join(lines).encode()
    text = _open(_write(tmp_path, data))
    expected = [(line, record) for line, record in _reference(data)]
    fast = _rows(text)
    if text.fast_failed:
        fast = _rows(text, slow=True)
    assert [(line, cells) for line, _, cells in fast] == expected
    assert [(line, cells) for line, _, cells in _rows(text, slow=True)] == expected
