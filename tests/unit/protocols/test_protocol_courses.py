"""Courses, regimens and lines from the protocol's course rules (``protocols.md``, Infusion courses
and exposure rule 8, read for infusion protocols; issue 19 part 2), worked by hand on one-patient
timelines and run through the engine.

The protocol here makes courses of cyclophosphamide infusions (an infusion protocol with another
agent, 30-day gap, one named regimen): its administrations make the courses, and rituximab, no
longer the protocol's agent, is a line agent and a new ITP treatment. Under the default protocol
the same rows give rituximab courses, as today.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from itpcohort.criteria import Criteria
from itpcohort.protocols import CourseRules, Regimen, builtin_protocol
from tests.reference.canonical import run_engine
from tests.unit.timeline_builders import Rows, counts, d, merge, patient

CYCLO = CourseRules(
    kind="infusions",
    agents=("cyclophosphamide",),
    course_gap_days=30,
    regimens=(Regimen("750m2", 750.0, "mg/m2", None, "750 mg/m² per dose", "750 mg/m² par dose"),),
)
CYCLO_CRITERIA = replace(Criteria(), courses=CYCLO, course_gap_days=30)
KEYS = ("patient_id", "course_number", "start_date", "end_date", "n_infusions", "regimen",
        "prior_lines")  # fmt: skip


def given(pid: str, drug: str, day: int, dose: float, unit: str) -> Rows:
    row = {"patient_id": pid, "drug": drug, "start_date": d(day), "dose": dose, "dose_unit": unit}
    return {"treatments": [row]}


ROWS = merge(
    patient("X"),
    given("X", "cyclophosphamide", 0, 750.0, "mg/m2"),
    given("X", "cyclophosphamide", 30, 800.0, "mg/m2"),  # 30 days: same course; +6.7 %: matches
    given("X", "rituximab", 100, 375.0, "mg/m2"),
    given("X", "cyclophosphamide", 200, 500.0, "mg"),  # 170 days later: course 2, other regimen
    given("X", "cyclophosphamide", 231, 500.0, "mg"),  # 31 days later: course 3
    counts("X", {-3: 10.0}),
)


def _courses(criteria: Criteria) -> list[dict[str, Any]]:
    return [{k: row[k] for k in KEYS} for row in run_engine(ROWS, criteria)["courses"]]


def test_the_protocol_agent_makes_the_courses_and_rituximab_is_a_line() -> None:
    assert _courses(CYCLO_CRITERIA) == [
        {"patient_id": "X", "course_number": 1, "start_date": d(0), "end_date": d(30),
         "n_infusions": 2, "regimen": "750m2", "prior_lines": 0},
        # rituximab (day 100) is a line agent before course 2
        {"patient_id": "X", "course_number": 2, "start_date": d(200), "end_date": d(200),
         "n_infusions": 1, "regimen": "other", "prior_lines": 1},
        {"patient_id": "X", "course_number": 3, "start_date": d(231), "end_date": d(231),
         "n_infusions": 1, "regimen": "other", "prior_lines": 1},
    ]  # fmt: skip


def test_the_default_protocol_gives_rituximab_courses_as_today() -> None:
    """The same rows: one rituximab course, cyclophosphamide (an immunosuppressant) one line."""
    assert _courses(Criteria()) == [
        {"patient_id": "X", "course_number": 1, "start_date": d(100), "end_date": d(100),
         "n_infusions": 1, "regimen": "other", "prior_lines": 1},
    ]  # fmt: skip


def test_rituximab_started_during_a_course_window_is_a_new_treatment() -> None:
    """Sections 4–6 with rule 8: counts of days 40 and 60 (more than 7 days apart, >= 100) give a
    CR dated day 40; rituximab, started on day 100 and not the protocol's agent, is a new ITP
    treatment: the loss of response, 60 days after the response (as the default protocol's lines
    would not have it, the response would last to course 2, day 200)."""
    rows = merge(ROWS, counts("X", {40: 150.0, 60: 160.0, 120: 200.0, 150: 210.0}))
    (first, *_) = run_engine(rows, CYCLO_CRITERIA)["courses"]
    assert (first["response"], first["response_date"]) == ("CR", d(40))
    assert first["duration_days"] == 100 - 40 and first["duration_censored"] is False


def test_exposure_protocols_derive_exposure_courses() -> None:
    """``derive_all`` dispatches on ``courses.kind``: under the switch protocol it returns the
    exposure marts (no ``retreatment``), equal row for row to ``derive_exposure`` under the
    protocol's rules (``protocols.md``, Exposure courses)."""
    from itpcohort.derive import EXPOSURE_MARTS, exposure_rules
    from tests.reference.canonical import run_exposure_engine

    switch = replace(Criteria(), courses=builtin_protocol("tpo-ra-switch").courses)
    rows = merge(
        patient("X"),
        {
            "treatments": [
                {"patient_id": "X", "drug": "eltrombopag", "start_date": d(0), "end_date": d(89)},
                {
                    "patient_id": "X",
                    "drug": "romiplostim",
                    "start_date": d(120),
                    "end_date": d(300),
                },
            ]
        },
        counts("X", {-3: 12.0, 40: 150.0, 60: 160.0, 150: 40.0, 200: 120.0, 230: 130.0}),
    )
    marts = run_engine(rows, switch)
    assert tuple(marts) == EXPOSURE_MARTS
    assert marts == run_exposure_engine(rows, exposure_rules(switch), switch)
    assert [(c["agent"], c["course_type"]) for c in marts["courses"]] == [
        ("eltrombopag", "first"),
        ("romiplostim", "switch"),
    ]


def test_exposure_protocols_derive_on_an_engine_with_their_releases() -> None:
    """``engines.derive_on`` (the ``--engine`` path) derives an exposure protocol's marts, every
    shared model materialised once and freed after its last reader (``exposure_released_after``),
    with the rows of ``derive_exposure``."""
    import ibis

    from itpcohort.derive import exposure_rules, released_after
    from itpcohort.engines import derive_on
    from tests.reference.canonical import arrow_tables, run_exposure_engine

    switch = replace(Criteria(), courses=builtin_protocol("tpo-ra-switch").courses)
    rows = merge(
        patient("X"),
        {"treatments": [
            {"patient_id": "X", "drug": "romiplostim", "start_date": d(0), "end_date": d(60)},
            {"patient_id": "X", "drug": "eltrombopag", "start_date": d(55), "end_date": None},
        ]},
        counts("X", {-2: 15.0, 30: 160.0, 50: 150.0, 90: 20.0, 120: 140.0, 140: 150.0}),
    )  # fmt: skip
    releases = released_after(switch)
    freed = {name for names in releases.values() for name in names}
    assert "int_eras_summarised_to_courses" in freed  # read by many models, then freed
    assert not freed & {"courses", "ae_by_course", "patient_baseline"}
    backend = ibis.duckdb.connect()
    try:
        marts = derive_on(backend, arrow_tables(rows), switch)
    finally:
        backend.disconnect()
    expected = run_exposure_engine(rows, exposure_rules(switch), switch)
    assert {name: table.to_pylist() for name, table in marts.items()} == expected
    assert [c["course_type"] for c in expected["courses"]] == ["first", "switch"]


def test_the_methods_prose_of_an_exposure_protocol_describes_eras() -> None:
    """The course-making sentence of the methods names the era gap and the effect days of the
    protocol (``protocols.md``, Exposure courses), not the infusion grouping and its doses."""
    from itpcohort.criteria import methods_prose

    courses = replace(builtin_protocol("tpo-ra-switch").courses, era_gap_days=21)
    switch = replace(Criteria(), courses=courses)
    english, french = methods_prose(switch, "en"), methods_prose(switch, "fr")
    assert "were grouped into one era when each started at most 21 days after" in english
    assert "up to 14 days after a course's end still belonged to it" in english
    assert "nominal doses" not in english and "doses nominales" not in french
    assert "regroupées en une période lorsque chacune commençait au plus 21" in french
    assert "nominal doses were matched" in methods_prose(Criteria(), "en")
