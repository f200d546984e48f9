"""The warnings of an import, computed with the derivation's own rules (``data-model.md``, Warnings).

Grain: one row per warned cell of a canonical table: ``table_name``, ``source_file``,
``source_row``, ``column_name``, ``value`` (as given, or NULL), ``reason``.

Courses, rescue and single-day rows and the baseline range are those of the derivation under the
study's criteria (``opens_course``, ``is_rescue``/``is_single_day``, ``within_baseline``), so a
warning names the courses the derivation will build:

* a non-rescue exposure with an empty ``end_date`` (taken as ongoing until last follow-up) still
  ongoing at a later course start: usually a missing end date;
* a course with no platelet count in the ``baseline_days`` before its start;
* a ``secondary_cause`` given for a primary ITP (the cause is kept, the type is not changed);
* a ``last_followup_date`` after ``death_date``;
* for an exposure protocol, an open-ended row of one of its agents followed by a later row of the
  same agent (``protocols.md``, Exposure courses: ``int_agent_rows_open_before_later``), named
  by each open-ended input row.

The canonical tables are read with their provenance (``source_file``, ``source_row``): a course is
named by its first administration in date, file and line order. Courses are those of the
protocol's course rules (``criteria.courses``: its agents, named in the messages); exposure courses
are not built by these rules, so an exposure protocol gets no course warning of infusion courses.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive.intermediate.int_courses_baselined import within_baseline
from itpcohort.derive.intermediate.int_infusions_grouped_to_courses import opens_course
from itpcohort.derive.staging.stg_treatments import is_rescue, is_single_day

#: the columns of the warnings, in order
WARNING_COLUMNS: tuple[str, ...] = (
    "table_name",
    "source_file",
    "source_row",
    "column_name",
    "value",
    "reason",
)

_PATIENT = ["center", "patient_id"]


def _day(date: ir.DateValue) -> ir.StringValue:
    return date.strftime("%Y-%m-%d")


def _warned(
    rows: ir.Table, table: str, column: str, value: ir.Value, reason: ir.StringValue
) -> ir.Table:
    return rows.select(
        table_name=ibis.literal(table),
        source_file=rows.source_file.cast("string"),
        source_row=rows.source_row.cast("int64"),
        column_name=ibis.literal(column),
        value=value.cast("string"),
        reason=reason,
    )


def course_starts(treatments: ir.Table, criteria: Criteria) -> ir.Table:
    """The rows of the protocol's agents that open an infusion course (``opens_course``;
    ``response-criteria.md`` section 1, ``protocols.md`` Infusion courses), with their provenance;
    administrations on one date are ordered by file and line. None for an exposure protocol."""
    courses = criteria.courses
    rtx = treatments.filter(
        treatments.drug.isin(courses.agents) & ibis.literal(courses.kind == "infusions")
    )
    order = ibis.window(group_by=_PATIENT, order_by=["start_date", "source_file", "source_row"])
    rtx = rtx.mutate(previous_date=rtx.start_date.lag().over(order))
    return rtx.filter(opens_course(rtx.start_date, rtx.previous_date, criteria)).select(
        *_PATIENT, "start_date", "source_file", "source_row"
    )


def _ongoing_at_a_course(
    treatments: ir.Table, patients: ir.Table, starts: ir.Table, criteria: Criteria
) -> ir.Table:
    open_ended = treatments.filter(
        treatments.end_date.isnull() & ~is_rescue(treatments) & ~is_single_day(treatments)
    )
    t = open_ended.join(patients.select(*_PATIENT, "last_followup_date"), _PATIENT)
    t = t.join(starts.select(*_PATIENT, course_start="start_date"), _PATIENT)
    t = t.filter((t.course_start > t.start_date) & (t.course_start <= t.last_followup_date))
    t = t.group_by(["source_file", "source_row", "drug", "start_date"]).aggregate(
        first_course=t.course_start.min()
    )
    reason = (
        "empty end_date: "
        + t.drug
        + " started "
        + _day(t.start_date)
        + f" is taken as ongoing at the {criteria.courses.agents_phrase('en')} course of "
        + _day(t.first_course)
        + " (until last follow-up), so it can never count as a new treatment; a missing end date?"
    )
    return _warned(t, "treatments", "end_date", ibis.null("string"), reason)


def _without_baseline(starts: ir.Table, counts: ir.Table, criteria: Criteria) -> ir.Table:
    c = counts.select(*_PATIENT, count_date="date")
    missing = starts.anti_join(
        c,
        [
            starts.center == c.center,
            starts.patient_id == c.patient_id,
            within_baseline(starts.start_date, c.count_date, criteria),
        ],
    )
    reason = ibis.literal(
        f"no platelet count in the {criteria.baseline_days} days before this "
        f"{criteria.courses.agents_phrase('en')} course "
        "(baseline missing)"
    )
    return _warned(missing, "treatments", "start_date", _day(missing.start_date), reason)


def _open_before_later(
    treatments: ir.Table, tables: Mapping[str, ir.Table], criteria: Criteria
) -> ir.Table:
    """The open-ended agent rows followed by a later row of their agent, as the exposure
    derivation finds them (``exposure_row_warnings``), named by the input rows they come from."""
    from itpcohort.derive import exposure_rules
    from itpcohort.derive.exposure import exposure_row_warnings

    found = exposure_row_warnings(tables, exposure_rules(criteria), criteria)
    rows = treatments.filter(treatments.end_date.isnull() & ~is_rescue(treatments))
    t = rows.join(
        found,
        [
            rows.center == found.center,
            rows.patient_id == found.patient_id,
            rows.drug == found.agent,
            rows.start_date == found.start_date,
        ],
    )
    reason = (
        "empty end_date: "
        + t.drug
        + " started "
        + _day(t.start_date)
        + " is taken as ongoing until last follow-up, yet a later "
        + t.drug
        + " row starts "
        + _day(t.later_start_date)
        + "; a missing end date?"
    )
    return _warned(t, "treatments", "end_date", ibis.null("string"), reason)


def import_warnings(tables: Mapping[str, ir.Table], criteria: Criteria) -> ir.Table:
    """The warnings of the canonical ``tables`` (with provenance) under ``criteria``, in
    ``WARNING_COLUMNS`` (``data-model.md``, Warnings), unordered."""
    patients, treatments = tables["patients"], tables["treatments"]
    starts = course_starts(treatments, criteria)
    primary = patients.filter((patients.itp_type == "primary") & patients.secondary_cause.notnull())
    after_death = patients.filter(patients.last_followup_date > patients.death_date)
    exposure = (
        [_open_before_later(treatments, tables, criteria)]
        if criteria.courses.kind == "exposure"
        else []
    )
    return ibis.union(
        _ongoing_at_a_course(treatments, patients, starts, criteria),
        _without_baseline(starts, tables["platelet_counts"], criteria),
        _warned(
            primary,
            "patients",
            "secondary_cause",
            primary.secondary_cause,
            ibis.literal("secondary_cause given for a primary ITP (kept as given)"),
        ),
        _warned(
            after_death,
            "patients",
            "last_followup_date",
            _day(after_death.last_followup_date),
            "after death_date (" + _day(after_death.death_date) + ")",
        ),
        *exposure,
        distinct=False,
    )
