"""Derived CSV files written by DuckDB's COPY: the bytes of the spec's formats
(``derive.serialize``), formula-safe, sorted, the same from a table as from Arrow."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from random import Random

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from itpcohort.derive.serialize import table_csv_bytes
from itpcohort.store.csv_copy import arrow_csv_bytes, copy_csv

TEXT = st.text(alphabet=st.sampled_from([*"ab ,\"'\n\r\t=+-@é0", "€", "\u2028"]), max_size=6)
FLOAT = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [0.0, 150.0, 30.5, 0.001, 1e-4, 9.9e-5, 1e-6, 1.25e-7, 1e9, 1e10, 9999999999.5, 1e15, 1e21]
)
ROW = st.tuples(
    st.none() | TEXT,
    st.none() | FLOAT,
    st.none() | st.booleans(),
    st.none() | st.integers(-(2**62), 2**62),
    st.none() | st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)),
)


def _table(rows: list[tuple[object, ...]], order: list[int]) -> pa.Table:
    return pa.table(
        {
            "key": pa.array(order, pa.int64()),
            "text": pa.array([r[0] for r in rows], pa.string()),
            "number": pa.array([r[1] for r in rows], pa.float64()),
            "flag": pa.array([r[2] for r in rows], pa.bool_()),
            "count": pa.array([r[3] for r in rows], pa.int64()),
            "day": pa.array([r[4] for r in rows], pa.date32()),
        }
    )


COLUMNS = ["key", "text", "number", "flag", "count", "day"]


@settings(max_examples=200, deadline=None)
@given(st.lists(ROW, max_size=15), st.randoms(use_true_random=False))
def test_copy_gives_the_bytes_of_the_spec_formats(
    rows: list[tuple[object, ...]], rnd: Random
) -> None:
    order = list(range(len(rows)))
    rnd.shuffle(order)
    table = _table(rows, order)
    assert arrow_csv_bytes(table, COLUMNS, ["key"]) == table_csv_bytes(table, COLUMNS, ["key"])


def test_value_formats_and_formula_marks() -> None:
    rows = [
        ("=1+1", 150.0, True, 1, dt.date(2020, 1, 31)),
        ("", 1e-7, None, None, None),
        ("a,b", -3.0, False, -2, dt.date(1999, 12, 1)),
        ('say "hi"', 2.5e-5, None, 40, None),
        ("-2", math.nan, True, 0, None),
    ]
    got = arrow_csv_bytes(_table(rows, [4, 3, 2, 1, 0]), COLUMNS, ["key"])
    assert got == (
        b"key,text,number,flag,count,day\n"
        b"0,'-2,nan,true,0,\n"
        b'1,"say ""hi""",0.000025,,40,\n'
        b'2,"a,b",-3,false,-2,1999-12-01\n'
        b"3,,1e-7,,,\n"
        b"4,'=1+1,150,true,1,2020-01-31\n"
    )


def test_a_table_is_written_as_its_arrow_rows(tmp_path: Path) -> None:
    rows = [("x", 0.5, True, 3, dt.date(2020, 1, 1)), (None, None, None, None, None)] * 3
    table = _table(rows, [5, 4, 3, 2, 1, 0])
    with duckdb.connect(str(tmp_path / "db.duckdb")) as con:
        con.register("given", table)
        con.execute("CREATE TABLE marts AS SELECT * FROM given")
        copy_csv(con, "marts", ["text", "key", "day"], ["day", "key"], tmp_path / "out.csv")
    expected = table_csv_bytes(table, ["text", "key", "day"], ["day", "key"])
    assert (tmp_path / "out.csv").read_bytes() == expected


def test_an_empty_table_is_its_header() -> None:
    table = pa.table({"a b": pa.array([], pa.string()), "c,d": pa.array([], pa.float64())})
    assert arrow_csv_bytes(table, ["a b", "c,d"], ["a b"]) == b'a b,"c,d"\n'
