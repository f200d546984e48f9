"""Mart ``patient_treatment_events`` (``response-criteria.md`` sections 2, 4 and 6).

Grain: one row per patient, event kind and date, for the patients with a course and the
events dated on or after their course-1 start (the origin of the swimmer plot's time axis,
``flagship-study.md`` Outputs of run). Sorted by ``center, patient_id, event_date, event``.

The events are the treatment starts that end a response (section 6) but have no date in
``courses``, as the intermediate models already classify them (nothing is re-derived here):

- ``rescue``: the start of a rescue exposure (any row of class ``ivig`` or ``supportive``, or any
  row flagged rescue: ``int_treatments_resolved_to_exposures.is_rescue``); several rescue rows
  started on one day are one event.
- ``new_treatment``: the first new ITP treatment after a course (a non-rescue line agent not
  ongoing at the course start, ``int_treatments_new_for_courses.new_treatment_date``): the date
  that ends the course's assessment window (section 4) and its response (section 6). A date that
  is the first new treatment of several courses is one event. Reading: a second new agent started
  before the next course is not listed, as it changes no course's window or response.

``days_from_course1`` = event date − course-1 start (0 on that day). ``course_number`` is the
course in progress on the event date: the latest course started on or before it (an event on the
start day of course k belongs to course k).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.derive._common import PATIENT_ID, PATIENT_KEY, as_declared, days_between, join_on
from itpcohort.derived_schema import PATIENT_TREATMENT_EVENTS

#: the kinds of event, as written in ``event``
TREATMENT_EVENTS: tuple[str, ...] = ("new_treatment", "rescue")

#: the columns of ``derived/patient_treatment_events.csv``, in order (``derived_schema.PATIENT_TREATMENT_EVENTS``)
PATIENT_TREATMENT_EVENTS_COLUMNS: tuple[str, ...] = PATIENT_TREATMENT_EVENTS.names


def patient_treatment_events(
    patients: ir.Table, summary: ir.Table, exposures: ir.Table, new_treatments: ir.Table
) -> ir.Table:
    """Rescue starts and first new ITP treatments per patient, dated from course 1 (sections 2, 6)."""
    rescues = exposures.filter(exposures.is_rescue)
    rescue_starts = rescues.select(
        *PATIENT_KEY, event_date=rescues.start_date, event=ibis.literal("rescue")
    )
    new_starts = new_treatments.select(
        *PATIENT_KEY,
        event_date=new_treatments.new_treatment_date,
        event=ibis.literal("new_treatment"),
    )
    events = rescue_starts.union(new_starts, distinct=True)
    # each event paired with its patient's courses (a few each) to find the course in progress
    courses = summary.select(
        *PATIENT_KEY, "course_number", "next_course_start", course_start="start_date"
    )
    pairs = join_on(events, courses, PATIENT_KEY, how="inner")
    in_course = pairs.filter(
        (pairs.course_start <= pairs.event_date)
        & (pairs.next_course_start.isnull() | (pairs.event_date < pairs.next_course_start))
    )
    first_starts = summary.filter(summary.course_number == 1).select(
        *PATIENT_KEY, course1_start="start_date"
    )
    ids = patients.select(*PATIENT_KEY, *PATIENT_ID)
    t = join_on(join_on(in_course, first_starts, PATIENT_KEY), ids, PATIENT_KEY)
    return as_declared(
        t.select(
            *PATIENT_ID,
            "event_date",
            "event",
            days_from_course1=days_between(t.event_date, t.course1_start),
            course_number=t.course_number.cast("int64"),
        ),
        PATIENT_TREATMENT_EVENTS,
    )
