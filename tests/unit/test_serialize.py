"""CSV formatting of derived tables: value formats of the spec, explicit sorting, stable bytes."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itpcohort.derive.marts.courses import COURSES_COLUMNS
from itpcohort.derive.serialize import (
    _in_order,
    courses_csv_bytes,
    derived_csv_bytes,
    table_csv_bytes,
)
from tests.reference.canonical import run_engine
from tests.unit.timeline_builders import bleed, merge, rtx, standard


def test_value_formats() -> None:
    table = pa.table(
        {
            "text": ["plain", None, "a,b", 'say "hi"'],
            "number": [150.0, 30.5, None, 0.001],
            "flag": [True, False, None, True],
            "count": pa.array([1, None, 3, 40], pa.int64()),
            "day": pa.array([dt.date(2020, 1, 31), None, dt.date(2021, 12, 1), None], pa.date32()),
        }
    )
    got = table_csv_bytes(table, ["text", "number", "flag", "count", "day"], ["count"])
    assert got == (
        b"text,number,flag,count,day\n"
        b"plain,150,true,1,2020-01-31\n"
        b'"a,b",,,3,2021-12-01\n'
        b'"say ""hi""",0.001,true,40,\n'
        b",30.5,false,,\n"
    )


@pytest.mark.parametrize("cell", ["=1+1", "+33", "-2", "@SUM(A1)"])
def test_formula_like_text_is_neutralised(cell: str) -> None:
    table = pa.table({"text": [cell]})
    assert table_csv_bytes(table, ["text"], ["text"]) == f"text\n'{cell}\n".encode()


def test_rows_formatted_in_slices_give_the_bytes_of_one_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # quoting and formula marks in some slices only, NULLs, and a sort across slice borders
    text = ["plain", "a,b", None, "=1+1", 'say "hi"', "x", "-2", "line\nbreak", "y", "z", "@", "w"]
    table = pa.table(
        {
            "text": text,
            "key": pa.array([11, 3, 7, 0, 5, 9, 1, 4, 8, 2, 10, 6], pa.int64()),
            "number": [0.1, None, 2.0, 1e-7, 3.5, None, 150.0, 0.001, 1.0, 2.5, None, 30.5],
        }
    )
    columns, keys = ["key", "text", "number"], ["key"]
    monkeypatch.setattr("itpcohort.derive.serialize.SLICE_ROWS", 10**9)
    one_pass = table_csv_bytes(table, columns, keys)
    monkeypatch.setattr("itpcohort.derive.serialize.SLICE_ROWS", 5)  # slices of 5, 5 and 2 rows
    assert table_csv_bytes(table, columns, keys) == one_pass
    assert one_pass.count(b"\n") == 14  # header + 12 rows + the quoted line break
    assert b"\n'=1+1," not in one_pass and b"0,'=1+1," in one_pass


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.none() | st.sampled_from(["A", "B", "b", ""]),
            st.none() | st.integers(-2, 2),
            st.none() | st.dates(dt.date(2020, 1, 1), dt.date(2020, 1, 4)),
        ),
        max_size=12,
    )
)
def test_rows_already_in_order_are_recognised_exactly(
    rows: list[tuple[str | None, int | None, dt.date | None]],
) -> None:
    # the sort is skipped for rows already in order: only when a stable sort would keep them
    table = pa.table(
        {
            "text": pa.array([r[0] for r in rows], pa.string()),
            "number": pa.array([r[1] for r in rows], pa.int64()),
            "day": pa.array([r[2] for r in rows], pa.date32()),
        }
    )
    keys = ["text", "number", "day"]
    stably_sorted = table.sort_by([(k, "ascending") for k in keys])
    assert _in_order(table, keys) == table.equals(stably_sorted)
    assert _in_order(stably_sorted, keys)
    columns = ["number", "text", "day"]
    assert table_csv_bytes(table, columns, keys) == table_csv_bytes(stably_sorted, columns, keys)


def test_numbers_are_not_neutralised() -> None:
    table = pa.table({"n": pa.array([-3], pa.int64())})
    assert table_csv_bytes(table, ["n"], ["n"]) == b"n\n-3\n"


def test_empty_table_is_the_header_line() -> None:
    table = pa.table({c: pa.array([], pa.string()) for c in COURSES_COLUMNS})
    assert courses_csv_bytes(table) == (",".join(COURSES_COLUMNS) + "\n").encode()


def test_unknown_mart_is_refused() -> None:
    with pytest.raises(KeyError, match="known: courses"):
        derived_csv_bytes("cohort", pa.table({"a": [1]}))


def test_courses_csv_from_the_engine_is_exact_and_sorted() -> None:
    # Two patients given in reverse order: the file sorts them by center, patient, course.
    rows = merge(
        standard("B", {10: 150.0, 20: 150.0}),
        bleed("B", 50, 2),
        standard("A", {10: 35.0, 20: 40.0}),
        rtx("A", 200),
    )
    table = pa.Table.from_pylist(run_engine(rows)["courses"])
    shuffled = table.take([2, 0, 1])
    got = courses_csv_bytes(shuffled)
    assert got == (
        ",".join(COURSES_COLUMNS).encode() + b"\n"
        # A course 1: baseline 10, 35 and 40 are >= 30 and >= 20: R on day 10, lost at course 2.
        b"TLS,A,1,2020-01-01,2020-01-22,4,375x4,49,chronic,0,false,10,R,2020-01-11,10,190,false,,,\n"
        # A course 2 (day 200): no count in the 30 days before, no later count.
        b"TLS,A,2,2020-07-19,2020-07-19,1,other,50,chronic,0,false,,NE,,,,,,,no_baseline\n"
        # B: CR on day 10, lost at the grade-2 bleed of day 50.
        b"TLS,B,1,2020-01-01,2020-01-22,4,375x4,49,chronic,0,false,10,CR,2020-01-11,10,40,false,40,false,\n"
    )
    assert courses_csv_bytes(table) == got
