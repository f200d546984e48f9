"""One test per construct the engines read differently, run on DuckDB, PostgreSQL and Spark.

Each fails without its fix in ``derive/`` or ``engines.py`` (the docstring says how).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import ibis
import pyarrow as pa
import pytest

from itpcohort.criteria import Criteria
from itpcohort.derive import _canonical, derive_models
from itpcohort.derive._common import canonical_schema
from itpcohort.engines import ENGINES, load_canonical, workspace
from tests.reference.canonical import arrow_tables

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


#: the timeline of the course that came out 575 days long on Spark and 539 on DuckDB (issue 20:
#: synthetic study of 300 patients, 3 centers, seed 5, patient LYO-00037, pseudonymised), reduced
#: to the rows its course 1 reads, plus one bleed without a grade dated before any course
_LOST_GRADE_TIMELINE: dict[str, list[dict[str, Any]]] = {
    "patients": [
        {
            "patient_id": "P1",
            "birth_date": date(1990, 11, 14),
            "diagnosis_date": date(2016, 9, 28),
            "last_followup_date": date(2021, 6, 11),
        }
    ],
    "treatments": [
        {"patient_id": "P1", "drug": "rituximab", "start_date": date(2019, 10, 31), "dose": 375.0},
        {"patient_id": "P1", "drug": "rituximab", "start_date": date(2019, 11, 7), "dose": 375.0},
        {"patient_id": "P1", "drug": "rituximab", "start_date": date(2019, 11, 13), "dose": 375.0},
        {"patient_id": "P1", "drug": "fostamatinib", "start_date": date(2021, 6, 4), "dose": 100.0},
    ],
    "platelet_counts": [
        {"patient_id": "P1", "date": day, "platelets": count}
        for day, count in (
            (date(2019, 10, 16), 15.0),
            (date(2019, 11, 7), 119.0),
            (date(2019, 11, 16), 180.0),
            (date(2021, 4, 9), 223.0),
            (date(2021, 6, 11), 12.0),
        )
    ],
    "bleeding_events": [
        {"patient_id": "P1", "date": date(2017, 7, 7), "who_grade": None, "severe": False},
        {"patient_id": "P1", "date": date(2021, 4, 29), "who_grade": 2, "severe": False},
    ],
}


def _as_pandas(table: pa.Table) -> Any:
    """``table`` as the pandas frame a user gets from a DuckDB study database (``.df()``): a
    nullable ``Int32`` for an integer column with a gap, ``object`` for text (``string`` when
    every cell is empty, so that the engines are given a type)."""
    with duckdb.connect() as con:
        frame = con.from_arrow(table).df()
    for column in frame.columns:
        if frame[column].dtype == object and frame[column].isna().all():
            frame[column] = frame[column].astype("string")
    return frame


@pytest.mark.parametrize("engine", list(ENGINES))
def test_a_grade_loaded_from_pandas_keeps_its_value_on_every_engine(
    engine_backends: dict[str, Any], engine: str
) -> None:
    """The divergence of issue 20 (``docs/running-at-scale.md``, "The course that differed"),
    on the pseudonymised timeline of the course that differed, loaded as its user loaded it:
    pandas frames given to Ibis (an in-memory table, as ``create_table(name, frame)`` makes).

    By hand (``response-criteria.md``, default criteria): course 1 is the rituximab infusions of
    2019-10-31, 11-07 and 11-13; baseline 15 (2019-10-16, section 3). The counts 119 (2019-11-07)
    and 180 (2019-11-16) are both ≥ 100 and 9 days apart (> 7), with no bleed or rescue between:
    CR, ``response_date`` 2019-11-07 (section 5). Loss (section 6) is the earliest, after it, of:
    two neighbouring counts not qualifying for R, none (12 on 2021-06-11 is the only low one); a
    bleed of grade ≥ 2, the grade-2 bleed of 2021-04-29; the start of a new ITP treatment,
    fostamatinib on 2021-06-04. The loss is 2021-04-29, before the censoring date (last follow-up
    2021-06-11): ``duration_days`` = ``cr_duration_days`` = 2021-04-29 − 2019-11-07 = 539, an
    event. The bleed without a grade (2017, before any course) is what gives the pandas column
    a gap, as other patients' did in the study.

    Without Arrow between Ibis and Spark (``engines._install_pyspark_arrow_tables``), PySpark
    turned the ``Int32`` grades into floats and stored every one as NULL: the bleed of 2021-04-29
    was no bleed of grade ≥ 2, loss fell to the fostamatinib start and the duration was 575
    (``duration_days`` 575 on Spark, 539 on DuckDB and PostgreSQL).
    """
    backend = engine_backends[engine]
    loaded = {
        name: backend.create_view(
            f"_itpc_user_{name}", ibis.memtable(_as_pandas(table)), overwrite=True
        )
        for name, table in arrow_tables(_LOST_GRADE_TIMELINE).items()
    }
    grades = backend.to_pyarrow(loaded["bleeding_events"].who_grade).to_pylist()
    assert sorted(grades, key=str) == [2, None]
    tables = workspace(backend)
    try:
        built = derive_models(loaded, Criteria(), tables.materialize, tables.release)
        courses = backend.to_pyarrow(built["courses"]).to_pylist()
    finally:
        tables.close()
    assert [
        (c["course_number"], c["response"], c["response_date"], c["duration_days"]) for c in courses
    ] == [(1, "CR", date(2019, 11, 7), 539)]
    assert (courses[0]["duration_censored"], courses[0]["cr_duration_days"]) == (False, 539)
