"""CSV text reading in Python: cells as given and the physical line where each record starts
(header = 1), and whether DuckDB's line-per-record reader may read the file instead."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from itpcohort.errors import InputError
from itpcohort.io.csv_reader import CsvText, open_csv_text


def _open(path: Path, **options: str) -> CsvText:
    return open_csv_text(path, str(path), path.name, **options)


def _rows(text: CsvText) -> list[tuple[int, str | None, list[str]]]:
    keep = list(range(len(text.header)))
    return [
        (r["__line"], r["__row_error"], [r[f"c{i}"] for i in keep])
        for batch in text.batches(keep)
        for r in batch.to_pylist()
    ]


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    return path


def test_plain_file_may_be_read_by_lines(tmp_path: Path) -> None:
    text = _open(_write(tmp_path, b"a,b\n1,2\n3,4\n"))
    assert text.line_reader_ok
    assert text.header == ["a", "b"]
    assert text.last_content_line == 3
    assert _rows(text) == [(2, None, ["1", "2"]), (3, None, ["3", "4"])]


def test_bom_crlf_and_quoted_newlines(tmp_path: Path) -> None:
    data = b'\xef\xbb\xbfa,b\r\n1,"x\r\ny, z"\r\n2,"p\nq\nr"\r\n3,s\r\n'
    text = _open(_write(tmp_path, data))
    assert text.header == ["a", "b"]
    assert text.last_content_line == 7  # more lines than records: the store reads it here
    assert _rows(text) == [
        (2, None, ["1", "x\r\ny, z"]),
        (4, None, ["2", "p\nq\nr"]),
        (7, None, ["3", "s"]),
    ]


def test_blank_lines_keep_line_numbers(tmp_path: Path) -> None:
    text = _open(_write(tmp_path, b"a,b\n1,2\n\n\r\n3,4\n,\n5,6\n"))
    assert _rows(text) == [(2, None, ["1", "2"]), (5, None, ["3", "4"]), (7, None, ["5", "6"])]


def test_trailing_blank_lines_are_not_content(tmp_path: Path) -> None:
    for data, last in ((b"a,b\n1,2\n\n\n", 2), (b"a,b\r\n1,2\r\n\r\n", 2), (b"a,b\n1,2", 2)):
        text = _open(_write(tmp_path, data))
        assert text.last_content_line == last, data
        assert text.line_reader_ok, data
        assert _rows(text) == [(2, None, ["1", "2"])]


def test_rows_with_the_wrong_number_of_fields_are_kept_and_marked(tmp_path: Path) -> None:
    text = _open(_write(tmp_path, b"a,b\n1,2\n3\n4,5,6\n7,8\n"))
    assert _rows(text) == [
        (2, None, ["1", "2"]),
        (3, "row has 1 field; the header has 2", ["3", ""]),
        (4, "row has 3 fields; the header has 2", ["4", "5"]),
        (5, None, ["7", "8"]),
    ]


def test_lone_carriage_returns_are_read_here(tmp_path: Path) -> None:
    text = _open(_write(tmp_path, b"a,b\r1,2\r3,4\r"))
    assert not text.line_reader_ok
    assert _rows(text) == [(2, None, ["1", "2"]), (3, None, ["3", "4"])]


def test_a_space_before_a_quote_is_read_here(tmp_path: Path) -> None:
    # the csv module keeps ' "x"' as written; DuckDB's reader would drop the space and the quotes
    text = _open(_write(tmp_path, b'a,b\n1, "x"\n'))
    assert not text.line_reader_ok
    assert _rows(text) == [(2, None, ["1", ' "x"'])]


def test_header_spanning_two_lines(tmp_path: Path) -> None:
    text = _open(_write(tmp_path, b'"a\nx",b\n1,2\n'))
    assert text.header == ["a\nx", "b"]
    assert text.header_line == 1
    assert not text.line_reader_ok
    assert _rows(text) == [(3, None, ["1", "2"])]


def test_declared_encoding_and_delimiter(tmp_path: Path) -> None:
    data = "a;b\r\nfièvre;1,5\r\n".encode("latin-1")
    text = _open(_write(tmp_path, data), encoding="latin-1", delimiter=";")
    assert not text.line_reader_ok
    assert _rows(text) == [(2, None, ["fièvre", "1,5"])]


def test_a_cell_longer_than_the_csv_module_default_limit(tmp_path: Path) -> None:
    long = "x" * 300_000
    text = _open(_write(tmp_path, f'a,b\n1,"{long}\n"\n'.encode()))
    assert _rows(text) == [(2, None, ["1", long + "\n"])]


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
    data = b"a,b\n1,2\n"
    assert _open(_write(tmp_path, data)).sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("data", "line_reader_ok"),
    [
        (b'a,b\n1,"reported as ""x"" by"\n', True),  # a space before a quote inside quotes
        (b'a,b\n1,a "x"\n', True),  # inside an unquoted cell: both readers keep it
        (b'a,b\n "x",1\n', False),  # at the start of a line
        (b'a,b\n1,"x" "y"\n', False),  # after a closing quote
    ],
)
def test_only_a_space_that_may_open_or_follow_quotes_is_read_here(
    tmp_path: Path, data: bytes, line_reader_ok: bool
) -> None:
    assert _open(_write(tmp_path, data)).line_reader_ok is line_reader_ok
