"""One test per construct the engines read differently, run on DuckDB, PostgreSQL and Spark.

Each fails without its fix in ``derive/`` or ``store/engines.py`` (the docstring says how).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from itpcohort.derive import _canonical
from itpcohort.derive._common import canonical_schema
from itpcohort.engines import ENGINES, load_canonical

pytestmark = pytest.mark.engines


def _bleeding_events(who_grade: pa.Array) -> pa.Table:
    schema = canonical_schema("bleeding_events").to_pyarrow()
    columns = {f.name: pa.nulls(len(who_grade), f.type) for f in schema}
    columns["who_grade"] = who_grade
    return pa.table(columns)


@pytest.mark.parametrize("engine", list(ENGINES))
def test_a_nan_grade_is_a_missing_grade_on_every_engine(
    engine_backends: dict[str, Any], engine: str
) -> None:
    """A table loaded through pandas holds NaN for a missing WHO grade (a float column). Cast to
    the canonical int32 without reading NaN as NULL, Spark made it grade 0 (a bleed that voids a
    run when ``bleeding_min_grade`` is 0) and DuckDB and PostgreSQL raised."""
    grades = pa.array([float("nan"), 3.0, None], pa.float64(), from_pandas=False)
    loaded = load_canonical(engine_backends[engine], {"bleeding_events": _bleeding_events(grades)})
    typed = _canonical(loaded, "bleeding_events").select("who_grade").to_pyarrow()
    assert typed.schema.field("who_grade").type == pa.int32()
    assert sorted(typed.column("who_grade").to_pylist(), key=str) == [3, None, None]


@pytest.mark.parametrize("engine", list(ENGINES))
def test_a_nan_count_is_a_missing_count_on_every_engine(
    engine_backends: dict[str, Any], engine: str
) -> None:
    """A NaN count compares above every number (it would qualify as a complete response)."""
    schema = canonical_schema("platelet_counts").to_pyarrow()
    columns = {f.name: pa.nulls(2, f.type) for f in schema}
    columns["platelets"] = pa.array([float("nan"), 150.0], from_pandas=False)
    loaded = load_canonical(engine_backends[engine], {"platelet_counts": pa.table(columns)})
    typed = _canonical(loaded, "platelet_counts")
    high = typed.filter(typed.platelets >= 100).count().to_pyarrow().as_py()
    assert high == 1
