"""Intermediate model ``int_infusions_summarised_to_courses`` (``response-criteria.md`` section 1).

Grain: one row per course (``patient_key``, ``course_number``).

``start_date``/``end_date`` are the first and last administration, ``n_infusions`` the number of
the course's rows, ``next_course_start`` the start of course k+1 (NULL for the last course).

``regimen`` (``protocols.md``, Infusion courses): ``unknown`` when any dose is missing (checked
first); then the protocol's regimen table in order (``Criteria.courses.regimens``): a regimen
matches when every dose matches its nominal dose and unit and, when it has a ``count``, the course
has exactly that many doses; ``other`` otherwise. A dose matches a nominal dose D when |dose − D| ≤
``dose_tolerance_pct`` % of D (inclusive, computed as |dose − D| × 100 ≤ pct × D so that 412.5 is
exactly inside 375 ± 10 %), and its ``dose_unit`` is the regimen's unit or empty (an empty unit is
read as the unit of the regimen it is compared with).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive._common import COURSE_KEY, PATIENT_KEY, as_int


def _matches(infusions: ir.Table, nominal: float, unit: str, pct: int) -> ir.BooleanValue:
    dose = infusions.dose
    unit_ok = infusions.dose_unit.isnull() | (infusions.dose_unit == unit)
    return dose.notnull() & unit_ok & ((dose - nominal).abs() * 100 <= pct * nominal)


def int_infusions_summarised_to_courses(infusions: ir.Table, criteria: Criteria) -> ir.Table:
    """One row per course: dates, ``n_infusions``, ``regimen`` and ``next_course_start``."""
    pct = criteria.dose_tolerance_pct
    regimens = criteria.courses.regimens
    summary = infusions.group_by(*COURSE_KEY).aggregate(
        start_date=infusions.infusion_date.min(),
        end_date=infusions.infusion_date.max(),
        n_infusions=infusions.count(),
        n_missing_dose=as_int(infusions.dose.isnull()).sum(),
        **{
            f"n_regimen_{number}": as_int(_matches(infusions, r.dose, r.unit, pct)).sum()
            for number, r in enumerate(regimens)
        },
    )
    cases: list[tuple[ir.BooleanValue, str]] = [(summary.n_missing_dose > 0, "unknown")]
    for number, regimen in enumerate(regimens):
        matched = summary[f"n_regimen_{number}"] == summary.n_infusions
        if regimen.count is not None:
            matched = matched & (summary.n_infusions == regimen.count)
        cases.append((matched, regimen.name))
    by_course = ibis.window(group_by=list(PATIENT_KEY), order_by="course_number")
    return summary.select(
        *COURSE_KEY,
        "start_date",
        "end_date",
        n_infusions=summary.n_infusions.cast("int64"),
        regimen=ibis.cases(*cases, else_="other"),
        next_course_start=summary.start_date.lead().over(by_course),
    )
