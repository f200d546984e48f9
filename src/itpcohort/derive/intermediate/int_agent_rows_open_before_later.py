"""Intermediate model ``int_agent_rows_open_before_later`` (``protocols.md``, "Exposure courses").

Grain: one row per open-ended row of a protocol agent (no ``end_date``, not rescue) that a later
row of the same agent follows: a data-quality warning ("an open-ended row of an agent followed by a
later row of the same agent"), usually a missing end date. The open row runs to follow-up and
swallows the later rows into its era (rule 2). ``later_start_date`` is the first later start.
Reading: "later" is a strictly later start; a row starting the same day is a dose split, not a
restart.
"""

from __future__ import annotations

import ibis.expr.types as ir

from itpcohort.derive._common import PATIENT_ID, PATIENT_KEY, join_on


def int_agent_rows_open_before_later(rows: ir.Table, patients: ir.Table) -> ir.Table:
    """Open-ended agent rows with the first later start of their agent."""
    key = (*PATIENT_KEY, "agent")
    open_rows = rows.filter(rows.end_date.isnull()).select(*key, "start_date").distinct()
    later = rows.select(*key, later_start=rows.start_date)
    pairs = join_on(open_rows, later, key, how="inner")
    pairs = pairs.filter(pairs.later_start > pairs.start_date)
    first_later = pairs.group_by(*key, "start_date").aggregate(
        later_start_date=pairs.later_start.min()
    )
    t = join_on(first_later, patients.select(*PATIENT_KEY, *PATIENT_ID), PATIENT_KEY)
    return t.select(*PATIENT_ID, "agent", "start_date", "later_start_date").order_by(
        [*PATIENT_ID, "agent", "start_date"]
    )
