"""Intermediate model ``int_platelet_counts_placed_in_segments`` (``response-criteria.md`` 3–6).

Grain: one row per count day of a patient with a course, dated ``baseline_days`` or less before the
first course start or later, placed in the course segment that holds it (the voiding events before
it are added by ``int_platelet_counts_placed_among_events``). Older counts can play no part in any
rule (they are neither a baseline, nor in a window, nor after a response): in a real cohort, years
of counts precede the first course.

- ``course_number``: the latest course started strictly before the count: a count belongs to the
  segment (start_k, start_{k+1}], so a count on a course's start day is "taken before it"
  (sections 3 and 4). Counts up to the first start are in segment 0.
- ``closes_segment``: the count is the last of its segment, so the latest count on or before the
  next course start (that course's baseline candidate, section 3).
- ``next_count_date`` / ``next_platelets``: the patient's next count day and its value (the
  neighbour of a count for loss, section 6); ``previous_count_date``: the day of the count before.
- ``platelets``: the day's lowest count, when a day has several (section 4).

How: the courses are few (about 2 per patient) and the counts many (about 50), so each count is
joined to the course segment that holds it (an equi-join on the patient with a date range). Only
one window runs on the counts, ordered by day then count: it gives the previous and next count
and, at once, which count is a day's lowest (the first of its day). A day with several counts is
rare; its lowest count takes the next day from the day's last count (``_collapsed_to_days``). A
separate same-day window over every count sorted 50 million rows once more (a third of this
model's time at a million patients).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive._common import PATIENT_KEY, plus_days


def _course_segments(courses: ir.Table, criteria: Criteria) -> ir.Table:
    """Per course: the segment (``segment_from``, ``segment_to``] of the counts it holds; and a
    segment 0 per patient for the counts of the ``baseline_days`` up to the first start."""
    # course_number breaks ties of exposure courses started on one day (the first one's segment
    # is then empty); infusion courses never share a start
    order = ibis.window(group_by=list(PATIENT_KEY), order_by=["start_date", "course_number"])
    segments = courses.select(
        *PATIENT_KEY,
        "course_number",
        segment_from=courses.start_date,
        segment_to=courses.start_date.lead().over(order),
    )
    first = courses.filter(courses.course_number == 1)
    before_first = first.select(
        *PATIENT_KEY,
        course_number=ibis.literal(0, "int32"),
        segment_from=plus_days(first.start_date, -criteria.baseline_days - 1),
        segment_to=first.start_date,
    )
    return before_first.union(segments)


def _collapsed_to_days(placed: ir.Table) -> ir.Table:
    """One row per count day of ``placed``: the day's lowest count, the previous and the next day.

    In the order (day, count), the first count of a day is its lowest: it keeps its own lag (the
    previous day). Its lead is the next day only when the day has no other count; otherwise the
    day's last count holds the next day (and that day's lowest count), and is joined back.
    """
    order = ibis.window(group_by=list(PATIENT_KEY), order_by=["count_date", "platelets"])
    ordered = placed.mutate(
        previous_count_date=placed.count_date.lag().over(order),
        next_count_date=placed.count_date.lead().over(order),
        next_platelets=placed.platelets.lead().over(order),
    )
    first_of_day = ordered.previous_count_date.isnull() | (
        ordered.previous_count_date != ordered.count_date
    )
    last_of_day = ordered.next_count_date.isnull() | (ordered.next_count_date != ordered.count_date)
    lowest = ordered.filter(first_of_day)
    day_ends = ordered.filter(last_of_day & ~first_of_day).select(
        *PATIENT_KEY,
        "count_date",
        day_end_next_date=ordered.next_count_date,
        day_end_next_platelets=ordered.next_platelets,
        shared_day=ibis.literal(True),
    )
    joined = lowest.left_join(
        day_ends,
        [lowest.patient_key == day_ends.patient_key, lowest.count_date == day_ends.count_date],
    )
    shared_day = joined.shared_day.notnull()
    return joined.select(
        *PATIENT_KEY,
        "count_date",
        "platelets",
        "course_number",
        "segment_to",
        "previous_count_date",
        next_count_date=ibis.ifelse(shared_day, joined.day_end_next_date, joined.next_count_date),
        next_platelets=ibis.ifelse(
            shared_day, joined.day_end_next_platelets, joined.next_platelets
        ),
    )


def int_platelet_counts_placed_in_segments(
    counts: ir.Table, courses: ir.Table, criteria: Criteria
) -> ir.Table:
    """Count days from the first course on with their course segment and neighbouring counts."""
    segments = _course_segments(courses, criteria)
    c, s = counts, segments
    placed = c.join(
        s,
        [
            c.patient_key == s.patient_key,
            c.count_date > s.segment_from,
            s.segment_to.isnull() | (c.count_date <= s.segment_to),
        ],
    ).select(c.patient_key, c.count_date, c.platelets, s.course_number, s.segment_to)
    days = _collapsed_to_days(placed)
    closes_segment = days.segment_to.notnull() & (
        days.next_count_date.isnull() | (days.next_count_date > days.segment_to)
    )
    return days.select(
        *PATIENT_KEY,
        "count_date",
        "platelets",
        "course_number",
        "next_count_date",
        "next_platelets",
        "previous_count_date",
        closes_segment=closes_segment,
    )
