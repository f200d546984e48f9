"""Intermediate model ``int_courses_losses`` (``response-criteria.md`` section 6).

Grain: one row per responding course (best response CR or R).

Loss of response is the earliest, strictly after ``response_date``, of: the first count of a pair of
neighbouring counts both not qualifying for R and more than ``loss_confirm_days`` apart
(``starts_r_loss``); a qualifying bleeding event; the start of a rescue exposure; the first new ITP
treatment of the course; the next course start. Loss of CR (CR courses only) is the same with
counts below the CR threshold. ``duration_days`` = loss − ``response_date`` when the loss is on or
before ``censor_date`` (earliest of last follow-up and death), otherwise the duration is censored
there (a loss after the censoring date is ignored). ``censored_at_death``: the duration is censored
and the censoring date is the death date.

Joins: responding courses with their loss-pair starts (``int_platelet_counts_paired_for_losses``,
already after the response) and with the patient's few event days, on keys plus a date range.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.derive._common import COURSE_KEY, PATIENT_KEY, days_between, earliest, join_on


def int_courses_losses(
    responses: ir.Table, windows: ir.Table, pair_starts: ir.Table, event_days: ir.Table
) -> ir.Table:
    """Per responding course: loss dates, durations and censoring (section 6)."""
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
    for right in (count_losses, event_losses, window_dates):
        t = join_on(t, right, COURSE_KEY)

    def after_response(date: ir.DateValue) -> ir.DateValue:
        return ibis.ifelse(date > t.response_date, date, ibis.null("date"))

    other_losses = (
        t.event_loss,
        after_response(t.new_treatment_date),
        after_response(t.next_course_start),
    )
    loss_date = earliest(t.r_count_loss, *other_losses)
    cr_loss_date = ibis.ifelse(
        t.response == "CR", earliest(t.cr_count_loss, *other_losses), ibis.null("date")
    )
    loss_is_event = (loss_date <= t.censor_date).fill_null(False)
    cr_loss_is_event = (cr_loss_date <= t.censor_date).fill_null(False)
    is_cr = t.response == "CR"
    return t.select(
        *COURSE_KEY,
        loss_date=loss_date,
        duration_days=days_between(
            ibis.ifelse(loss_is_event, loss_date, t.censor_date), t.response_date
        ),
        duration_censored=~loss_is_event,
        cr_loss_date=cr_loss_date,
        cr_duration_days=ibis.ifelse(
            is_cr,
            days_between(
                ibis.ifelse(cr_loss_is_event, cr_loss_date, t.censor_date), t.response_date
            ),
            ibis.null("int64"),
        ),
        cr_duration_censored=ibis.ifelse(is_cr, ~cr_loss_is_event, ibis.null("boolean")),
        censored_at_death=(~loss_is_event & (t.censor_date == t.death_date)).fill_null(False),
    )
