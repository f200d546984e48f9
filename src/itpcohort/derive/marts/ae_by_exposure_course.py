"""Mart ``ae_by_course`` of an exposure protocol (``protocols.md``, exposure rule 10).

Grain: one row per adverse event, sorted as the infusion mart (``AE_BY_EXPOSURE_COURSE_COLUMNS``).

An event belongs to the course whose days (start to end, after cuts) hold its onset; a
``same_day_start`` course holds no day. Otherwise it belongs to the latest course that ended 1 to
``exposure_effect_days`` days before the onset, else it is unattributed (``course_number`` NULL).
Section 8's ``ae_attribution_days`` and infusion-reaction rules do not apply. Courses of a patient
never share a day after cuts, so at most one course holds an onset.

``days_from_course_end`` (in place of the infusion mart's ``days_from_last_infusion``): onset −
the attributed course's end, 0 when the onset lies in the course's days; NULL when unattributed.
Reading: a ``same_day_start`` course is never attributed an event, not even one dated within the
effect days after its (one-day) end.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.derive._common import PATIENT_ID, PATIENT_KEY, days_between, join_on, plus_days
from itpcohort.derive.exposure_rules import ExposureRules

AE_BY_EXPOSURE_COURSE_COLUMNS: tuple[str, ...] = (
    "center",
    "patient_id",
    "onset_date",
    "event",
    "ctcae_grade",
    "serious",
    "course_number",
    "days_from_course_end",
)


def ae_by_exposure_course(
    adverse_events: ir.Table, courses: ir.Table, patients: ir.Table, rules: ExposureRules
) -> ir.Table:
    """Adverse events with the exposure course they are attributed to (rule 10)."""
    events = adverse_events.select(
        *PATIENT_KEY,
        "onset_date",
        "event",
        ctcae_grade=adverse_events.ctcae_grade.cast("int32"),
        serious=adverse_events.serious,
    )
    held = courses.filter(~courses.is_same_day_start).select(
        *PATIENT_KEY, "course_number", "start_date", "end_date"
    )
    e, c = events.select(*PATIENT_KEY, "onset_date").distinct(), held
    pairs = e.join(
        c,
        [
            e.patient_key == c.patient_key,
            c.start_date <= e.onset_date,
            e.onset_date <= plus_days(c.end_date, rules.exposure_effect_days),
        ],
    ).select(e.patient_key, e.onset_date, c.course_number, c.end_date)
    inside = pairs.onset_date <= pairs.end_date
    # a course holding the onset wins; else the latest course whose effect days hold it
    ranked = pairs.mutate(rank=ibis.ifelse(inside, 1_000_000, 0) + pairs.course_number)
    best = ranked.group_by(*PATIENT_KEY, "onset_date").aggregate(
        course_number=ranked.course_number.argmax(ranked.rank),
        days_from_course_end=ibis.ifelse(
            inside, 0, days_between(ranked.onset_date, ranked.end_date)
        )
        .cast("int64")
        .argmax(ranked.rank),
    )
    t = join_on(events, best, (*PATIENT_KEY, "onset_date"))
    t = join_on(t, patients.select(*PATIENT_KEY, *PATIENT_ID), PATIENT_KEY)
    return t.select(
        *PATIENT_ID,
        "onset_date",
        "event",
        "ctcae_grade",
        "serious",
        course_number=t.course_number.cast("int64"),
        days_from_course_end=t.days_from_course_end,
    ).order_by(list(AE_BY_EXPOSURE_COURSE_COLUMNS))
