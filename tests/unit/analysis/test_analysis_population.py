"""Population flow: inclusion criteria, exclusion reasons and their order, input checks."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from itpcohort.analysis import AnalysisInputError, DerivedTables, read_derived_tables
from itpcohort.analysis.population import drop_patients_with_ne, select_population

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "analysis"


@pytest.fixture(scope="module")
def separation() -> DerivedTables:
    return read_derived_tables(FIXTURES / "separation")


def test_each_patient_is_excluded_once_under_the_first_reason(separation: DerivedTables) -> None:
    flow = select_population(separation, 18).flow
    assert flow.screened == 16
    assert flow.included == 12
    # X04 has one course and is 15 at course 1: counted under "< 2 courses" only
    assert flow.excluded == {
        "< 2 courses": 2,
        "age < 18 at course 1": 1,
        "no platelet count after course 1": 1,
    }
    assert flow.excluded_any["age < 18 at course 1"] == 2
    assert flow.screened == flow.included + sum(flow.excluded.values())


def test_min_age_is_configurable_and_names_the_reason(separation: DerivedTables) -> None:
    flow = select_population(separation, 40).flow
    assert "age < 40 at course 1" in flow.excluded
    assert flow.included < 12


def test_unknown_age_is_its_own_reason(separation: DerivedTables) -> None:
    courses = separation.courses.copy()
    courses.loc[
        (courses["patient_id"] == "S01") & (courses["course_number"] == 1), "age_at_course"
    ] = None
    flow = select_population(replace(separation, courses=courses), 18).flow
    assert flow.excluded["age unknown at course 1"] == 1
    assert flow.included == 11


def test_ne_excluded_drops_ne_at_course_1_or_2(separation: DerivedTables) -> None:
    population = drop_patients_with_ne(select_population(separation, 18))
    assert population.flow.excluded["NE at course 1 or 2"] == 2  # S10 (NE course 2), S12 (course 1)
    assert population.flow.included == 10
    assert not population.patients[["response_c1", "response_c2"]].isin(["NE"]).any().any()


def test_missing_column_is_a_clear_error(separation: DerivedTables) -> None:
    broken = replace(separation, courses=separation.courses.drop(columns=["response"]))
    with pytest.raises(AnalysisInputError, match="courses: missing column\\(s\\) response"):
        broken.checked()


def test_unreadable_value_names_table_row_column(separation: DerivedTables) -> None:
    courses = separation.courses.astype({"response": "object"}).copy()
    courses.loc[3, "response"] = "PR"
    with pytest.raises(AnalysisInputError, match="courses: row 3: response: cannot read 'PR'"):
        replace(separation, courses=courses).checked()


def test_tables_that_disagree_on_patients_are_refused(separation: DerivedTables) -> None:
    orphan = pd.concat([separation.courses, separation.courses.iloc[[0]].assign(patient_id="NOPE")])
    with pytest.raises(AnalysisInputError, match="SEP/NOPE has courses but no row"):
        select_population(replace(separation, courses=orphan), 18)
    twice = pd.concat([separation.patient_baseline, separation.patient_baseline.iloc[[0]]])
    with pytest.raises(AnalysisInputError, match="appears twice"):
        select_population(replace(separation, patient_baseline=twice), 18)


def test_a_duplicated_course_or_retreatment_row_or_a_missing_one_is_refused(
    separation: DerivedTables,
) -> None:
    courses = pd.concat([separation.courses, separation.courses.iloc[[2]]])
    row = separation.courses.iloc[2]
    with pytest.raises(
        AnalysisInputError,
        match=f"course {row['course_number']} of {row['center']}/{row['patient_id']} appears",
    ):
        select_population(replace(separation, courses=courses), 18)
    retreatment = separation.retreatment
    twice = pd.concat([retreatment, retreatment.iloc[[1]]])
    first = retreatment.iloc[1]
    with pytest.raises(
        AnalysisInputError,
        match=f"retreatment: patient {first['center']}/{first['patient_id']} appears twice",
    ):
        select_population(replace(separation, retreatment=twice), 18)
    included = select_population(separation, 18).patients.iloc[0]
    without = retreatment[retreatment["patient_id"] != included["patient_id"]]
    with pytest.raises(
        AnalysisInputError,
        match=f"included patient {included['center']}/{included['patient_id']} .* has no row",
    ):
        select_population(replace(separation, retreatment=without), 18)


def test_patients_and_courses_come_sorted_by_center_patient_and_course(
    separation: DerivedTables,
) -> None:
    """Joins on integer patient numbers (``patient_keys``) keep the order of the text keys."""
    shuffled = replace(
        separation,
        courses=separation.courses.sample(frac=1, random_state=3),
        patient_baseline=separation.patient_baseline.sample(frac=1, random_state=4),
        retreatment=separation.retreatment.sample(frac=1, random_state=5),
    )
    population = select_population(shuffled, 18)
    expected = select_population(separation, 18)
    for part in ("patients", "courses", "retreatment"):
        frame = getattr(population, part)
        assert frame.equals(getattr(expected, part)), part
    keys = list(zip(population.patients["center"], population.patients["patient_id"], strict=True))
    assert keys == sorted(keys)
    courses = population.courses
    ordered = list(
        zip(courses["center"], courses["patient_id"], courses["course_number"], strict=True)
    )
    assert ordered == sorted(ordered)


def test_a_duplicate_is_a_repeated_pair_of_patient_and_course_number() -> None:
    """Patient 1's course -3 is not patient 0's course 2, whatever the course numbers hold."""
    from itpcohort.analysis.population import _first_duplicate

    patients = np.array([0, 0, 1, 1])
    assert _first_duplicate(patients, np.array([1, 2, -3, 1])) is None
    assert _first_duplicate(patients, np.array([1, 2, 1, 1])) == 3
    assert _first_duplicate(np.array([5, 7, 5])) == 2
