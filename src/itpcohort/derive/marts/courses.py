"""Mart ``courses`` (``response-criteria.md``, "Derived table courses"; sections 1–6).

Grain: one row per patient and course, for every patient with a course, in the
spec's column order, sorted by ``center, patient_id, course_number``.

- ``age_at_course``: completed years from birth (floor of days / 365.25), partial birth dates at
  mid-period (section 2).
- ``itp_phase``: ``newly_diagnosed`` when (start − diagnosis) < ``persistent_from_months`` months,
  ``persistent`` up to ``chronic_after_months`` months inclusive, ``chronic`` beyond, with a month of
  365.25/12 days, not rounded (365 days is persistent, 366 chronic). Reading: a course dated before
  the diagnosis (negative interval) is ``newly_diagnosed``.
- Durations: empty for NR and NE courses; CR columns empty unless the course is CR (section 6).
- ``flags``: ``;``-separated, in this fixed order (``FLAGS``): ``no_baseline`` (no count in the
  baseline range); ``rescue_in_window`` (see ``int_courses_rescue_overlaps``);
  ``window_cut_by_treatment``, ``window_cut_by_next_course``, ``window_cut_by_followup``,
  ``window_cut_by_death`` (that date ended the window before start + ``response_window_days``);
  ``death_censored`` (a responder's duration censored at the death date). Empty string when none.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive._common import (
    COURSE_KEY,
    DAYS_PER_YEAR,
    PATIENT_ID,
    PATIENT_KEY,
    as_declared,
    completed_years,
    join_on,
)
from itpcohort.derived_schema import COURSES

#: the flags of ``courses.flags``, in the order they are written
FLAGS: tuple[str, ...] = (
    "no_baseline",
    "rescue_in_window",
    "window_cut_by_treatment",
    "window_cut_by_next_course",
    "window_cut_by_followup",
    "window_cut_by_death",
    "death_censored",
)

#: the columns of ``derived/courses.csv``, in order (``derived_schema.COURSES``)
COURSES_COLUMNS: tuple[str, ...] = COURSES.names


def itp_phase(days_since_diagnosis: ir.IntegerValue, criteria: Criteria) -> ir.StringValue:
    """IWG 2009 phase from days since diagnosis, months of 365.25/12 days unrounded (section 2)."""
    months_as_days = days_since_diagnosis * 12
    return ibis.cases(
        (months_as_days < criteria.persistent_from_months * DAYS_PER_YEAR, "newly_diagnosed"),
        (months_as_days <= criteria.chronic_after_months * DAYS_PER_YEAR, "persistent"),
        else_="chronic",
    )


def flags_text(conditions: dict[str, ir.BooleanValue], names: tuple[str, ...]) -> ir.StringValue:
    """The ``flags`` column (``response-criteria.md`` section 4): the ``names`` whose condition
    holds, in the order of ``names``, joined by ``;`` (empty when none holds)."""
    text: ir.StringValue = ibis.literal("")
    for name in names:
        text = text + ibis.ifelse(conditions[name].fill_null(False), ";" + name, "")
    return text.substr(1)


def course_flag_conditions(t: ir.Table) -> dict[str, ir.BooleanValue]:
    """The condition of each flag of ``FLAGS`` over a course row joined to its window, baseline,
    rescue overlaps and losses (section 4), shared by the infusion and exposure marts."""
    return {
        "no_baseline": t.baseline_platelets.isnull(),
        "rescue_in_window": t.has_rescue_overlap,
        "window_cut_by_treatment": t.cut_by_treatment,
        "window_cut_by_next_course": t.cut_by_next_course,
        "window_cut_by_followup": t.cut_by_followup,
        "window_cut_by_death": t.cut_by_death,
        "death_censored": t.censored_at_death,
    }


def courses(
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
    """The ``courses`` table: one row per patient and course, spec column order (sections 1–6)."""
    flagged = rescue_overlaps.mutate(has_rescue_overlap=ibis.literal(True))
    t = summary.drop("next_course_start")
    for right in (
        windows.drop("start_date", "end_date", "next_course_start", "death_date"),
        baselines.drop("first_count_after_start"),
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
    flags = flags_text(course_flag_conditions(t), FLAGS)
    return as_declared(
        t.select(
            *PATIENT_ID,
            # an int32 inside the derivation (narrower rows to sort and spill), an int64 in the marts
            t.course_number.cast("int64").name("course_number"),
            "start_date",
            "end_date",
            "n_infusions",
            "regimen",
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
        COURSES,
    )
