"""Intermediate model ``int_treatments_resolved_to_exposures`` (``response-criteria.md`` section 2).

Grain: one row per treatment row, with its exposure period ``start_date``..``exposure_end_date``.

An empty ``end_date`` is a single day for single-day rows (see ``stg_treatments``) and "ongoing until
last follow-up" for every other drug. Reading: when such an ongoing row starts after the patient's
last follow-up (the data model does not forbid it), its exposure is the start day alone, so an
exposure never ends before it starts.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.derive._common import PATIENT_KEY, join_on


def int_treatments_resolved_to_exposures(treatments: ir.Table, patients: ir.Table) -> ir.Table:
    """Treatment rows with ``exposure_end_date`` resolved from ``end_date`` (section 2)."""
    followup = patients.select(*PATIENT_KEY, "last_followup_date")
    t = join_on(treatments, followup, PATIENT_KEY)
    ongoing_until = ibis.ifelse(
        t.last_followup_date.isnull() | (t.last_followup_date < t.start_date),
        t.start_date,
        t.last_followup_date,
    )
    exposure_end = ibis.cases(
        (t.end_date.notnull(), t.end_date),
        (t.is_single_day, t.start_date),
        else_=ongoing_until,
    )
    return t.select(
        *PATIENT_KEY,
        "drug",
        "drug_class",
        "line_agent",
        "is_rescue",
        "start_date",
        exposure_end_date=exposure_end,
    )
