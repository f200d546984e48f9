"""Intermediate model ``int_infusions_grouped_to_courses`` (``response-criteria.md`` section 1).

Grain: one row per administration of one of the protocol's agents (``Criteria.courses.agents``;
``protocols.md``, Infusion courses), with the number of the course it belongs to.

Gaps and islands (the Circe era algorithm without padding): an administration starts a new course
when it is the patient's first or follows the previous one by more than ``course_gap_days``; the
running sum of those starts numbers the courses from 1 in date order. Administrations on one date
(gap 0) always share a course. The gap is measured between administration dates (``start_date``);
an administration's ``end_date`` plays no part in courses.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive._common import PATIENT_KEY, as_int, days_between


def opens_course(
    date: ir.DateValue, previous_date: ir.DateValue, criteria: Criteria
) -> ir.BooleanValue:
    """Whether a rituximab administration on ``date`` opens a course: it is the patient's first
    (``previous_date`` NULL) or comes more than ``course_gap_days`` after the previous one
    (``response-criteria.md`` section 1)."""
    return previous_date.isnull() | (days_between(date, previous_date) > criteria.course_gap_days)


def int_infusions_grouped_to_courses(treatments: ir.Table, criteria: Criteria) -> ir.Table:
    """Administrations of the protocol's agents numbered into courses by ``course_gap_days``."""
    infusions = treatments.filter(treatments.drug.isin(criteria.courses.agents)).select(
        *PATIENT_KEY, "dose", "dose_unit", infusion_date=treatments.start_date
    )
    by_date = ibis.window(group_by=list(PATIENT_KEY), order_by="infusion_date")
    previous_date = infusions.infusion_date.lag().over(by_date)
    with_gaps = infusions.mutate(
        starts_course=opens_course(infusions.infusion_date, previous_date, criteria)
    )
    # RANGE frame: administrations on one date are peers and get the same running sum, whichever
    # of them the lag above happened to see first (a ROWS frame would split a same-day pair).
    running = ibis.window(group_by=list(PATIENT_KEY), order_by="infusion_date", range=(None, 0))
    return with_gaps.select(
        *PATIENT_KEY,
        "infusion_date",
        "dose",
        "dose_unit",
        course_number=as_int(with_gaps.starts_course).sum().over(running).cast("int32"),
    )
