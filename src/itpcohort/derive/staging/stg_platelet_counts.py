"""Staging model ``stg_platelet_counts`` (``response-criteria.md`` section 4).

Grain: one row per patient and count date. Several counts on one date collapse to their minimum,
"for every use in these rules (baseline, qualification, loss)". Platelets are in 10^9/L (the
canonical table is already converted from the unit given).
"""

from __future__ import annotations

import ibis.expr.types as ir

from itpcohort.derive.staging._keyed import with_patient_key


def stg_platelet_counts(platelet_counts: ir.Table, patients: ir.Table) -> ir.Table:
    """Counts collapsed to one row per patient-day, ``platelets`` = the day's minimum (section 4)."""
    keyed = with_patient_key(
        platelet_counts.select("center", "patient_id", "date", "platelets"), patients
    )
    return keyed.group_by("patient_key", count_date=keyed.date).aggregate(
        platelets=keyed.platelets.min()
    )
