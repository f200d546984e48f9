"""Intermediate model ``int_exposure_courses_losses`` (``protocols.md``, exposure rule 9).

Grain: one row per responding exposure course (best response CR or R).

Section 6 (``int_courses_losses``) with the next course read by the ending course's
``stop_reason``: its start is a loss when the reason is one of ``LOSS_STOP_REASONS``
(``inefficacy``, ``loss_of_response``, ``fluctuation``, ``unknown``); for any other reason the
duration is censored at the next course start (the earlier of it and section 6's censoring date):
a loss dated after it is ignored, one on it is an event. Losses by counts are dated by their first
count and use every count after the response, after the course end too (stopping the drug is not
by itself a loss); a count pair found after the next course start can only follow a loss or the
censoring date, so the pairs of the course's own segment suffice (as in section 6).
``censored_at_death``: censored, and the censoring date is the death date.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.derive._common import COURSE_KEY, PATIENT_KEY, days_between, earliest, join_on
from itpcohort.derive.exposure_rules import LOSS_STOP_REASONS


def int_exposure_courses_losses(
    responses: ir.Table,
    windows: ir.Table,
    pair_starts: ir.Table,
    event_days: ir.Table,
    courses: ir.Table,
) -> ir.Table:
    """Per responding course: loss dates, durations and censoring (rule 9)."""
    responders = responses.filter(responses.response.isin(("CR", "R"))).select(
        *COURSE_KEY, "response", "response_date"
    )
    after = pair_starts
    count_losses = after.group_by(*COURSE_KEY).aggregate(
        r_count_loss=after.count_date.min(where=after.starts_r_loss),
        cr_count_loss=after.count_date.min(where=after.starts_cr_loss),
    )
    events = join_on(
        responders, event_days.select(*PATIENT_KEY, "event_date"), PATIENT_KEY, how="inner"
    )
    events = events.filter(events.event_date > events.response_date)
    event_losses = events.group_by(*COURSE_KEY).aggregate(event_loss=events.event_date.min())
    window_dates = windows.select(
        *COURSE_KEY, "next_course_start", "new_treatment_date", "censor_date", "death_date"
    )
    t = responders
    for right in (
        count_losses,
        event_losses,
        window_dates,
        courses.select(*COURSE_KEY, "stop_reason"),
    ):
        t = join_on(t, right, COURSE_KEY)

    def after_response(date: ir.DateValue) -> ir.DateValue:
        return ibis.ifelse(date > t.response_date, date, ibis.null("date"))

    next_is_loss = t.stop_reason.isin(LOSS_STOP_REASONS)
    next_course_loss = ibis.ifelse(next_is_loss, t.next_course_start, ibis.null("date"))
    censor_date = ibis.ifelse(
        next_is_loss, t.censor_date, earliest(t.censor_date, t.next_course_start)
    )
    other_losses = (
        t.event_loss,
        after_response(t.new_treatment_date),
        after_response(next_course_loss),
    )
    loss_date = earliest(t.r_count_loss, *other_losses)
    cr_loss_date = ibis.ifelse(
        t.response == "CR", earliest(t.cr_count_loss, *other_losses), ibis.null("date")
    )
    loss_is_event = (loss_date <= censor_date).fill_null(False)
    cr_loss_is_event = (cr_loss_date <= censor_date).fill_null(False)
    is_cr = t.response == "CR"
    return t.select(
        *COURSE_KEY,
        loss_date=loss_date,
        duration_days=days_between(
            ibis.ifelse(loss_is_event, loss_date, censor_date), t.response_date
        ),
        duration_censored=~loss_is_event,
        cr_loss_date=cr_loss_date,
        cr_duration_days=ibis.ifelse(
            is_cr,
            days_between(ibis.ifelse(cr_loss_is_event, cr_loss_date, censor_date), t.response_date),
            ibis.null("int64"),
        ),
        cr_duration_censored=ibis.ifelse(is_cr, ~cr_loss_is_event, ibis.null("boolean")),
        censored_at_death=(~loss_is_event & (censor_date == t.death_date)).fill_null(False),
    )
