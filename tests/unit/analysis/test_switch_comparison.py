"""The ``first_switch`` design seen as the flagship's comparison (``protocols.md``, The
tpo-ra-switch analysis plan): course s − 1 and course s become courses 1 and 2, the population's
exclusion reasons are those of the switch plan, and the predictors ``stop_reason_course1`` and
``direction`` come from course 1 and the pair."""

from __future__ import annotations

from datetime import date

import pandas as pd

from itpcohort.analysis.population import select_population
from itpcohort.analysis.predictors import factor_frame
from itpcohort.analysis.switch import comparison_frames, switch_analysis
from itpcohort.analysis.tables import DerivedTables


def _course(pid: str, n: int, agent: str, kind: str, reason: str | None, response: str,
            age: int = 50, duration: float | None = None, censored: bool | None = None,
            ) -> dict[str, object]:  # fmt: skip
    return {
        "center": "A", "patient_id": pid, "course_number": n, "agent": agent,
        "course_type": kind, "start_date": date(2020, 1, 1) + pd.Timedelta(days=100 * n),
        "end_date": None, "n_rows": 1, "stop_reason": reason, "age_at_course": age,
        "itp_phase": "chronic", "prior_lines": 1, "splenectomy_before": False,
        "baseline_platelets": 20.0, "response": response, "response_date": None,
        "time_to_response_days": None, "duration_days": duration,
        "duration_censored": censored, "cr_duration_days": None, "cr_duration_censored": None,
        "flags": "",
    }  # fmt: skip


COURSES = pd.DataFrame(
    [
        # P1: a retreatment with the first agent before the switch: compared pair = courses 2, 3
        _course("P1", 1, "eltrombopag", "first", "remission", "CR", duration=200, censored=False),
        _course("P1", 2, "eltrombopag", "retreatment", "inefficacy", "NR"),
        _course("P1", 3, "romiplostim", "switch", None, "R", duration=40, censored=True),
        _course("P1", 4, "eltrombopag", "switch", "other", "NR"),
        # P2: first switch at course 2, a 17-year-old at the switch
        _course("P2", 1, "romiplostim", "first", "fluctuation", "R", age=17, duration=50,
                censored=False),
        _course("P2", 2, "eltrombopag", "switch", "unknown", "CR", age=17, duration=60,
                censored=False),
        # P3: no switch
        _course("P3", 1, "eltrombopag", "first", None, "CR"),
        _course("P3", 2, "eltrombopag", "retreatment", None, "CR"),
        # P4: switch after a fluctuation, responder to both
        _course("P4", 1, "romiplostim", "first", "fluctuation", "CR", duration=100,
                censored=False),
        _course("P4", 2, "eltrombopag", "switch", None, "R", duration=80, censored=False),
    ]
)  # fmt: skip


def _frames() -> dict[str, pd.DataFrame]:
    baseline = pd.DataFrame(
        {
            "center": "A",
            "patient_id": ["P1", "P2", "P3", "P4"],
            "sex": "F",
            "itp_type": "primary",
            "secondary_cause": None,
            "diagnosis_date": date(2015, 1, 1),
            "age_at_diagnosis": 40,
            "age_at_first_rtx": 45,
            "has_count_after_course1": True,
            "death_date": None,
            "followup_days": 1000,
        }
    )
    ae = pd.DataFrame(
        {
            "center": "A",
            "patient_id": ["P1", "P1", "P4"],
            "onset_date": date(2021, 1, 1),
            "event": ["thrombosis", "hepatotoxicity", "bone_marrow_fibrosis"],
            "ctcae_grade": 2,
            "serious": False,
            "course_number": [1, 3, 2],
            "days_from_course_end": None,
        }
    )
    return {
        "courses": COURSES,
        "patient_baseline": baseline,
        "ae_by_course": ae,
        "investigator_comparison": ae.iloc[0:0],
        "patient_treatment_events": ae.iloc[0:0],
    }


def test_the_compared_pair_becomes_courses_1_and_2() -> None:
    frames = comparison_frames(_frames(), 0.7)
    got = frames["courses"][["patient_id", "course_number", "real_course_number", "agent"]]
    assert got.values.tolist() == [
        ["P1", 1, 2, "eltrombopag"],
        ["P1", 2, 3, "romiplostim"],
        ["P1", 3, 4, "eltrombopag"],
        ["P2", 1, 1, "romiplostim"],
        ["P2", 2, 2, "eltrombopag"],
        ["P4", 1, 1, "romiplostim"],
        ["P4", 2, 2, "eltrombopag"],
    ]
    # P1's course-1 adverse event precedes the pair: unattributed; course 3 is comparison 2
    assert frames["ae_by_course"]["course_number"].tolist() == [pd.NA, 2, 2]
    r = frames["retreatment"].set_index("patient_id")
    assert r.loc["P1", "response_similar_or_better"] is True  # NR then R
    assert pd.isna(r.loc["P1", "duration_similar_or_longer"])  # course 1 not a responder
    assert r.loc["P2", "duration_similar_or_longer"] is True  # 60 >= 0.7 x 50
    assert r.loc["P4", "response_similar_or_better"] is False  # CR then R
    assert r.loc["P4", "duration_similar_or_longer"] is True  # 80 >= 70


def test_switch_population_reasons_and_predictors() -> None:
    frames = comparison_frames(_frames(), 0.7)
    tables = DerivedTables(
        courses=frames["courses"],
        patient_baseline=frames["patient_baseline"],
        retreatment=frames["retreatment"],
        ae_by_course=frames["ae_by_course"],
        first_switch=True,
    ).checked()
    population = select_population(tables, 18)
    assert population.flow.order == (
        "no switch",
        "age < 18 at the switch",
        "no platelet count after the first compared course",
    )
    assert population.flow.excluded == {
        "no switch": 1,
        "age < 18 at the switch": 1,
        "no platelet count after the first compared course": 0,
    }
    assert population.patients["patient_id"].tolist() == ["P1", "P4"]
    factors = factor_frame(population.patients)
    assert factors["stop_reason_course1"].tolist() == ["inefficacy", "fluctuation"]
    assert factors["direction"].tolist() == [
        "eltrombopag\u2192romiplostim",
        "romiplostim\u2192eltrombopag",
    ]
    result = switch_analysis(population.courses, ("eltrombopag", "romiplostim"))
    assert [(lv.level, lv.n, lv.responders) for lv in result.by_reason] == [
        ("inefficacy", 1, 1),
        ("fluctuation", 1, 1),
    ]


def test_the_flagship_population_is_not_that_of_the_switch_design() -> None:
    """The same tables without ``first_switch``: the flagship's reasons (age at course 1)."""
    frames = comparison_frames(_frames(), 0.7)
    tables = DerivedTables(
        courses=frames["courses"],
        patient_baseline=frames["patient_baseline"],
        retreatment=frames["retreatment"],
        ae_by_course=frames["ae_by_course"],
    ).checked()
    flow = select_population(tables, 18).flow
    assert flow.order[0] == "< 2 courses"
    assert flow.excluded["age < 18 at course 1"] == 1
