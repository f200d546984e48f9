"""CSV outputs neutralise formula injection (``architecture.md``, Privacy)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from itpcohort.shared.safe_csv import neutralise, write_csv


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6", "'+33 6"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (None, ""),
        (-3.5, "-3.5"),
        (12, "12"),
        (True, "true"),
    ],
)
def test_cells_starting_like_a_formula_get_a_leading_quote(value: object, written: str) -> None:
    assert neutralise(value) == written


def test_write_csv_round_trips_text_with_commas_quotes_and_newlines(tmp_path: Path) -> None:
    path = tmp_path / "out" / "x.csv"
    n = write_csv(path, ["file", "reason"], [["a.csv", 'says "hi", then\nleaves'], ["b", "=x"]])
    assert n == 2
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["file", "reason"], ["a.csv", 'says "hi", then\nleaves'], ["b", "'=x"]]


def test_write_csv_with_no_rows_writes_the_header_only(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    assert write_csv(path, ["file", "row"], []) == 0
    assert path.read_text() == "file,row\n"
