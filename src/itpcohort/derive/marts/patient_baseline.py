"""Mart ``patient_baseline`` (``response-criteria.md`` section 2; ``flagship-study.md`` Population).

Grain: one row per patient with at least one course.

- ``age_at_diagnosis``, ``age_at_first_rtx``: completed years (floor of days / 365.25), partial
  dates at mid-period.
- ``has_count_after_course1``: any platelet count dated after the course-1 start, inside or outside
  the response window (the flagship exclusion "no platelet count after course 1").
- ``followup_days``: from the course-1 start to the death date when there is one, else to the last
  follow-up date (as the contract states, even when the death is recorded after last follow-up).
"""

from __future__ import annotations

import ibis.expr.types as ir

from itpcohort.derive._common import (
    PATIENT_ID,
    PATIENT_KEY,
    as_declared,
    completed_years,
    days_between,
    join_on,
)
from itpcohort.derived_schema import PATIENT_BASELINE

#: the columns of ``derived/patient_baseline.csv``, in order (``derived_schema.PATIENT_BASELINE``)
PATIENT_BASELINE_COLUMNS: tuple[str, ...] = PATIENT_BASELINE.names


def patient_baseline(patients: ir.Table, summary: ir.Table, baselines: ir.Table) -> ir.Table:
    """One row per patient with a course: characteristics at diagnosis and course 1."""
    per_patient = summary.group_by(*PATIENT_KEY).aggregate(
        n_courses=summary.count(), first_rtx_date=summary.start_date.min()
    )
    first_course = baselines.filter(baselines.course_number == 1).select(
        *PATIENT_KEY, "first_count_after_start"
    )
    t = join_on(join_on(per_patient, patients, PATIENT_KEY), first_course, PATIENT_KEY)
    end = t.death_date.fill_null(t.last_followup_date)
    return as_declared(
        t.select(
            *PATIENT_ID,
            "sex",
            "itp_type",
            "secondary_cause",
            "birth_date",
            "diagnosis_date",
            age_at_diagnosis=completed_years(t.diagnosis_date, t.birth_date),
            first_rtx_date=t.first_rtx_date,
            age_at_first_rtx=completed_years(t.first_rtx_date, t.birth_date),
            n_courses=t.n_courses.cast("int64"),
            has_count_after_course1=t.first_count_after_start.notnull(),
            last_followup_date=t.last_followup_date,
            death_date=t.death_date,
            followup_days=days_between(end, t.first_rtx_date),
        ),
        PATIENT_BASELINE,
    )
