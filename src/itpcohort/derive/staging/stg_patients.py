"""Staging model ``stg_patients`` (``data-model.md``, patients; ``response-criteria.md`` sections 2, 6).

Grain: one row per patient (``center``, ``patient_id``). Partial dates arrive at the middle of their
period from the canonical table.

Adds ``patient_key``, an integer numbering patients in (center, patient_id) order, that every other
model partitions and joins on, and ``censor_date``, the earliest of last follow-up and death: the
date a response duration is censored at and the latest end of an assessment window.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.derive._common import PATIENT_ID, earliest


def stg_patients(patients: ir.Table) -> ir.Table:
    """Patients typed and renamed, with ``patient_key`` and ``censor_date``."""
    return patients.select(
        # ids
        patient_key=ibis.row_number().over(order_by=list(PATIENT_ID)).cast("int32"),
        center=patients.center,
        patient_id=patients.patient_id,
        # attributes
        sex=patients.sex,
        itp_type=patients.itp_type,
        secondary_cause=patients.secondary_cause,
        # dates
        birth_date=patients.birth_date,
        diagnosis_date=patients.diagnosis_date,
        last_followup_date=patients.last_followup_date,
        death_date=patients.death_date,
        censor_date=earliest(patients.last_followup_date, patients.death_date),
    )
