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
  The fold product is compared with a 1e-9 tolerance, so a count equal to it in decimal qualifies.
- ``next_count_date`` and ``next_platelets`` (the patient's next count, any course) and
  ``baseline_platelets`` are kept for the loss pairs of ``int_platelet_counts_paired_for_losses``.
"""

from __future__ import annotations

import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive._common import COURSE_KEY, PRODUCT_TOLERANCE, join_on


def qualifies_r(
    platelets: ir.FloatingValue, baseline: ir.FloatingValue, criteria: Criteria
) -> ir.BooleanValue:
    """A count qualifies for R: CR, or >= r_threshold and >= r_fold × baseline (section 5)."""
    fold_ok = baseline.isnull() | (platelets >= criteria.r_fold * baseline - PRODUCT_TOLERANCE)
    return (platelets >= criteria.cr_threshold) | ((platelets >= criteria.r_threshold) & fold_ok)


def int_platelet_counts_assigned_to_courses(
    placed: ir.Table, windows: ir.Table, baselines: ir.Table, criteria: Criteria
) -> ir.Table:
    """Counts with their course, usability and qualification levels (sections 4–5)."""
    course = join_on(
        windows.select(*COURSE_KEY, "start_date", "window_end"),
        baselines.select(*COURSE_KEY, "baseline_platelets"),
        COURSE_KEY,
        how="inner",
    )
    c = join_on(placed, course, COURSE_KEY, how="inner")
    in_exclusion = (c.excluded_until >= c.count_date).fill_null(False)
    is_usable = (c.count_date > c.start_date) & (c.count_date <= c.window_end) & ~in_exclusion
    return c.select(
        *COURSE_KEY,
        "count_date",
        "platelets",
        "baseline_platelets",
        "next_count_date",
        "next_platelets",
        "events_through",
        "events_before",
        is_usable=is_usable.fill_null(False),
        qualifies_r=qualifies_r(c.platelets, c.baseline_platelets, criteria),
        qualifies_cr=c.platelets >= criteria.cr_threshold,
    )
