"""Intermediate model ``int_courses_rescue_overlaps`` (``response-criteria.md`` section 4).

Grain: one row per course whose assessment window meets a rescue exclusion interval.

Reading of the ``rescue_in_window`` flag (the spec names it without defining it): some rescue
exposure's exclusion interval [rescue start, exposure end + ``rescue_exclusion_days``] shares at
least one day with the window (start_date, window_end], so a rescue decided which counts of the
window could qualify a response. A rescue given before the course whose interval reaches into the
window is flagged too ("a rescue exposure counts wherever it started").
"""

from __future__ import annotations

import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive._common import COURSE_KEY, PATIENT_KEY, join_on, plus_days


def int_courses_rescue_overlaps(
    windows: ir.Table, exposures: ir.Table, criteria: Criteria
) -> ir.Table:
    """Courses whose window (start, window_end] meets a rescue exclusion interval."""
    rescues = exposures.filter(exposures.is_rescue).select(
        *PATIENT_KEY,
        rescue_start=exposures.start_date,
        exclusion_end=plus_days(exposures.exposure_end_date, criteria.rescue_exclusion_days),
    )
    pairs = join_on(
        windows.select(*COURSE_KEY, "start_date", "window_end"), rescues, PATIENT_KEY, how="inner"
    )
    overlapping = pairs.filter(
        (pairs.rescue_start <= pairs.window_end)
        & (pairs.exclusion_end > pairs.start_date)
        & (pairs.window_end > pairs.start_date)
    )
    return overlapping.select(*COURSE_KEY).distinct()
