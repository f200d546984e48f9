"""Staging model ``stg_platelet_counts`` (``response-criteria.md`` section 4).

Grain: one row per patient and count date. Several counts on one date collapse to their minimum,
"for every use in these rules (baseline, qualification, loss)". Platelets are in 10^9/L (the
canonical table is already converted from the unit given).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.derive.staging._keyed import with_patient_key


def stg_platelet_counts(platelet_counts: ir.Table, patients: ir.Table) -> ir.Table:
    """Counts collapsed to one row per patient-day, ``platelets`` = the day's minimum (section 4).

    The lowest count of each patient-day is kept by a window rather than a ``GROUP BY``: almost
    every patient-day is its own group, and sorting 50 million rows is about twice as fast as
    hashing them into 50 million groups.
    """
    keyed = with_patient_key(
        platelet_counts.select("center", "patient_id", "date", "platelets"), patients
    )
    same_day = ibis.window(group_by=["patient_key", "date"], order_by=["platelets"])
    ranked = keyed.mutate(rank_in_day=ibis.row_number().over(same_day))
    lowest = ranked.filter(ranked.rank_in_day == 0)
    return lowest.select("patient_key", count_date=lowest.date, platelets=lowest.platelets)
