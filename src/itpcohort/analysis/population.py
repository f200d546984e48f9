"""The study population and its flow diagram (``flagship-study.md``, Population).

Screened patients are the patients of ``patient_baseline`` (every patient with at least one
course of the protocol). A patient is included when all hold: at least 2 courses; age at course 1
(completed years) at least ``min_age``; a platelet count dated after the course-1 start (inside or
outside the response window, ``has_count_after_course1``).

Each excluded patient is counted once, under the **first** reason that holds in this order:
``< 2 courses``, ``age < 18 at course 1``, ``no platelet count after course 1``. The order goes
from what defines a retreatment study (a second course) to who is eligible (age) to whether the
data allow an assessment (a count), the usual order of a CONSORT-style flow; the number of
patients meeting each reason whatever the others (``excluded_any``) is reported too, so no
information is lost by the ordering. A patient whose age at course 1 is unknown is excluded as
``age unknown at course 1`` (shown only when it happens).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from itpcohort.analysis.tables import AnalysisInputError, DerivedTables

KEY = ["center", "patient_id"]
MONTH_DAYS = 365.25 / 12
REASON_COURSES = "< 2 courses"
REASON_NO_COUNT = "no platelet count after course 1"
REASON_AGE_UNKNOWN = "age unknown at course 1"


def age_reason(min_age: int) -> str:
    """The exclusion reason for age, with the configured minimum age (``age < 18 at course 1``)."""
    return f"age < {min_age} at course 1"


def exclusion_order(min_age: int) -> tuple[str, ...]:
    """Exclusion reasons in the order they are applied (the first that holds is counted)."""
    return (REASON_COURSES, age_reason(min_age), REASON_AGE_UNKNOWN, REASON_NO_COUNT)


@dataclass(frozen=True)
class Flow:
    """Patients screened, included, and excluded by reason (first reason that holds)."""

    screened: int
    included: int
    excluded: dict[str, int]
    excluded_any: dict[str, int]
    order: tuple[str, ...]


@dataclass(frozen=True)
class Population:
    """The included patients as one wide frame, their courses, and the flow that led to them.

    ``patients`` has one row per included patient, sorted by center and patient id, with the
    baseline columns, ``<column>_c1`` and ``<column>_c2`` copies of the course-1 and course-2
    columns, and the ``retreatment`` columns. ``courses`` holds every course of those patients.
    """

    patients: pd.DataFrame
    courses: pd.DataFrame
    flow: Flow
    retreatment: pd.DataFrame


COURSE_WIDE_COLUMNS = (
    "start_date",
    "regimen",
    "age_at_course",
    "itp_phase",
    "prior_lines",
    "splenectomy_before",
    "baseline_platelets",
    "response",
    "time_to_response_days",
    "duration_days",
    "duration_censored",
    "cr_duration_days",
    "cr_duration_censored",
)

#: the columns of an exposure course copied as well (``protocols.md``, Exposure courses)
EXPOSURE_WIDE_COLUMNS = ("agent", "stop_reason", "real_course_number", "end_date")


def patient_keys(*frames: pd.DataFrame) -> list[np.ndarray]:
    """One integer per row of each of ``frames`` naming its patient (``KEY``: center, patient
    id), the same numbering across the frames: equal patients get equal numbers, and numbers
    sort as the keys do. Joins on them hash integers, not two text columns at a time (at
    200,000 patients, ``select_population`` merged text keys 8 times: 2 s)."""
    keys = np.zeros(sum(len(frame) for frame in frames), dtype=np.int64)
    for column in KEY:
        values = pd.concat([frame[column] for frame in frames], ignore_index=True)
        codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=False)
        keys = keys * len(uniques) + codes
    bounds = np.cumsum([0, *(len(frame) for frame in frames)])
    return [keys[start:stop] for start, stop in itertools.pairwise(bounds)]


def _first_duplicate(*columns: np.ndarray) -> int | None:
    """The row of the first key (one value from each of ``columns``) seen before (None when
    every key is unique)."""
    seen = pd.DataFrame(dict(enumerate(columns))).duplicated().to_numpy()
    return int(np.argmax(seen)) if seen.any() else None


def patient_frame(tables: DerivedTables) -> pd.DataFrame:
    """One row per screened patient: baseline, course 1 and course 2 columns, number of courses.

    Raises ``AnalysisInputError`` when the tables disagree on who the patients are (a course of a
    patient absent from ``patient_baseline``, a duplicated patient or course).
    """
    baseline = tables.patient_baseline
    courses = tables.courses
    baseline_key, course_key = patient_keys(baseline, courses)
    dup = _first_duplicate(baseline_key)
    if dup is not None:
        row = baseline.iloc[dup]
        raise AnalysisInputError(
            f"patient_baseline: patient {row['center']}/{row['patient_id']} appears twice"
        )
    numbers = courses["course_number"].to_numpy()
    dup = _first_duplicate(course_key, numbers)
    if dup is not None:
        row = courses.iloc[dup]
        raise AnalysisInputError(
            f"courses: course {row['course_number']} of {row['center']}/{row['patient_id']} "
            "appears twice"
        )
    orphans = np.flatnonzero(~np.isin(course_key, baseline_key))
    if len(orphans):
        row = courses.iloc[orphans[0]]
        raise AnalysisInputError(
            f"courses: patient {row['center']}/{row['patient_id']} has courses but no row in "
            "patient_baseline"
        )

    order = np.argsort(baseline_key, kind="stable")
    wide = baseline.take(order).reset_index(drop=True)
    wide_key = pd.Index(baseline_key[order])
    counts = np.bincount(wide_key.get_indexer(course_key), minlength=len(wide))
    wide["n_courses_derived"] = counts.astype(int)
    # exposure courses (protocols.md) add their agent and stop reason
    wide_columns = [
        *COURSE_WIDE_COLUMNS,
        *(c for c in EXPOSURE_WIDE_COLUMNS if c in courses.columns),
    ]
    added = {}
    for number in (1, 2):
        chosen = np.flatnonzero(numbers == number)
        # the row of each patient's course ``number`` among the chosen ones (-1: none)
        at = np.full(len(wide), -1, dtype=np.int64)
        at[wide_key.get_indexer(course_key[chosen])] = np.arange(len(chosen))
        for column in wide_columns:
            series = courses[column]
            values = (
                series.array.take(chosen)
                if isinstance(series.dtype, pd.api.extensions.ExtensionDtype)
                else series.to_numpy()[chosen]
            )
            # missing courses filled as a left merge fills them (NaN, NaT or NA by dtype)
            added[f"{column}_c{number}"] = pd.api.extensions.take(values, at, allow_fill=True)
    return pd.concat([wide, pd.DataFrame(added, index=wide.index)], axis=1)


#: the exclusion reasons of the ``first_switch`` design (``protocols.md``, The tpo-ra-switch
#: analysis plan), in the order they are applied
SWITCH_REASON_NO_SWITCH = "no switch"
SWITCH_REASON_AGE_UNKNOWN = "age unknown at the switch"
SWITCH_REASON_NO_COUNT = "no platelet count after the first compared course"


def switch_age_reason(min_age: int) -> str:
    """The exclusion reason for age under the ``first_switch`` design (``age < 18 at the switch``)."""
    return f"age < {min_age} at the switch"


def select_population(tables: DerivedTables, min_age: int) -> Population:
    """Apply the inclusion criteria to the screened patients and count every exclusion by reason.

    Under the ``first_switch`` design (``tables.first_switch``; ``protocols.md``, The tpo-ra-switch
    analysis plan) the reasons are ``no switch``, ``age < 18 at the switch`` (age at course *s*,
    course 2 of the comparison), ``age unknown at the switch`` and ``no platelet count after the
    first compared course``. Reading: that last one is ``patient_baseline``'s count after the start
    of the patient's first course (the compared course 1 is that course for most patients).
    """
    wide = patient_frame(tables)
    has_count = wide["has_count_after_course1"].fillna(False).astype(bool)
    order: tuple[str, ...]
    if tables.first_switch:
        age = wide["age_at_course_c2"]
        order = (
            SWITCH_REASON_NO_SWITCH,
            switch_age_reason(min_age),
            SWITCH_REASON_AGE_UNKNOWN,
            SWITCH_REASON_NO_COUNT,
        )
    else:
        age = wide["age_at_course_c1"]
        order = exclusion_order(min_age)
    conditions = (
        wide["n_courses_derived"] < 2,
        age.notna() & (age < min_age),
        age.isna(),
        ~has_count,
    )
    reasons = dict(zip(order, conditions, strict=True))
    age_unknown = order[2]
    excluded_so_far = pd.Series(False, index=wide.index)
    first_reason_counts: dict[str, int] = {}
    for reason in order:
        first = reasons[reason] & ~excluded_so_far
        first_reason_counts[reason] = int(first.sum())
        excluded_so_far |= reasons[reason]
    shown = [r for r in order if r != age_unknown or first_reason_counts[r] > 0]
    flow = Flow(
        screened=len(wide),
        included=int((~excluded_so_far).sum()),
        excluded={r: first_reason_counts[r] for r in shown},
        excluded_any={r: int(reasons[r].sum()) for r in shown},
        order=tuple(shown),
    )
    included = wide[~excluded_so_far].reset_index(drop=True)
    included_key, retreatment_key, course_key = patient_keys(
        included, tables.retreatment, tables.courses
    )
    dup = _first_duplicate(retreatment_key)
    if dup is not None:
        row = tables.retreatment.iloc[dup]
        raise AnalysisInputError(
            f"retreatment: patient {row['center']}/{row['patient_id']} appears twice"
        )
    # the included patients' rows, sorted as the patients are (by center and patient id)
    kept = np.flatnonzero(np.isin(retreatment_key, included_key))
    kept = kept[np.argsort(retreatment_key[kept], kind="stable")]
    retreatment = tables.retreatment.take(kept).reset_index(drop=True)
    at = pd.Index(retreatment_key[kept]).get_indexer(included_key)
    if (at < 0).any():
        row = included.iloc[int(np.argmax(at < 0))]
        raise AnalysisInputError(
            f"retreatment: included patient {row['center']}/{row['patient_id']} (2 courses or "
            "more) has no row"
        )
    added = [c for c in retreatment.columns if c not in included]
    patients = pd.concat([included, retreatment[added].take(at).set_axis(included.index)], axis=1)
    numbers = tables.courses["course_number"].to_numpy()
    chosen = np.flatnonzero(np.isin(course_key, included_key))
    chosen = chosen[np.lexsort((numbers[chosen], course_key[chosen]))]
    courses = tables.courses.take(chosen).reset_index(drop=True)
    return Population(patients=patients, courses=courses, flow=flow, retreatment=retreatment)


def drop_patients_with_ne(population: Population, courses: tuple[int, ...] = (1, 2)) -> Population:
    """The population without patients whose response is ``NE`` at any of ``courses``.

    Used by the ``ne_excluded`` sensitivity run. Only courses 1 and 2 are looked at by default: they
    are the courses every outcome of the plan compares, and dropping a patient for an NE course 3
    would remove information without changing what the analysis measures.
    """
    patients = population.patients
    has_ne = pd.Series(False, index=patients.index)
    for number in courses:
        has_ne |= patients[f"response_c{number}"].eq("NE").fillna(False).astype(bool)
    kept = patients[~has_ne].reset_index(drop=True)
    reason = "NE at course " + " or ".join(str(c) for c in courses)
    flow = population.flow
    new_flow = Flow(
        screened=flow.screened,
        included=len(kept),
        excluded={**flow.excluded, reason: int(has_ne.sum())},
        excluded_any={**flow.excluded_any, reason: int(has_ne.sum())},
        order=(*flow.order, reason),
    )
    kept_key, course_key, retreatment_key = patient_keys(
        kept, population.courses, population.retreatment
    )
    courses = population.courses[np.isin(course_key, kept_key)].reset_index(drop=True)
    retreatment = population.retreatment[np.isin(retreatment_key, kept_key)]
    return Population(
        patients=kept,
        courses=courses,
        flow=new_flow,
        retreatment=retreatment.reset_index(drop=True),
    )
