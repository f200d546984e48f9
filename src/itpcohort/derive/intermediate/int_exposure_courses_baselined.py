"""Intermediate model ``int_exposure_courses_baselined`` (``protocols.md``, exposure rule 6).

Grain: one row per exposure course.

A course that starts on or before the previous course's end (after any cut) +
``exposure_effect_days`` keeps the previous course's baseline and is flagged
``is_baseline_carried``: a count taken on the previous drug is not a pre-treatment baseline.
Through a chain of such courses the baseline of the chain's first course is carried (missing stays
missing). Any other course keeps its own baseline (``int_courses_baselined``, section 3).

Gaps and islands: each course not carried starts a chain (running sum over courses); every course
of a chain takes the baseline of the chain's one uncarried course. ``first_count_after_start``
stays the course's own (section 3's model).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.derive._common import COURSE_KEY, PATIENT_KEY, as_int, join_on, plus_days
from itpcohort.derive.exposure_rules import ExposureRules


def int_exposure_courses_baselined(
    courses: ir.Table, own: ir.Table, rules: ExposureRules
) -> ir.Table:
    """Per course: the baseline, carried across switches under effect (rule 6)."""
    t = join_on(courses.select(*COURSE_KEY, "start_date", "end_date"), own, COURSE_KEY)
    order = ibis.window(group_by=list(PATIENT_KEY), order_by="course_number")
    previous_end = t.end_date.lag().over(order)
    carried = t.mutate(
        is_baseline_carried=(
            t.start_date <= plus_days(previous_end, rules.exposure_effect_days)
        ).fill_null(False)
    )
    running = ibis.window(group_by=list(PATIENT_KEY), order_by="course_number", rows=(None, 0))
    chained = carried.mutate(chain=as_int(~carried.is_baseline_carried).sum().over(running))
    chain = ibis.window(group_by=[*PATIENT_KEY, "chain"])
    c = chained

    def of_chain_start(column: ir.Value) -> ir.Value:
        return (
            ibis.ifelse(c.is_baseline_carried, ibis.null(column.type()), column).max().over(chain)
        )

    return c.select(
        *COURSE_KEY,
        baseline_date=of_chain_start(c.baseline_date),
        baseline_platelets=of_chain_start(c.baseline_platelets),
        first_count_after_start=c.first_count_after_start,
        is_baseline_carried=c.is_baseline_carried,
    )
