"""Mart ``courses`` of an exposure protocol (``protocols.md``, "Exposure courses", rules 1–9).

Grain: one row per patient and exposure course, for every patient with a course of the protocol's
agents, as declared by ``derived_schema.EXPOSURE_COURSES`` (sorted by ``center, patient_id,
course_number``; the infusion layout without ``n_infusions`` and ``regimen``, with ``agent``,
``course_type``, ``n_rows`` and ``stop_reason``).

Ages, ITP phase, durations and the section-4 flags are those of the infusion mart
(``marts.courses``). ``flags`` adds, after the infusion flags and in this order: ``ongoing``
(rule 5), ``baseline_carried`` (rule 6), ``same_day_start`` (rule 3).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive._common import (
    COURSE_KEY,
    PATIENT_ID,
    PATIENT_KEY,
    as_declared,
    completed_years,
    join_on,
)
from itpcohort.derive.marts.courses import FLAGS, course_flag_conditions, flags_text, itp_phase
from itpcohort.derived_schema import EXPOSURE_COURSES

#: the flags of an exposure course, in the order they are written
EXPOSURE_FLAGS: tuple[str, ...] = (*FLAGS, "ongoing", "baseline_carried", "same_day_start")


def exposure_courses(
    summary: ir.Table,
    windows: ir.Table,
    baselines: ir.Table,
    lines: ir.Table,
    responses: ir.Table,
    losses: ir.Table,
    rescue_overlaps: ir.Table,
    patients: ir.Table,
    criteria: Criteria,
) -> ir.Table:
    """The exposure ``courses`` table: one row per patient and course, spec column order."""
    flagged = rescue_overlaps.mutate(has_rescue_overlap=ibis.literal(True))
    t = summary.drop("next_course_start", "era_end")
    for right in (
        windows.drop("start_date", "end_date", "next_course_start", "death_date"),
        baselines.drop("first_count_after_start", "baseline_date"),
        lines,
        responses,
        losses.drop("loss_date", "cr_loss_date"),
        flagged,
    ):
        t = join_on(t, right, COURSE_KEY)
    t = join_on(
        t,
        patients.select(*PATIENT_KEY, *PATIENT_ID, "birth_date", "diagnosis_date"),
        PATIENT_KEY,
    )
    flags = flags_text(
        {
            **course_flag_conditions(t),
            "ongoing": t.is_ongoing,
            "baseline_carried": t.is_baseline_carried,
            "same_day_start": t.is_same_day_start,
        },
        EXPOSURE_FLAGS,
    )
    return as_declared(
        t.select(
            *PATIENT_ID,
            t.course_number.cast("int64").name("course_number"),
            "agent",
            "course_type",
            "start_date",
            "end_date",
            "n_rows",
            "stop_reason",
            age_at_course=completed_years(t.start_date, t.birth_date),
            itp_phase=itp_phase(t.start_date.delta(t.diagnosis_date, unit="day"), criteria),
            prior_lines=t.prior_lines,
            splenectomy_before=t.splenectomy_before,
            baseline_platelets=t.baseline_platelets,
            response=t.response,
            response_date=t.response_date,
            time_to_response_days=t.response_date.delta(t.start_date, unit="day"),
            duration_days=t.duration_days,
            duration_censored=t.duration_censored,
            cr_duration_days=t.cr_duration_days,
            cr_duration_censored=t.cr_duration_censored,
            flags=flags,
        ),
        EXPOSURE_COURSES,
    )
