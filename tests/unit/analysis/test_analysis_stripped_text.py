"""``analysis.tables.stripped_text`` strips exactly what ``str.strip`` strips (the analysis's text
columns), finding the padded values with Arrow instead of one Python call per value."""

from __future__ import annotations

import sys

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from itpcohort.analysis.tables import PYTHON_WHITESPACE_CLASS, stripped_text

WHITESPACE = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]


def test_the_class_holds_exactly_python_s_white_space() -> None:
    """Every code point matches the class exactly when ``str.isspace`` says it is white space."""
    every = pa.array([chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF])
    matched = pc.match_substring_regex(every, f"^[{PYTHON_WHITESPACE_CLASS}]$").to_pylist()
    assert [c for c, m in zip(every.to_pylist(), matched, strict=True) if m] == WHITESPACE


_VALUE = st.one_of(
    st.none(),
    st.text(alphabet=st.sampled_from([*WHITESPACE, "a", "é", "-", "0"]), max_size=5),
    st.text(max_size=4),
)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(_VALUE, max_size=8))
def test_stripped_text_is_str_strip(values: list[str | None]) -> None:
    series = pd.Series(values, dtype=object)
    expected = series.astype("string").str.strip()
    got = stripped_text(series)
    assert str(got.dtype) == str(expected.dtype)
    pd.testing.assert_series_equal(got, expected)
