"""Intermediate model ``int_exposures_relined_for_agents`` (``protocols.md``, exposure rule 8).

Grain: one row per treatment row, as ``int_treatments_resolved_to_exposures``, with ``line_agent``
read for an exposure protocol.

The protocol's agents are never a line agent (for ``prior_lines``) nor a new ITP treatment (a
second agent of the protocol is the next course); every other drug of the line classes of
``response-criteria.md`` section 2 keeps its line agent, and so does ``rituximab`` when it is not
one of the protocol's agents (a non-rescue rituximab row is then the line agent ``rituximab``: it
cuts the window of the course it starts in and ends its response). With ``agents = ["rituximab"]``
this is section 2 unchanged.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.derive.exposure_rules import ExposureRules

#: the class of section 2 whose drugs are no line agent there (the flagship's own agent) and are
#: one, each its own agent, for any protocol whose agents they are not
_ANTI_CD20 = "anti_cd20"


def int_exposures_relined_for_agents(exposures: ir.Table, rules: ExposureRules) -> ir.Table:
    """Exposures with the protocol's agents out of the lines and rituximab in (rule 8)."""
    e = exposures
    line_agent = ibis.cases(
        (e.drug.isin(rules.agents), ibis.null("string")),
        ((e.drug_class == _ANTI_CD20) & ~e.is_rescue, e.drug),
        else_=e.line_agent,
    )
    return e.mutate(line_agent=line_agent)
