"""Intermediate model ``int_usable_counts_grouped_to_runs`` (``response-criteria.md`` section 5).

Grain: one row per usable count of a course (see ``int_platelet_counts_assigned_to_courses``).

Gaps and islands over qualifying counts, once per level (R, CR). A run must be consecutive usable
counts all qualifying for the level, with no voiding event (qualifying bleed, rescue start) dated
from its first to its last count inclusive. Since any run has at least two counts, that is the same
as: every link between two consecutive usable counts p, c of the run has no event in [p, c]
(``events_through(c) − events_before(p) = 0``). An island (maximal such stretch) starts at a
qualifying count whose link to the previous usable count is broken or whose previous count does
not qualify. Every run lies inside one island and an island is itself a run, so a level is reached
when some count lies more than ``confirm_days`` after its island's first count, and the earliest
confirming run starts at the earliest such island start. ``<level>_run_start`` is the first count
date of the row's island (for qualifying rows); ``<level>_confirms`` marks rows that confirm it.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive._common import COURSE_KEY, PATIENT_KEY, days_between


def int_usable_counts_grouped_to_runs(counts: ir.Table, criteria: Criteria) -> ir.Table:
    """Usable counts with the island start and confirmation of each level (section 5)."""
    # only what the windows read: DuckDB sorts every column a window's input carries
    usable = counts.filter(counts.is_usable).select(
        *COURSE_KEY, "count_date", "events_through", "events_before", "qualifies_r", "qualifies_cr"
    )
    order = ibis.window(group_by=list(COURSE_KEY), order_by="count_date")
    linked = (usable.events_through - usable.events_before.lag().over(order)) == 0
    with_links = usable.mutate(
        is_linked=linked.fill_null(False),
        previous_qualifies_r=usable.qualifies_r.lag().over(order).fill_null(False),
        previous_qualifies_cr=usable.qualifies_cr.lag().over(order).fill_null(False),
    )
    t = with_links
    running = ibis.cumulative_window(group_by=list(COURSE_KEY), order_by="count_date")
    columns: dict[str, ir.Value] = {}
    for level in ("r", "cr"):
        qualifies = t[f"qualifies_{level}"]
        starts_island = qualifies & ~(t.is_linked & t[f"previous_qualifies_{level}"])
        columns[f"{level}_run_start"] = (
            ibis.ifelse(starts_island, t.count_date, ibis.null("date")).max().over(running)
        )
    runs = t.mutate(**columns)
    return runs.select(
        *PATIENT_KEY,
        "course_number",
        "count_date",
        "r_run_start",
        "cr_run_start",
        r_confirms=(
            runs.qualifies_r
            & (days_between(runs.count_date, runs.r_run_start) > criteria.confirm_days)
        ).fill_null(False),
        cr_confirms=(
            runs.qualifies_cr
            & (days_between(runs.count_date, runs.cr_run_start) > criteria.confirm_days)
        ).fill_null(False),
    )
