"""Intermediate model ``int_events_collected_to_days`` (``response-criteria.md`` sections 4, 5, 6).

Grain: one row per patient and day holding at least one qualifying bleeding event or the start of
a rescue exposure.

- A bleeding event qualifies when its WHO grade is >= ``bleeding_min_grade`` or it is severe.
- A rescue exposure is any row of class ``ivig`` or ``supportive`` or any row flagged rescue,
  wherever it started; its exclusion interval runs from its start to ``rescue_exclusion_days``
  after the end of its exposure, inclusive (``exclusion_end``, the day's latest).

``n_events`` counts the events of the day that void a confirming run (section 5) and end a response
(section 6): qualifying bleeds and rescue starts.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive._common import PATIENT_KEY, plus_days


def int_events_collected_to_days(
    bleeding_events: ir.Table, exposures: ir.Table, criteria: Criteria
) -> ir.Table:
    """Per patient-day: ``n_events`` and the latest rescue ``exclusion_end`` (sections 4–6)."""
    b = bleeding_events
    bleeds = b.filter((b.who_grade >= criteria.bleeding_min_grade).fill_null(False) | b.is_severe)
    bleed_days = bleeds.select(
        *PATIENT_KEY,
        event_date=bleeds.bleed_date,
        exclusion_end=ibis.null("date"),
        is_bleed=ibis.literal(1),
        is_rescue_start=ibis.literal(0),
    )
    rescues = exposures.filter(exposures.is_rescue)
    rescue_days = rescues.select(
        *PATIENT_KEY,
        event_date=rescues.start_date,
        exclusion_end=plus_days(rescues.exposure_end_date, criteria.rescue_exclusion_days),
        is_bleed=ibis.literal(0),
        is_rescue_start=ibis.literal(1),
    )
    events = bleed_days.union(rescue_days)
    return events.group_by(*PATIENT_KEY, "event_date").aggregate(
        n_events=(events.is_bleed + events.is_rescue_start).sum().cast("int64"),
        exclusion_end=events.exclusion_end.max(),
    )
