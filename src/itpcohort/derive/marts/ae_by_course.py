"""Mart ``ae_by_course`` (``response-criteria.md`` section 8).

Grain: one row per adverse event.

An event belongs to the latest course started on or before its onset when the onset is at most
``ae_attribution_days`` after that course's last infusion (``end_date``); otherwise
``course_number`` is NULL (unattributed). An ``infusion_reaction`` must also start at most
``infusion_reaction_days`` after an infusion of that course. Readings: "within 1 day of an infusion"
is read as 0 to 1 day *after* an infusion (a reaction cannot precede its infusion); the latest
infusion on or before the onset always belongs to the latest course started on or before it.
``days_from_last_infusion``: onset − the latest infusion of the protocol's agents dated on or before the onset
(NULL when none), given for unattributed events too.

The latest infusion is found by one ordered pass over infusions and events per patient
(as-of style), not by a join of every event with every infusion.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive._common import (
    PATIENT_ID,
    PATIENT_KEY,
    as_declared,
    days_between,
    join_on,
    plus_days,
)
from itpcohort.derived_schema import AE_BY_COURSE

#: the columns of ``derived/ae_by_course.csv``, in order (``derived_schema.AE_BY_COURSE``)
AE_BY_COURSE_COLUMNS: tuple[str, ...] = AE_BY_COURSE.names


def ae_by_course(
    adverse_events: ir.Table,
    infusions: ir.Table,
    summary: ir.Table,
    patients: ir.Table,
    criteria: Criteria,
) -> ir.Table:
    """Adverse events with the course they are attributed to (section 8)."""
    nulls = {
        "onset_date": ibis.null("date"),
        "event": ibis.null("string"),
        "ctcae_grade": ibis.null("int32"),
        "serious": ibis.null("boolean"),
    }
    given = infusions.select(
        *PATIENT_KEY,
        entry_date=infusions.infusion_date,
        kind=ibis.literal(0, "int8"),
        infusion_course=infusions.course_number.cast("int64"),
        **nulls,
    )
    events = adverse_events.select(
        *PATIENT_KEY,
        entry_date=adverse_events.onset_date,
        kind=ibis.literal(1, "int8"),
        infusion_course=ibis.null("int64"),
        onset_date=adverse_events.onset_date,
        event=adverse_events.event,
        ctcae_grade=adverse_events.ctcae_grade.cast("int32"),
        serious=adverse_events.serious,
    )
    timeline = given.union(events)
    running = ibis.cumulative_window(group_by=list(PATIENT_KEY), order_by=["entry_date", "kind"])
    placed = timeline.mutate(
        latest_course=timeline.infusion_course.max().over(running),
        latest_infusion=ibis.ifelse(timeline.kind == 0, timeline.entry_date, ibis.null("date"))
        .max()
        .over(running),
    ).filter(lambda t: t.kind == 1)
    t = join_on(
        placed,
        summary.select(*PATIENT_KEY, latest_course="course_number", course_end="end_date"),
        (*PATIENT_KEY, "latest_course"),
    )
    t = join_on(t, patients.select(*PATIENT_KEY, *PATIENT_ID), PATIENT_KEY)
    since_infusion = days_between(t.onset_date, t.latest_infusion)
    attributed = (t.onset_date <= plus_days(t.course_end, criteria.ae_attribution_days)) & (
        (t.event != "infusion_reaction") | (since_infusion <= criteria.infusion_reaction_days)
    )
    return as_declared(
        t.select(
            *PATIENT_ID,
            "onset_date",
            "event",
            "ctcae_grade",
            "serious",
            course_number=ibis.ifelse(
                attributed.fill_null(False), t.latest_course, ibis.null("int64")
            ),
            days_from_last_infusion=since_infusion,
        ),
        AE_BY_COURSE,
    )
