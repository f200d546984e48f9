"""Intermediate model ``int_exposure_courses_windowed`` (``protocols.md``, exposure rule 7).

Grain: one row per exposure course.

The assessment window holds the days after ``start_date`` up to and including ``window_end``, the
earliest of section 4's bounds (start + ``response_window_days``, the next course start, the first
new ITP treatment for the course, ``last_followup_date``, ``death_date``) and the course's end
(after any cut) + ``exposure_effect_days``; every bound inclusive. A ``same_day_start`` course
ends its window on its start day (the next course starts then): it is empty.

The ``cut_by_*`` columns are those of ``int_courses_windowed`` (the date ended the window before
start + ``response_window_days``); the end of the drug's effect is not a flag of its own.
"""

from __future__ import annotations

import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive._common import COURSE_KEY, plus_days
from itpcohort.derive.exposure_rules import ExposureRules
from itpcohort.derive.intermediate.int_courses_windowed import windowed


def int_exposure_courses_windowed(
    courses: ir.Table,
    new_treatments: ir.Table,
    patients: ir.Table,
    criteria: Criteria,
    rules: ExposureRules,
) -> ir.Table:
    """Per course: ``window_end``, ``censor_date`` and what cut the window (rule 7)."""
    summary = courses.select(*COURSE_KEY, "start_date", "end_date", "next_course_start")
    return windowed(
        summary,
        new_treatments,
        patients,
        criteria,
        lambda joined: plus_days(joined.end_date, rules.exposure_effect_days),
    )
