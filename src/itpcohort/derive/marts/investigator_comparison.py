"""Mart ``investigator_comparison`` (``response-criteria.md`` section 9).

Grain: one row per investigator assessment.

``derived_response`` is the course's derived best response (NULL when the patient has no such
course); ``agrees`` is true when both responses are equal, false otherwise (also when the course
does not exist). The derived response is always the one analysed.
"""

from __future__ import annotations

import ibis.expr.types as ir

from itpcohort.derive._common import PATIENT_ID, as_declared, join_on
from itpcohort.derived_schema import INVESTIGATOR_COMPARISON

#: the columns of ``derived/investigator_comparison.csv``, in order (``derived_schema.INVESTIGATOR_COMPARISON``)
INVESTIGATOR_COMPARISON_COLUMNS: tuple[str, ...] = INVESTIGATOR_COMPARISON.names


def investigator_comparison(assessments: ir.Table, courses: ir.Table) -> ir.Table:
    """Each investigator assessment beside the derived response of the same course (section 9)."""
    keys = (*PATIENT_ID, "course_number")
    derived = courses.select(*keys, derived_response=courses.response)
    t = join_on(assessments, derived, keys)
    return as_declared(
        t.select(
            *keys,
            "investigator_response",
            "derived_response",
            agrees=(t.investigator_response == t.derived_response).fill_null(False),
        ),
        INVESTIGATOR_COMPARISON,
    )
