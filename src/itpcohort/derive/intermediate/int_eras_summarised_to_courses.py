"""Intermediate model ``int_eras_summarised_to_courses`` (``protocols.md``, exposure rules 3–5).

Grain: one row per exposure course (``patient_key``, ``course_number``).

- Rule 3: the eras of all agents of a patient in start order (ties: agent name, alphabetical) are
  courses 1, 2, … An era runs from its first start to its latest last day (``era_end``). A course
  ends at ``era_end`` or on the day before the next course starts, whichever is earlier (a
  cross-taper ends the earlier course); when the next course starts on the same day the course
  ends on its start day (``is_same_day_start``). ``n_rows``: the era's treatment rows.
- Rule 4: ``course_type`` is ``first`` for course 1, ``switch`` when the agent differs from the
  previous course's, else ``retreatment``.
- Rule 5: ``stop_reason`` is the reason of the era's row with the latest last day; several rows on
  that day: the first non-empty reason in vocabulary order; none: ``unknown``. The course is
  ``is_ongoing`` (reason ``unknown`` whatever is recorded) when that row has no ``end_date`` and no
  later course cuts the course. Reading: with several rows on the latest last day, one of them
  without ``end_date`` is enough (the drug was still being taken).

Two eras of one agent never start on the same day (a new era starts after the previous one's
start), so (start, agent) orders the courses strictly.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.derive._common import PATIENT_KEY, earliest, join_on, plus_days
from itpcohort.schema import STOP_REASONS

_ERA_KEY: tuple[str, str, str] = ("patient_key", "agent", "era_number")


def _stop_reason(rank: ir.IntegerValue) -> ir.StringValue:
    return ibis.cases(
        *((rank == i, ibis.literal(name)) for i, name in enumerate(STOP_REASONS)),
        else_=ibis.literal("unknown"),
    )


def int_eras_summarised_to_courses(rows: ir.Table) -> ir.Table:
    """One row per course: agent, type, dates, ``n_rows``, stop reason and ongoing (rules 3–5)."""
    eras = rows.group_by(*_ERA_KEY).aggregate(
        start_date=rows.start_date.min(),
        era_end=rows.last_day.max(),
        n_rows=rows.n_rows.sum().cast("int64"),
    )
    last_rows = join_on(rows, eras.select(*_ERA_KEY, "era_end"), _ERA_KEY, how="inner")
    last_rows = last_rows.filter(last_rows.last_day == last_rows.era_end)
    stops = last_rows.group_by(*_ERA_KEY).aggregate(
        stop_rank=last_rows.stop_rank.min(),
        last_row_open=last_rows.is_open_ended.any(),
    )
    e = join_on(eras, stops, _ERA_KEY)
    order = ibis.window(group_by=list(PATIENT_KEY), order_by=["start_date", "agent"])
    ordered = e.mutate(
        course_number=(ibis.row_number().over(order) + 1).cast("int32"),
        next_course_start=e.start_date.lead().over(order),
        previous_agent=e.agent.lag().over(order),
    )
    t = ordered
    is_cut = (t.next_course_start <= t.era_end).fill_null(False)
    is_same_day_start = (t.next_course_start == t.start_date).fill_null(False)
    is_ongoing = t.last_row_open & ~is_cut
    return t.select(
        *PATIENT_KEY,
        "course_number",
        "agent",
        course_type=ibis.cases(
            (t.previous_agent.isnull(), "first"),
            (t.previous_agent != t.agent, "switch"),
            else_="retreatment",
        ),
        start_date=t.start_date,
        end_date=ibis.ifelse(
            is_same_day_start,
            t.start_date,
            earliest(t.era_end, plus_days(t.next_course_start, -1)),
        ),
        era_end=t.era_end,
        n_rows=t.n_rows,
        stop_reason=ibis.ifelse(is_ongoing, "unknown", _stop_reason(t.stop_rank)),
        is_ongoing=is_ongoing,
        is_same_day_start=is_same_day_start,
        next_course_start=t.next_course_start,
    )
