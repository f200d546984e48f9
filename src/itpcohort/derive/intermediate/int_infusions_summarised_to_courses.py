"""Intermediate model ``int_infusions_summarised_to_courses`` (``response-criteria.md`` section 1).

Grain: one row per rituximab course (``patient_key``, ``course_number``).

``start_date``/``end_date`` are the first and last administration, ``n_infusions`` the number of
rituximab rows, ``next_course_start`` the start of course k+1 (NULL for the last course).

``regimen``: ``unknown`` when any dose is missing (checked first); ``375x4`` when there are exactly
4 doses each 375 mg/m2; ``1000x2`` when exactly 2 doses each 1000 mg; ``low_dose`` when every dose is
100 mg (any count); ``other`` otherwise. A dose matches a nominal dose D when |dose − D| ≤
``dose_tolerance_pct`` % of D (inclusive, computed as |dose − D| × 100 ≤ pct × D so that 412.5 is
exactly inside 375 ± 10 %), and its ``dose_unit`` is the regimen's unit or empty (an empty unit is
read as the unit of the regimen it is compared with).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive._common import COURSE_KEY, PATIENT_KEY, as_int

#: (name, nominal dose, unit, required number of doses or None for any count), in checking order
REGIMENS: tuple[tuple[str, float, str, int | None], ...] = (
    ("375x4", 375.0, "mg/m2", 4),
    ("1000x2", 1000.0, "mg", 2),
    ("low_dose", 100.0, "mg", None),
)


def _matches(infusions: ir.Table, nominal: float, unit: str, pct: int) -> ir.BooleanValue:
    dose = infusions.dose
    unit_ok = infusions.dose_unit.isnull() | (infusions.dose_unit == unit)
    return dose.notnull() & unit_ok & ((dose - nominal).abs() * 100 <= pct * nominal)


def int_infusions_summarised_to_courses(infusions: ir.Table, criteria: Criteria) -> ir.Table:
    """One row per course: dates, ``n_infusions``, ``regimen`` and ``next_course_start``."""
    pct = criteria.dose_tolerance_pct
    summary = infusions.group_by(*COURSE_KEY).aggregate(
        start_date=infusions.infusion_date.min(),
        end_date=infusions.infusion_date.max(),
        n_infusions=infusions.count(),
        n_missing_dose=as_int(infusions.dose.isnull()).sum(),
        **{
            f"n_{name}": as_int(_matches(infusions, nominal, unit, pct)).sum()
            for name, nominal, unit, _ in REGIMENS
        },
    )
    cases: list[tuple[ir.BooleanValue, str]] = [(summary.n_missing_dose > 0, "unknown")]
    for name, _, _, n_doses in REGIMENS:
        matched = summary[f"n_{name}"] == summary.n_infusions
        if n_doses is not None:
            matched = matched & (summary.n_infusions == n_doses)
        cases.append((matched, name))
    by_course = ibis.window(group_by=list(PATIENT_KEY), order_by="course_number")
    return summary.select(
        *COURSE_KEY,
        "start_date",
        "end_date",
        n_infusions=summary.n_infusions.cast("int64"),
        regimen=ibis.cases(*cases, else_="other"),
        next_course_start=summary.start_date.lead().over(by_course),
    )
