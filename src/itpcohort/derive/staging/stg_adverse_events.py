"""Staging model ``stg_adverse_events`` (``data-model.md``, adverse_events; ``response-criteria.md`` 8).

Grain: one row per adverse event, as recorded.
"""

from __future__ import annotations

import ibis.expr.types as ir


def stg_adverse_events(adverse_events: ir.Table) -> ir.Table:
    """Adverse events with the columns section 8 reports."""
    return adverse_events.select(
        "center", "patient_id", "onset_date", "event", "ctcae_grade", "serious"
    )
