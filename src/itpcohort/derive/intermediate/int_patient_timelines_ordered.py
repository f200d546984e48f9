"""Intermediate model ``int_patient_timelines_ordered`` (``response-criteria.md`` sections 3–6).

Grain: one row per timeline entry of a patient: an event (``kind`` 0: a qualifying bleed or a rescue
start, from ``int_events_collected_to_days``), a count day (``kind`` 1) or a course start
(``kind`` 2).

One ordered pass per patient replaces every count × event and count × course join with running
aggregates, as an as-of join would. The order is the day; RANGE frames make entries of one day
peers, so "up to and including the day" and "strictly before the day" are two frames of the same
sort rather than a tie-break between entry kinds:

- ``segment_course`` (count rows): the latest course started strictly before the count (0 before
  the first course), so a count belongs to the segment (start_k, start_{k+1}]: a count on a
  course's start day is "taken before it" (sections 3 and 4).
- ``events_through`` / ``events_before``: voiding events dated up to the day, inclusive /
  exclusive. Events in [p, c] = ``events_through``(c) − ``events_before``(p).
- ``excluded_until``: the latest rescue exclusion end among rescues started on or before the day;
  a count is in a rescue exclusion interval when ``excluded_until >= count_date``.
- ``last_count_date``: the latest count dated on or before the day (a course row's baseline
  candidate, section 3); ``next_count_date``: the first count dated strictly after the day (the
  neighbour of a count for loss, section 6; "a count after course 1" for a course-1 row).

Counts of patients without a course, and counts older than ``baseline_days`` before the first
course, can play no part in any rule (they are neither a baseline, nor in a window, nor after a
response), so they are left out before the sort: in a real cohort, years of counts precede
rituximab.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive._common import PATIENT_KEY, day_number, join_on, plus_days

EVENT, COUNT, COURSE_START = 0, 1, 2

#: the columns every timeline entry carries (NULL where an entry kind has no such value)
_ENTRY_TYPES = {
    "platelets": "float64",
    "n_events": "int64",
    "exclusion_end": "date",
    "course_number": "int64",
}


def _entries(table: ir.Table, kind: int, date: ir.DateValue, **columns: ir.Value) -> ir.Table:
    values = {
        name: columns[name].cast(type_) if name in columns else ibis.null(type_)
        for name, type_ in _ENTRY_TYPES.items()
    }
    return table.select(*PATIENT_KEY, entry_date=date, kind=ibis.literal(kind, "int8"), **values)


def int_patient_timelines_ordered(
    counts: ir.Table, event_days: ir.Table, courses: ir.Table, criteria: Criteria
) -> ir.Table:
    """Counts, events and course starts in one per-patient day order, with running aggregates."""
    first_starts = courses.filter(courses.course_number == 1).select(
        *PATIENT_KEY, first_start="start_date"
    )
    relevant = join_on(counts, first_starts, PATIENT_KEY, how="inner")
    relevant = relevant.filter(
        relevant.count_date >= plus_days(relevant.first_start, -criteria.baseline_days)
    )
    timeline = (
        _entries(
            event_days,
            EVENT,
            event_days.event_date,
            n_events=event_days.n_events,
            exclusion_end=event_days.exclusion_end,
        )
        .union(_entries(relevant, COUNT, relevant.count_date, platelets=relevant.platelets))
        .union(
            _entries(courses, COURSE_START, courses.start_date, course_number=courses.course_number)
        )
    )
    t = timeline.mutate(day=day_number(timeline.entry_date))

    def frame(days: tuple[int | None, int | None]) -> ibis.expr.builders.LegacyWindowBuilder:
        return ibis.window(group_by=list(PATIENT_KEY), order_by="day", range=days)

    through, before, after = frame((None, 0)), frame((None, -1)), frame((1, None))
    count_date = ibis.ifelse(t.kind == COUNT, t.entry_date, ibis.null("date"))
    return t.select(
        *PATIENT_KEY,
        "entry_date",
        "kind",
        "platelets",
        "course_number",
        segment_course=t.course_number.max().over(before).fill_null(0),
        events_through=t.n_events.sum().over(through).fill_null(0),
        events_before=t.n_events.sum().over(before).fill_null(0),
        excluded_until=t.exclusion_end.max().over(through),
        last_count_date=count_date.max().over(through),
        next_count_date=count_date.min().over(after),
    )
