"""Intermediate model ``int_treatments_new_for_courses`` (``response-criteria.md`` section 2, 4, 6).

Grain: one row per course that has a new ITP treatment.

A new ITP treatment for a course is a non-rescue exposure of a line agent that starts strictly after
the course start, of an agent that had no non-rescue exposure ongoing on the course start date
(``start_date <= course start <= exposure_end_date``). So a taper row, or a switch from prednisone
to dexamethasone during a corticosteroid course already running, is not new. Reading: the rule is
applied literally per agent, so an agent ongoing at the course start never becomes new for that
course, even if it stops and restarts later. ``new_treatment_date`` is the earliest such start: it
ends the assessment window (section 4) and is a loss event (section 6).

The join pairs each course with its patient's line-agent rows only (a few per patient).
"""

from __future__ import annotations

import ibis.expr.types as ir

from itpcohort.derive._common import COURSE_KEY, PATIENT_KEY, join_on


def int_treatments_new_for_courses(courses: ir.Table, exposures: ir.Table) -> ir.Table:
    """Per course: ``new_treatment_date``, the first start of a new ITP treatment (section 2)."""
    lines = exposures.filter(exposures.line_agent.notnull()).select(
        *PATIENT_KEY, "line_agent", "start_date", "exposure_end_date"
    )
    course_starts = courses.select(*COURSE_KEY, course_start=courses.start_date)
    pairs = join_on(course_starts, lines, PATIENT_KEY, how="inner")
    ongoing = (pairs.start_date <= pairs.course_start) & (
        pairs.exposure_end_date >= pairs.course_start
    )
    per_agent = pairs.group_by(*COURSE_KEY, "line_agent").aggregate(
        was_ongoing=ongoing.any(),
        first_start_after=pairs.start_date.min(where=pairs.start_date > pairs.course_start),
    )
    new_agents = per_agent.filter(~per_agent.was_ongoing & per_agent.first_start_after.notnull())
    return new_agents.group_by(*COURSE_KEY).aggregate(
        new_treatment_date=new_agents.first_start_after.min()
    )
