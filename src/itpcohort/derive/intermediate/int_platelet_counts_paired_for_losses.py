"""Intermediate model ``int_platelet_counts_paired_for_losses`` (``response-criteria.md`` section 6).

Grain: one row per count of a responding course, dated after its ``response_date``, that is the
first of a loss pair for R or for CR.

A loss pair is this count and the patient's next count (no count between them, whatever window or
course it falls in) both failing to qualify for R with this course's baseline (``starts_r_loss``),
or both below the CR threshold (``starts_cr_loss``), and more than ``loss_confirm_days`` apart; the
loss is dated at this count. All counts after the response are used, in or after the window, and
rescue exclusion does not apply. Only counts below the CR threshold can start a pair (failing R
implies being below CR). The next count's value comes with each count (``next_platelets``).
"""

from __future__ import annotations

import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive._common import COURSE_KEY, days_between, join_on
from itpcohort.derive.intermediate.int_platelet_counts_assigned_to_courses import qualifies_r


def int_platelet_counts_paired_for_losses(
    assigned: ir.Table, responses: ir.Table, criteria: Criteria
) -> ir.Table:
    """Counts after a response that start a pair of non-qualifying counts (section 6)."""
    responders = responses.filter(responses.response.isin(("CR", "R"))).select(
        *COURSE_KEY, "response_date"
    )
    low = assigned.filter(
        (assigned.platelets < criteria.cr_threshold)
        & (days_between(assigned.next_count_date, assigned.count_date) > criteria.loss_confirm_days)
    )
    after = join_on(low, responders, COURSE_KEY, how="inner")
    pairs = after.filter(after.count_date > after.response_date)
    starts_r = ~qualifies_r(pairs.platelets, pairs.baseline_platelets, criteria) & ~qualifies_r(
        pairs.next_platelets, pairs.baseline_platelets, criteria
    )
    starts_cr = pairs.next_platelets < criteria.cr_threshold
    return pairs.select(
        *COURSE_KEY, "count_date", starts_r_loss=starts_r, starts_cr_loss=starts_cr
    ).filter(lambda t: t.starts_r_loss | t.starts_cr_loss)
