"""Intermediate model ``int_courses_responses`` (``response-criteria.md`` section 5).

Grain: one row per course (of the protocol's agents).

Best response in the order CR > R > NR > NE: ``CR`` if a CR run confirms, else ``R`` if an R run
confirms, else ``NE`` when the window holds fewer than 2 usable counts, else ``NR`` (two or more
usable counts that never span more than ``confirm_days`` give NR). ``response_date`` is the first
count of the earliest confirming run of the best level reached (for a CR course, the CR run, even
when an R run confirmed earlier).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.derive._common import COURSE_KEY, join_on


def int_courses_responses(courses: ir.Table, runs: ir.Table) -> ir.Table:
    """Per course: ``response``, ``response_date`` and ``n_usable_counts`` (section 5)."""
    reached = runs.group_by(*COURSE_KEY).aggregate(
        n_usable_counts=runs.count(),
        r_date=runs.r_run_start.min(where=runs.r_confirms),
        cr_date=runs.cr_run_start.min(where=runs.cr_confirms),
    )
    joined = join_on(courses.select(*COURSE_KEY), reached, COURSE_KEY)
    n_usable = joined.n_usable_counts.fill_null(0)
    response = ibis.cases(
        (joined.cr_date.notnull(), "CR"),
        (joined.r_date.notnull(), "R"),
        (n_usable < 2, "NE"),
        else_="NR",
    )
    return joined.select(
        *COURSE_KEY,
        response=response,
        response_date=ibis.cases(
            (joined.cr_date.notnull(), joined.cr_date),
            else_=joined.r_date,
        ),
        n_usable_counts=n_usable.cast("int64"),
    )
