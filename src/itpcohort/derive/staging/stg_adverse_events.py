"""Staging model ``stg_adverse_events`` (``data-model.md``, adverse_events; ``response-criteria.md`` 8).

Grain: one row per adverse event, as recorded.
"""

from __future__ import annotations

import ibis.expr.types as ir

from itpcohort.derive.staging._keyed import with_patient_key


def stg_adverse_events(adverse_events: ir.Table, patients: ir.Table) -> ir.Table:
    """Adverse events with the columns section 8 reports, keyed by ``patient_key``."""
    return with_patient_key(adverse_events, patients).select(
        "patient_key", "onset_date", "event", "ctcae_grade", "serious"
    )
