"""Staging model ``stg_platelet_counts`` (``response-criteria.md`` section 4).

Grain: one row per patient and count date. Several counts on one date collapse to their minimum,
"for every use in these rules (baseline, qualification, loss)". Platelets are in 10^9/L (the
canonical table is already converted from the unit given).
"""

from __future__ import annotations

import ibis.expr.types as ir


def stg_platelet_counts(platelet_counts: ir.Table) -> ir.Table:
    """Counts collapsed to one row per patient-day, ``platelets`` = the day's minimum (section 4)."""
    return platelet_counts.group_by(
        "center", "patient_id", count_date=platelet_counts.date
    ).aggregate(platelets=platelet_counts.platelets.min())
