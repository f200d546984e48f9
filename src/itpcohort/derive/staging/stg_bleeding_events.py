"""Staging model ``stg_bleeding_events`` (``data-model.md``, bleeding_events).

Grain: one row per bleeding event. ``is_severe`` is the canonical ``severe`` (its default already
applied at import); where it is still NULL the data-model default is applied here again
(WHO grade >= 3 or site ``intracranial``), so the model stays correct on any canonical table.
"""

from __future__ import annotations

import ibis.expr.types as ir

from itpcohort.derive.staging._keyed import with_patient_key


def stg_bleeding_events(bleeding_events: ir.Table, patients: ir.Table) -> ir.Table:
    """Bleeding events with ``is_severe`` resolved (data-model default when not recorded)."""
    b = with_patient_key(bleeding_events, patients)
    default_severe = (b.who_grade >= 3).fill_null(False) | (b.site == "intracranial")
    return b.select(
        "patient_key",
        "site",
        "who_grade",
        bleed_date=b.date,
        is_severe=b.severe.fill_null(default_severe),
    )
