"""Intermediate model ``int_agent_rows_grouped_to_eras`` (``protocols.md``, exposure rule 2).

Grain: one row per patient, agent, start date and last day (rows equal on both are collapsed:
``n_rows`` of them, the first of their stop reasons in vocabulary order as ``stop_rank``,
``is_open_ended`` when one has no ``end_date``), with the number of its era (``era_number``, per
patient and agent, from 1 in start order). Collapsing makes the row order strict, so every
window below has a unique order.

Per patient and agent, rows are taken in start order (ties: later last day first). A row starts a
new era when it is the first, when its ``start_date`` minus the latest last day of the rows before
it is more than ``era_gap_days`` (Circe's custom era strategy, gaps and islands: 30 days apart is
one era, 31 two), or when the agent resumes after an interruption by another agent: another
agent's era started after this era's first start and ended before this row's start. A restart
that overlaps the other agent's era is not a new era (the gap rule alone decides), and a single
row spanning another agent's era is never split.

Readings (the rule refers to eras of other agents, which may themselves be split by this one):

- the interrupting eras are the other agents' eras under the gap rule alone (``gap_eras``), and
  "this era's first start" is the first start of the row's gap-rule era; so the rule is one pass,
  with no cascade of splits through a third agent;
- an interrupting era starts a new era at the first row that starts after the interrupter's end
  (its end lies from the previous row's start to the day before this row's start): the
  interruption is used once, and the next rows continue the new era.

Both are written as windows over rows (running maximum of the last day, running sum of era starts)
and one join of each row with the other agents' few gap-rule eras of its patient.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.derive._common import PATIENT_KEY, as_int, days_between, join_on
from itpcohort.derive.exposure_rules import ExposureRules
from itpcohort.schema import STOP_REASONS

#: rows of one agent of one patient
_AGENT_KEY: tuple[str, str] = ("patient_key", "agent")


def _row_order() -> list[ir.Value]:
    """Start order, later last day first (strict once equal rows are collapsed)."""
    return [ibis.asc("start_date"), ibis.desc("last_day")]


def stop_rank(reason: ir.StringValue) -> ir.IntegerValue:
    """The position of a stop reason in ``STOP_REASONS`` (NULL for an empty reason)."""
    return ibis.cases(
        *((reason == name, ibis.literal(i, "int8")) for i, name in enumerate(STOP_REASONS)),
        else_=ibis.null("int8"),
    )


def _collapsed(rows: ir.Table) -> ir.Table:
    """One row per patient, agent, start and last day."""
    return rows.group_by(*_AGENT_KEY, "start_date", "last_day").aggregate(
        n_rows=rows.count().cast("int64"),
        stop_rank=stop_rank(rows.stop_reason).min(),
        is_open_ended=rows.end_date.isnull().any(),
    )


def _with_gap_eras(rows: ir.Table, rules: ExposureRules) -> ir.Table:
    """Rows numbered into gap-rule eras (``gap_era``), with the era's first start and the
    previous row's start (``previous_start``)."""
    before = ibis.window(group_by=list(_AGENT_KEY), order_by=_row_order(), rows=(None, -1))
    order = ibis.window(group_by=list(_AGENT_KEY), order_by=_row_order())
    latest_before = rows.last_day.max().over(before)
    flagged = rows.mutate(
        starts_gap_era=latest_before.isnull()
        | (days_between(rows.start_date, latest_before) > rules.era_gap_days),
        previous_start=rows.start_date.lag().over(order),
    )
    running = ibis.window(group_by=list(_AGENT_KEY), order_by=_row_order(), rows=(None, 0))
    numbered = flagged.mutate(gap_era=as_int(flagged.starts_gap_era).sum().over(running))
    return numbered.mutate(
        gap_era_start=numbered.start_date.min().over(ibis.window(group_by=[*_AGENT_KEY, "gap_era"]))
    )


def int_agent_rows_grouped_to_eras(rows: ir.Table, rules: ExposureRules) -> ir.Table:
    """Agent rows with ``era_number`` by the gap rule and the switch-back rule (rule 2)."""
    numbered = _with_gap_eras(_collapsed(rows), rules)
    gap_eras = numbered.group_by(*_AGENT_KEY, "gap_era").aggregate(
        other_start=numbered.start_date.min(), other_end=numbered.last_day.max()
    )
    r, e = numbered, gap_eras.rename(other_agent="agent")
    interrupted = (
        r.join(
            e,
            [
                r.patient_key == e.patient_key,
                e.other_agent != r.agent,
                e.other_start > r.gap_era_start,
                e.other_end < r.start_date,
                e.other_end >= r.previous_start,
            ],
        )
        .select(r.patient_key, r.agent, r.start_date, is_interrupted=ibis.literal(True))
        .distinct()
    )
    t = join_on(numbered, interrupted, (*_AGENT_KEY, "start_date"))
    t = t.mutate(starts_era=t.starts_gap_era | t.is_interrupted.fill_null(False))
    running = ibis.window(group_by=list(_AGENT_KEY), order_by=_row_order(), rows=(None, 0))
    return t.select(
        *PATIENT_KEY,
        "agent",
        "start_date",
        "last_day",
        "n_rows",
        "stop_rank",
        "is_open_ended",
        era_number=as_int(t.starts_era).sum().over(running).cast("int32"),
    )
