"""Section verb ``add_methods``: design, response criteria, statistics and the IWG reference.

The criteria paragraph is ``itpcohort.criteria.methods_prose``, generated from the criteria set the
derivations used: ``results["criteria"]`` (name, version, every parameter) is turned back into a
checked ``Criteria`` (the named set with the listed values), so the prose states every threshold,
window and gap with its value and names the overrides. When the set cannot be rebuilt (an unknown
set name, no criteria in the results), the paragraph says the criteria are not available; the
parameter values are still listed in the reproducibility section.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from itpcohort.criteria import PARAMETERS, Criteria, apply_overrides, criteria_set, methods_prose
from itpcohort.errors import InputError
from itpcohort.report._blocks import Block, Paragraph, Text
from itpcohort.report._build import heading, paragraph
from itpcohort.report._i18n import Translator

if TYPE_CHECKING:
    from itpcohort.report._report import Report

IWG_REFERENCE = (
    "Rodeghiero F, Stasi R, Gernsheimer T, et al. Standardization of terminology, definitions and "
    "outcome criteria in immune thrombocytopenic purpura of adults and children: report from an "
    "international working group. Blood 2009;113:2386–2393."
)
PARAMETER_NAMES = tuple(parameter.name for parameter in PARAMETERS)
#: the paragraph style of the lines that print the protocol (class ``protocol-print`` in HTML)
PROTOCOL_STYLE = "protocol-print"


def criteria_from_results(criteria: Mapping[str, Any]) -> Criteria | None:
    """The ``Criteria`` of ``results["criteria"]``, or None when it cannot be rebuilt."""
    if not criteria:
        return None
    try:
        base = criteria_set(str(criteria.get("name")), "results.json")
        values = {name: criteria[name] for name in PARAMETER_NAMES if name in criteria}
        rebuilt = apply_overrides(base, values, "results.json")
    except InputError:
        return None
    return dataclasses.replace(rebuilt, version=str(criteria.get("version", rebuilt.version)))


def criteria_overrides(criteria: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters that differ from the named set (``overrides`` of results, else rebuilt)."""
    if isinstance(criteria.get("overrides"), Mapping):
        return dict(criteria["overrides"])
    rebuilt = criteria_from_results(criteria)
    if rebuilt is None:
        return {}
    return {name: getattr(rebuilt, name) for name in rebuilt.overrides}


def criteria_prose(criteria: Mapping[str, Any], t: Translator) -> str:
    """The methods paragraph of the response criteria, with every parameter's value, naming the
    protocol's treatment (its course rules)."""
    rebuilt = criteria_from_results(criteria)
    if rebuilt is None:
        return t("na.sentence", what=t("methods.criteria_set"))
    return methods_prose(dataclasses.replace(rebuilt, courses=t.protocol.courses), t.lang)


def protocol_prose(report: Report) -> Paragraph:
    """The protocol printed in full in the methods (``protocols.md``: name, version, every field),
    as one paragraph of style ``protocol-print``."""
    t, protocol = report.t, report.protocol
    fields = "; ".join(f"{key} = {value}" for key, value in protocol.fields())
    return paragraph(
        Text(t("methods.protocol", name=protocol.name, version=protocol.version)),
        Text(fields, verbatim=True),
        Text("."),
        style=PROTOCOL_STYLE,
    )


def protocol_listing(report: Report) -> list[Block]:
    """The protocol printed in full in the reproducibility section: where it was read, then one
    line per field as read (``protocols.md``), each of style ``protocol-print``."""
    t, protocol = report.t, report.protocol
    source = t("repro.protocol_builtin") if protocol.is_builtin else protocol.source
    blocks: list[Block] = [
        paragraph(
            t("repro.protocol", name=protocol.name, version=protocol.version, source=source),
            style=PROTOCOL_STYLE,
        )
    ]
    blocks += [
        paragraph(Text(f"{key} = {value}", verbatim=True), style=PROTOCOL_STYLE)
        for key, value in protocol.fields()
    ]
    return blocks


def add_methods(report: Report) -> Report:
    """Append the "Methods" section: design, criteria, statistical analysis, reference."""
    t, f, results = report.t, report.t.fmt, report.results
    settings = results.get("analysis") or {}
    criteria = results.get("criteria") or {}
    sensitivity_names = [
        str(row.get("name"))
        for row in results.get("sensitivity") or []
        if row.get("name") != "primary"
    ]
    sensitivity = f.semicolon().join(t.label("sensitivity", name) for name in sensitivity_names)
    selection_p = settings.get("selection_p")
    blocks: list[Block] = [
        heading(report, 1, "section.methods"),
        heading(report, 2, "section.methods.design"),
        paragraph(t("methods.design", min_age=f.integer(settings.get("min_age", 18)))),
        protocol_prose(report),
        heading(report, 2, "section.methods.criteria"),
        paragraph(criteria_prose(criteria, t)),
        heading(report, 2, "section.methods.statistics"),
        paragraph(
            t(
                "methods.statistics",
                selection_p=f.number(selection_p, 2) if selection_p is not None else "?",
                sensitivity=sensitivity or t("na"),
            )
        ),
        heading(report, 2, "section.methods.references"),
        paragraph(Text("1. "), Text(IWG_REFERENCE, verbatim=True), style="reference"),
    ]
    return report.append(*blocks)
