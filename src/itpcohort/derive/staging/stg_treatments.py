"""Staging model ``stg_treatments`` (``data-model.md``, treatments; ``response-criteria.md`` section 2).

Grain: one row per treatment row (one exposure, or one administration for infusions), keyed by
``patient_key``.

Applies the rules of the data model that the canonical table leaves to derivation:

- ``is_rescue``: rows of the classes ``ivig`` and ``supportive`` are always rescue, whatever the
  ``rescue`` column says; any other row is rescue when flagged.
- ``is_single_day``: an empty ``end_date`` means a single day for administrations and procedures
  (``schema.SINGLE_DAY_DRUGS``), for the rescue classes and for any rescue row; otherwise "ongoing".
- ``line_agent``: the agent a row counts as for lines of treatment, NULL when it never counts
  (rescue rows, ``ivig``/``supportive``, the protocol's agents). All corticosteroids are the one
  agent ``corticosteroids``; every drug of ``tpo_ra``, ``immunosuppressant``, ``other_itp``,
  ``other`` is its own agent (all ``other`` rows are one agent); ``splenectomy`` is one agent; an
  ``anti_cd20`` drug is its own agent when it is not one of the protocol's agents (``protocols.md``,
  exposure rule 8, read for infusion protocols too: with the agents of the default protocol this
  is exactly section 2).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive.staging._keyed import with_patient_key
from itpcohort.schema import LINE_AGENT_CLASSES, RESCUE_CLASSES, SINGLE_DAY_DRUGS

#: the class of the drugs that are line agents only when they are not the protocol's (rule 8)
_LINE_AGENT_UNLESS_PROTOCOL = "anti_cd20"


def is_rescue(treatments: ir.Table) -> ir.BooleanValue:
    """Rescue rows: the classes ``ivig`` and ``supportive`` always, any other row when flagged
    (``data-model.md``, treatments)."""
    return treatments.rescue.fill_null(False) | treatments.drug_class.isin(RESCUE_CLASSES)


def is_single_day(treatments: ir.Table) -> ir.BooleanValue:
    """Rows whose empty ``end_date`` means a single day: administrations and procedures
    (``schema.SINGLE_DAY_DRUGS``) and rescue rows; for any other row it means "ongoing"
    (``data-model.md``, treatments)."""
    return treatments.drug.isin(SINGLE_DAY_DRUGS) | is_rescue(treatments)


def stg_treatments(treatments: ir.Table, patients: ir.Table, criteria: Criteria) -> ir.Table:
    """Treatment rows with ``is_rescue``, ``is_single_day`` and ``line_agent`` (section 2; the
    protocol's agents never count as lines, ``protocols.md`` exposure rule 8)."""
    t = with_patient_key(treatments, patients)
    line_agent = ibis.cases(
        (is_rescue(t), ibis.null("string")),
        (t.drug.isin(criteria.courses.agents), ibis.null("string")),
        (t.drug_class == "corticosteroids", ibis.literal("corticosteroids")),
        (t.drug_class.isin(LINE_AGENT_CLASSES), t.drug),
        (t.drug == "splenectomy", ibis.literal("splenectomy")),
        (t.drug_class == _LINE_AGENT_UNLESS_PROTOCOL, t.drug),
        else_=ibis.null("string"),
    )
    return t.select(
        # ids
        "patient_key",
        # what was given
        "drug",
        "drug_class",
        "dose",
        "dose_unit",
        # dates
        "start_date",
        "end_date",
        # derived roles
        is_rescue=is_rescue(t),
        is_single_day=is_single_day(t),
        line_agent=line_agent,
        # why the row stopped, as given (NULL: unknown); read by exposure courses only
        stop_reason=t.stop_reason,
    )
