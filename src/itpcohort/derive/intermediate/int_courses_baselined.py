"""Intermediate model ``int_courses_baselined`` (``response-criteria.md`` section 3).

Grain: one row per rituximab course.

The baseline count is the last count dated in [start_date − ``baseline_days``, start_date]; a count
on ``start_date`` is pre-infusion. Since the latest count on or before the start is known from the
ordered timeline, the baseline is that count when it is no older than ``baseline_days``, else
missing (``baseline_platelets`` NULL; the course is then flagged ``no_baseline``). Every count is
used (rescue exclusion does not apply to the baseline, section 6), after same-day collapse.
``first_count_after_start`` is the first count dated after the start, inside the window or not.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive._common import COURSE_KEY, PATIENT_KEY, days_between, join_on
from itpcohort.derive.intermediate.int_patient_timelines_ordered import COURSE_START


def int_courses_baselined(
    courses: ir.Table, timeline: ir.Table, counts: ir.Table, criteria: Criteria
) -> ir.Table:
    """Per course: ``baseline_date`` and ``baseline_platelets`` (NULL when none in range)."""
    starts = timeline.filter(timeline.kind == COURSE_START).select(
        *PATIENT_KEY,
        "course_number",
        "last_count_date",
        first_count_after_start="next_count_date",
    )
    dated = join_on(courses.select(*COURSE_KEY, "start_date"), starts, COURSE_KEY)
    in_range = days_between(dated.start_date, dated.last_count_date) <= criteria.baseline_days
    with_date = dated.select(
        *COURSE_KEY,
        "first_count_after_start",
        baseline_date=ibis.ifelse(in_range, dated.last_count_date, ibis.null("date")),
    )
    values = counts.select(*PATIENT_KEY, baseline_date="count_date", baseline_platelets="platelets")
    joined = join_on(with_date, values, (*PATIENT_KEY, "baseline_date"))
    return joined.select(
        *COURSE_KEY, "baseline_date", "baseline_platelets", "first_count_after_start"
    )
