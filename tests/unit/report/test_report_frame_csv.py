"""``tables/swimmer_data.csv`` and the other frame CSVs are written a column at a time
(``report._csv.write_frame_csv``): the bytes must be those of the cell-by-cell writer
(``shared.safe_csv.write_csv`` over Python values, each cell ``neutralise``d), formula
neutralising and minimal quoting included."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itpcohort.report._csv import write_frame_csv
from itpcohort.shared.safe_csv import write_csv

_TEXT = st.one_of(
    st.none(),
    st.sampled_from(["=SUM(A1)", "+33", "-5", "@x", "\tx", "\rx", "a,b", 'say "hi"', "l1\nl2", ""]),
    st.text(max_size=6),
)


def _cell_by_cell(frame: pd.DataFrame, path: Path) -> bytes:
    cells = frame.astype(object).where(frame.notna(), None)
    write_csv(path, [str(c) for c in frame.columns], cells.itertuples(index=False, name=None))
    return path.read_bytes()


@st.composite
def _frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 12))
    day = st.one_of(st.none(), st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1)))
    dates = st.lists(day, min_size=n, max_size=n)
    floats = st.one_of(st.floats(allow_nan=True, allow_infinity=False), st.just(0.1), st.none())
    columns = {
        "text": pd.Series(draw(st.lists(_TEXT, min_size=n, max_size=n)), dtype=object),
        "count": pd.Series(draw(st.lists(st.integers(-(2**40), 2**40), min_size=n, max_size=n))),
        "flag": pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool),
        "value": pd.Series(
            [np.nan if v is None else v for v in draw(st.lists(floats, min_size=n, max_size=n))],
            dtype=float,
        ),
        "maybe_flag": pd.Series(
            draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=n, max_size=n)),
            dtype=object,
        ),
        "day": pd.Series(draw(dates), dtype=object),
        "stamp": pd.to_datetime(pd.Series(draw(dates), dtype=object)),
        "nullable_int": pd.Series(
            draw(st.lists(st.one_of(st.none(), st.integers(-99, 99)), min_size=n, max_size=n)),
            dtype="Int64",
        ),
    }
    return pd.DataFrame(columns)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frame=_frames())
def test_a_frame_is_written_as_the_cell_by_cell_writer_writes_it(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    write_frame_csv(frame, tmp_path / "columns.csv")
    assert (tmp_path / "columns.csv").read_bytes() == _cell_by_cell(frame, tmp_path / "cells.csv")


def test_a_formula_in_a_text_column_is_neutralised_and_quoted_cells_stay_quoted(
    tmp_path: Path,
) -> None:
    frame = pd.DataFrame({"code": ["=HYPERLINK(1)", "a,b", None], "n": [1, 2, 3]})
    write_frame_csv(frame, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text() == 'code,n\n\'=HYPERLINK(1),1\n"a,b",2\n,3\n'


def test_floats_of_every_magnitude_are_written_as_repr_writes_them(tmp_path: Path) -> None:
    """Floats go through Arrow's shortest text where it equals ``repr``: whole numbers, the edges
    of Python's fixed notation (1e-4, 1e16), random bit patterns, months to 2 decimals."""
    rng = np.random.default_rng(7)
    edges = [0.0, -0.0, 1e-4, 9.999999999999999e-05, 1e16, 9999999999999998.0, 1e10, 5.0]
    edges += [1e15, 123456789.0, 0.1, 1 / 3, -2.5e-7, np.inf, -np.inf, np.nan, 1e300, 5e-324]
    bits = rng.integers(0, 2**63, 20_000, dtype=np.int64).view(np.float64)
    scaled = rng.normal(0, 1, 20_000) * 10.0 ** rng.integers(-8, 20, 20_000)
    months = np.round(rng.uniform(0, 600, 20_000), 2)
    wholes = np.trunc(scaled)
    for values in (np.array(edges), bits, scaled, months, wholes):
        frame = pd.DataFrame({"value": values, "n": np.arange(len(values))})
        write_frame_csv(frame, tmp_path / "columns.csv")
        assert (tmp_path / "columns.csv").read_bytes() == _cell_by_cell(
            frame, tmp_path / "cells.csv"
        )


def test_a_single_column_quotes_an_empty_cell_as_csv_writer_does(tmp_path: Path) -> None:
    frame = pd.DataFrame({"code": ["", None, "a\nb", 'q"', "\rx", "-1"]})
    write_frame_csv(frame, tmp_path / "columns.csv")
    expected = _cell_by_cell(frame, tmp_path / "cells.csv")
    assert (tmp_path / "columns.csv").read_bytes() == expected
    assert expected == b'code\n""\n""\n"a\nb"\n"q"""\n\'\rx\n\'-1\n'
