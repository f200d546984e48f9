"""The one join every staging model of a per-patient table makes: attach ``patient_key``.

Rows of a patient missing from ``patients`` cannot reach derivation (the import rejects them), so
the join is inner.
"""

from __future__ import annotations

import ibis.expr.types as ir

from itpcohort.derive._common import PATIENT_ID, join_on


def with_patient_key(table: ir.Table, patients: ir.Table) -> ir.Table:
    """``table`` with the ``patient_key`` of ``stg_patients`` attached (inner join on center, id)."""
    return join_on(table, patients.select(*PATIENT_ID, "patient_key"), PATIENT_ID, how="inner")
