"""Intermediate model ``int_courses_baselined`` (``response-criteria.md`` section 3).

Grain: one row per course (of the protocol's agents).

The baseline count is the last count dated in [start_date − ``baseline_days``, start_date]; a count
on ``start_date`` is pre-infusion. When there is none, ``baseline_date`` and ``baseline_platelets``
are NULL (the course is then flagged ``no_baseline``). Every count is used (rescue exclusion does
not apply to the baseline, section 6), after same-day collapse.

The latest count on or before a course's start is the last count of the latest non-empty segment
before it (``int_platelet_counts_placed_in_segments``: segment j holds (start_j, start_{j+1}], and
segment 0 the ``baseline_days`` up to the first start). It is the baseline when it is no older than
``baseline_days``. ``first_count_after_start`` is the first count dated after the start, inside
the window or not: the count after that latest count, or the patient's first count when there is
none before the start.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive._common import COURSE_KEY, PATIENT_KEY, days_between, join_on


def _latest_counts_up_to_start(courses: ir.Table, placed: ir.Table) -> ir.Table:
    """Per course with a count on or before its start: the latest one and the count after it."""
    lasts = placed.filter(placed.closes_segment)
    k = courses.select(*COURSE_KEY)
    candidates = k.join(
        lasts,
        [k.patient_key == lasts.patient_key, lasts.course_number < k.course_number],
    ).select(
        k.patient_key, k.course_number, lasts.count_date, lasts.platelets, lasts.next_count_date
    )
    # count days are unique per patient: the latest candidate is one row
    return candidates.group_by(*COURSE_KEY).aggregate(
        last_count_date=candidates.count_date.max(),
        last_platelets=candidates.platelets.argmax(candidates.count_date),
        count_after_last=candidates.next_count_date.argmax(candidates.count_date),
    )


def within_baseline(
    start_date: ir.DateValue, count_date: ir.DateValue, criteria: Criteria
) -> ir.BooleanValue:
    """Whether a count dated ``count_date`` is in the baseline range of a course starting on
    ``start_date``: [start_date − ``baseline_days``, start_date] (``response-criteria.md`` section 3)."""
    days = days_between(start_date, count_date)
    return (days >= 0) & (days <= criteria.baseline_days)


def int_courses_baselined(courses: ir.Table, placed: ir.Table, criteria: Criteria) -> ir.Table:
    """Per course: ``baseline_date`` and ``baseline_platelets`` (NULL when none in range)."""
    firsts = placed.filter(placed.previous_count_date.isnull()).select(
        *PATIENT_KEY, first_count="count_date"
    )
    dated = join_on(courses.select(*COURSE_KEY, "start_date"), firsts, PATIENT_KEY)
    dated = join_on(dated, _latest_counts_up_to_start(courses, placed), COURSE_KEY)
    # the latest count is on or before the start: in range when no older than baseline_days
    in_range = within_baseline(dated.start_date, dated.last_count_date, criteria).fill_null(False)
    return dated.select(
        *COURSE_KEY,
        baseline_date=ibis.ifelse(in_range, dated.last_count_date, ibis.null("date")),
        baseline_platelets=ibis.ifelse(in_range, dated.last_platelets, ibis.null("float64")),
        first_count_after_start=ibis.ifelse(
            dated.last_count_date.isnull(), dated.first_count, dated.count_after_last
        ),
    )
