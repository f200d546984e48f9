"""Intermediate model ``int_platelet_counts_paired_with_next`` (``response-criteria.md`` section 6).

Grain: one row per patient and count date (as ``stg_platelet_counts``), with the date and value of
the patient's next count (NULL for the last). Loss of response looks at two neighbouring counts
("no count between them") among all the patient's counts, whatever course or window they fall in.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.derive._common import PATIENT_KEY


def int_platelet_counts_paired_with_next(counts: ir.Table) -> ir.Table:
    """Each count with ``next_count_date`` and ``next_platelets`` of the patient's next count."""
    by_date = ibis.window(group_by=list(PATIENT_KEY), order_by="count_date")
    return counts.select(
        *PATIENT_KEY,
        "count_date",
        "platelets",
        next_count_date=counts.count_date.lead().over(by_date),
        next_platelets=counts.platelets.lead().over(by_date),
    )
