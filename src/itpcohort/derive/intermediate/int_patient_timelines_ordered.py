"""Intermediate model ``int_patient_timelines_ordered`` (``response-criteria.md`` sections 3–6).

Grain: one row per timeline entry of a patient: an event day (``kind`` 0, from
``int_events_collected_to_days``), a count day (``kind`` 1) or a course start (``kind`` 2).

One ordered pass per patient (by date, then kind) replaces every count × event and count × course
join with running aggregates, as in an as-of join:

- ``kind`` orders same-day entries: events first (a rescue or bleed on a count's date voids runs
  holding that date, and a rescue's exclusion starts on its start day, inclusive), then counts,
  then course starts (a count on a course's start day is "taken before it": it is the baseline of
  that course and still usable by the previous course, sections 3 and 4).
- ``segment_course`` (count rows): the latest course started strictly before the count, 0 before
  the first course; so a count belongs to the segment (start_k, start_{k+1}].
- ``events_through`` / ``events_before``: number of voiding events dated up to the entry's date,
  inclusive / exclusive. Events in [p, c] = ``events_through``(c) − ``events_before``(p).
- ``excluded_until``: the latest rescue exclusion end among rescues started on or before the
  date; a count is in a rescue exclusion interval when ``excluded_until >= count_date``.
- ``last_count_date`` (course rows): the latest count dated on or before the course start.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.derive._common import PATIENT_KEY

_EVENT, _COUNT, _COURSE = 0, 1, 2


#: the columns every timeline entry carries (NULL where an entry kind has no such value)
_ENTRY_TYPES = {
    "platelets": "float64",
    "next_count_date": "date",
    "next_platelets": "float64",
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
    counts: ir.Table, event_days: ir.Table, courses: ir.Table
) -> ir.Table:
    """Counts, event days and course starts in one per-patient order, with running aggregates."""
    timeline = (
        _entries(
            event_days,
            _EVENT,
            event_days.event_date,
            n_events=event_days.n_events,
            exclusion_end=event_days.exclusion_end,
        )
        .union(
            _entries(
                counts,
                _COUNT,
                counts.count_date,
                platelets=counts.platelets,
                next_count_date=counts.next_count_date,
                next_platelets=counts.next_platelets,
            )
        )
        .union(_entries(courses, _COURSE, courses.start_date, course_number=courses.course_number))
    )
    order = ["entry_date", "kind"]
    running = ibis.cumulative_window(group_by=list(PATIENT_KEY), order_by=order)
    ordered = ibis.window(group_by=list(PATIENT_KEY), order_by=order)
    t = timeline
    same_day_events = ibis.ifelse(
        (t.kind.lag().over(ordered) == _EVENT) & (t.entry_date.lag().over(ordered) == t.entry_date),
        t.n_events.lag().over(ordered),
        0,
    ).fill_null(0)
    events_through = t.n_events.fill_null(0).sum().over(running).cast("int64")
    return t.select(
        *PATIENT_KEY,
        "entry_date",
        "kind",
        "platelets",
        "next_count_date",
        "next_platelets",
        "course_number",
        segment_course=t.course_number.max().over(running).fill_null(0),
        events_through=events_through,
        events_before=events_through
        - same_day_events
        - ibis.ifelse(t.kind == _EVENT, t.n_events, 0),
        excluded_until=t.exclusion_end.max().over(running),
        last_count_date=ibis.ifelse(t.kind == _COUNT, t.entry_date, ibis.null("date"))
        .max()
        .over(running),
    )
