"""Staging model ``stg_patients`` (``data-model.md``, patients; ``response-criteria.md`` sections 2, 6).

Grain: one row per patient (``center``, ``patient_id``). Partial dates arrive at the middle of their
period from the canonical table. Adds ``censor_date``, the earliest of last follow-up and death:
the date a response duration is censored at and the latest end of an assessment window.
"""

from __future__ import annotations

import ibis.expr.types as ir

from itpcohort.derive._common import earliest


def stg_patients(patients: ir.Table) -> ir.Table:
    """Patients typed and renamed, with ``censor_date`` = earliest of last follow-up and death."""
    return patients.select(
        # ids
        "center",
        "patient_id",
        # attributes
        "sex",
        "itp_type",
        "secondary_cause",
        # dates
        "birth_date",
        "diagnosis_date",
        "last_followup_date",
        "death_date",
        censor_date=earliest(patients.last_followup_date, patients.death_date),
    )
