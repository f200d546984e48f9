"""Staging model ``stg_investigator_assessments`` (``response-criteria.md`` section 9).

Grain: one row per recorded investigator assessment (patient and course number).
"""

from __future__ import annotations

import ibis.expr.types as ir


def stg_investigator_assessments(investigator_assessments: ir.Table) -> ir.Table:
    """Investigator responses, upper-cased (``CR``/``R``/``NR``/``NE``), keyed by course number."""
    a = investigator_assessments
    return a.select(
        "center",
        "patient_id",
        course_number=a.course_number.cast("int64"),
        investigator_response=a.response.upper(),
    )
