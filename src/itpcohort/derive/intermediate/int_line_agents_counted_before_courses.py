"""Intermediate model ``int_line_agents_counted_before_courses`` (``response-criteria.md`` section 2).

Grain: one row per course (of the protocol's agents).

``prior_lines``: the number of distinct line agents (see ``stg_treatments.line_agent``; rescue rows
never count) whose first non-rescue exposure started strictly before the course start.
``splenectomy_before``: a splenectomy dated strictly before the course start. Reading: any
splenectomy row counts here, even one flagged rescue (an emergency splenectomy is still a
splenectomy before the course), whereas a rescue row never counts as a line.
The join is per patient on its few line agents (bounded), never on counts.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.derive._common import COURSE_KEY, PATIENT_KEY, join_on


def int_line_agents_counted_before_courses(courses: ir.Table, exposures: ir.Table) -> ir.Table:
    """Per course: ``prior_lines`` and ``splenectomy_before`` (section 2)."""
    lines = exposures.filter(exposures.line_agent.notnull())
    agent_starts = lines.group_by(*PATIENT_KEY, "line_agent").aggregate(
        first_start=lines.start_date.min()
    )
    splenectomies = exposures.filter(exposures.drug == "splenectomy")
    first_splenectomy = splenectomies.group_by(*PATIENT_KEY).aggregate(
        first_splenectomy=splenectomies.start_date.min()
    )
    course_starts = courses.select(*COURSE_KEY, "start_date")
    pairs = join_on(course_starts, agent_starts, PATIENT_KEY)
    counted = pairs.group_by(
        *(pairs[k] for k in COURSE_KEY), course_start=pairs.start_date
    ).aggregate(
        prior_lines=ibis.ifelse((pairs.first_start < pairs.start_date).fill_null(False), 1, 0)
        .sum()
        .cast("int64")
    )
    with_splenectomy = join_on(counted, first_splenectomy, PATIENT_KEY)
    return with_splenectomy.select(
        *COURSE_KEY,
        "prior_lines",
        splenectomy_before=(
            with_splenectomy.first_splenectomy < with_splenectomy.course_start
        ).fill_null(False),
    )
