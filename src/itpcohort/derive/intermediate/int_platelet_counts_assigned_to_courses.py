"""Intermediate model ``int_platelet_counts_assigned_to_courses`` (``response-criteria.md`` 4–6).

Grain: one row per count day dated after the first course start, with the course whose segment
(start_k, start_{k+1}] holds it. Windows of successive courses never overlap (a window ends at the
latest on the next course start), so a count can qualify a response only for its segment's course,
and a loss after a course's response found in a later segment comes after the next course start,
itself a loss event: one equi-join per count suffices.

Columns:

- ``is_usable`` (section 4): dated after the course start, on or before ``window_end`` and outside
  every rescue exclusion interval.
- ``qualifies_cr``: count >= ``cr_threshold``. ``qualifies_r``: qualifies for CR, or count >=
  ``r_threshold`` and >= ``r_fold`` × baseline (fold dropped when the baseline is missing), section 5.
- ``starts_r_loss`` / ``starts_cr_loss`` (section 6): this count and the patient's next count
  (no count between them, any window or course) both fail to qualify for R (resp. for CR, i.e. are
  below the CR threshold) and are more than ``loss_confirm_days`` apart; the loss is dated at this
  count. Rescue exclusion does not apply to loss.
"""

from __future__ import annotations

import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive._common import (
    COURSE_KEY,
    PATIENT_KEY,
    PRODUCT_TOLERANCE,
    days_between,
    join_on,
)


def _qualifies_r(
    platelets: ir.FloatingValue, baseline: ir.FloatingValue, criteria: Criteria
) -> ir.BooleanValue:
    fold_ok = baseline.isnull() | (platelets >= criteria.r_fold * baseline - PRODUCT_TOLERANCE)
    return (platelets >= criteria.cr_threshold) | ((platelets >= criteria.r_threshold) & fold_ok)


def int_platelet_counts_assigned_to_courses(
    timeline: ir.Table, windows: ir.Table, baselines: ir.Table, criteria: Criteria
) -> ir.Table:
    """Counts with their course, usability, qualification levels and loss-pair starts."""
    counts = timeline.filter((timeline.kind == 1) & (timeline.segment_course > 0)).select(
        *PATIENT_KEY,
        "next_count_date",
        "next_platelets",
        "events_through",
        "events_before",
        "excluded_until",
        "platelets",
        course_number="segment_course",
        count_date="entry_date",
    )
    course = join_on(
        windows.select(*COURSE_KEY, "start_date", "window_end"),
        baselines.select(*COURSE_KEY, "baseline_platelets"),
        COURSE_KEY,
        how="inner",
    )
    c = join_on(counts, course, COURSE_KEY, how="inner")
    in_exclusion = (c.excluded_until >= c.count_date).fill_null(False)
    is_usable = (c.count_date > c.start_date) & (c.count_date <= c.window_end) & ~in_exclusion
    qualifies_r = _qualifies_r(c.platelets, c.baseline_platelets, criteria)
    next_qualifies_r = _qualifies_r(c.next_platelets, c.baseline_platelets, criteria)
    loss_pair = c.next_count_date.notnull() & (
        days_between(c.next_count_date, c.count_date) > criteria.loss_confirm_days
    )
    return c.select(
        *COURSE_KEY,
        "count_date",
        "platelets",
        "events_through",
        "events_before",
        is_usable=is_usable.fill_null(False),
        qualifies_r=qualifies_r,
        qualifies_cr=c.platelets >= criteria.cr_threshold,
        starts_r_loss=(loss_pair & ~qualifies_r & ~next_qualifies_r).fill_null(False),
        starts_cr_loss=(
            loss_pair
            & (c.platelets < criteria.cr_threshold)
            & (c.next_platelets < criteria.cr_threshold)
        ).fill_null(False),
    )
