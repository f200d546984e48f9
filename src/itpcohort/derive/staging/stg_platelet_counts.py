"""Staging model ``stg_platelet_counts`` (``response-criteria.md`` section 4).

Grain: one row per count, keyed by patient. Platelets are in 10^9/L (the canonical table is
already converted from the unit given). Several counts on one date collapse to their minimum,
"for every use in these rules (baseline, qualification, loss)": that is done by
``int_platelet_counts_placed_in_segments``, in the one window it runs on the counts, once the
counts too old to play any part are left out.
"""

from __future__ import annotations

import ibis.expr.types as ir

from itpcohort.derive.staging._keyed import with_patient_key


def stg_platelet_counts(platelet_counts: ir.Table, patients: ir.Table) -> ir.Table:
    """Every count with its ``patient_key``: ``count_date`` and ``platelets`` (10^9/L)."""
    keyed = with_patient_key(
        platelet_counts.select("center", "patient_id", "date", "platelets"), patients
    )
    return keyed.select("patient_key", count_date=keyed.date, platelets=keyed.platelets)
