"""Intermediate model ``int_courses_windowed`` (``response-criteria.md`` sections 4 and 6).

Grain: one row per course (of the protocol's agents).

The assessment window of course k holds the days after ``start_date`` up to and including
``window_end``, the earliest of: start + ``response_window_days``; the start of course k+1; the
first new ITP treatment (``int_treatments_new_for_courses``); ``last_followup_date``; ``death_date``.
``censor_date`` (earliest of last follow-up and death) censors durations (section 6).

The ``cut_by_*`` columns say which dates end the window strictly before start +
``response_window_days`` (several when they fall on the same day); they become the ``window_cut_by_*``
flags of ``courses``.
"""

from __future__ import annotations

from collections.abc import Callable

import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive._common import COURSE_KEY, PATIENT_KEY, earliest, join_on, plus_days


def int_courses_windowed(
    courses: ir.Table, new_treatments: ir.Table, patients: ir.Table, criteria: Criteria
) -> ir.Table:
    """Per course: ``window_end``, ``censor_date`` and what cut the window (section 4)."""
    return windowed(courses, new_treatments, patients, criteria)


def windowed(
    courses: ir.Table,
    new_treatments: ir.Table,
    patients: ir.Table,
    criteria: Criteria,
    more_bounds: Callable[[ir.Table], ir.DateValue] | None = None,
) -> ir.Table:
    """The assessment window of each course (section 4): ``window_end`` is the earliest of the
    section's bounds and, when given, ``more_bounds(joined)`` (a bound of the protocol's own, read
    from the course row joined to its new treatment and patient dates; not a ``cut_by_*`` flag).
    Shared by ``int_courses_windowed`` and ``int_exposure_courses_windowed``."""
    dates = patients.select(*PATIENT_KEY, "last_followup_date", "death_date", "censor_date")
    joined = join_on(join_on(courses, new_treatments, COURSE_KEY), dates, PATIENT_KEY)
    full_end = plus_days(joined.start_date, criteria.response_window_days)
    bounds = [
        full_end,
        joined.next_course_start,
        joined.new_treatment_date,
        joined.last_followup_date,
        joined.death_date,
    ]
    if more_bounds is not None:
        bounds.append(more_bounds(joined))
    window_end = earliest(*bounds)

    def cuts(date: ir.DateValue) -> ir.BooleanValue:
        return ((date == window_end) & (date < full_end)).fill_null(False)

    return joined.select(
        *COURSE_KEY,
        "start_date",
        "end_date",
        "next_course_start",
        "new_treatment_date",
        "censor_date",
        "death_date",
        window_end=window_end,
        cut_by_next_course=cuts(joined.next_course_start),
        cut_by_treatment=cuts(joined.new_treatment_date),
        cut_by_followup=cuts(joined.last_followup_date),
        cut_by_death=cuts(joined.death_date),
    )
