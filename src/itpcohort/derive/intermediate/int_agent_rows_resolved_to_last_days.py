"""Intermediate model ``int_agent_rows_resolved_to_last_days`` (``protocols.md``, exposure rule 1).

Grain: one row per treatment row of a protocol agent that is not rescue (a rescue row of an agent
is a rescue exposure of ``response-criteria.md`` section 4, never part of a course).

``last_day``: the earliest of the row's ``end_date`` (when given), ``last_followup_date`` and
``death_date``; an empty ``end_date`` means ongoing, so its last day is the earlier of follow-up
and death. Reading: a row that starts after that date (the data model allows a treatment start
after last follow-up) lasts its start day only, so a row never ends before it starts.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.derive._common import PATIENT_KEY, earliest, join_on
from itpcohort.derive.exposure_rules import ExposureRules


def int_agent_rows_resolved_to_last_days(
    treatments: ir.Table, patients: ir.Table, rules: ExposureRules
) -> ir.Table:
    """Non-rescue rows of the protocol's agents with their ``last_day`` (rule 1)."""
    rows = treatments.filter(treatments.drug.isin(rules.agents) & ~treatments.is_rescue)
    dates = patients.select(*PATIENT_KEY, "last_followup_date", "death_date")
    t = join_on(rows, dates, PATIENT_KEY, how="inner")
    last_day = earliest(t.end_date, t.last_followup_date, t.death_date)
    return t.select(
        *PATIENT_KEY,
        agent=t.drug,
        start_date=t.start_date,
        end_date=t.end_date,
        last_day=ibis.ifelse(last_day < t.start_date, t.start_date, last_day),
        stop_reason=t.stop_reason,
    )
