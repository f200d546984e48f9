"""Section verb ``add_methods``: design, response criteria, statistics and the IWG reference.

The criteria paragraph is generated from ``results["criteria"]`` (the parameters actually used):
every threshold, window and gap of ``response-criteria.md`` is printed with its value, and the
overrides of the named set are listed. ``itpcohort.criteria.methods_prose`` was not on main when
this was written, so the prose is built here from the dict; the overrides are read from
``criteria["overrides"]`` when the criteria layer provides it, otherwise they are the parameters
that differ from the ``iwg2009`` defaults of ``response-criteria.md`` (``IWG2009_DEFAULTS``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from itpcohort.report._blocks import Block, Text
from itpcohort.report._build import heading, paragraph
from itpcohort.report._i18n import Translator

if TYPE_CHECKING:
    from itpcohort.report._report import Report

#: the defaults of the ``iwg2009`` criteria set (``response-criteria.md``), to name overrides
IWG2009_DEFAULTS: dict[str, float] = {
    "course_gap_days": 60,
    "baseline_days": 30,
    "response_window_days": 180,
    "cr_threshold": 100,
    "r_threshold": 30,
    "r_fold": 2,
    "confirm_days": 7,
    "bleeding_min_grade": 2,
    "rescue_exclusion_days": 28,
    "loss_confirm_days": 1,
    "similar_duration_ratio": 0.75,
    "ae_attribution_days": 365,
}
IWG_REFERENCE = (
    "Rodeghiero F, Stasi R, Gernsheimer T, et al. Standardization of terminology, definitions and "
    "outcome criteria in immune thrombocytopenic purpura of adults and children: report from an "
    "international working group. Blood 2009;113:2386–2393."
)
PARAMETERS = tuple(IWG2009_DEFAULTS)


def criteria_overrides(criteria: Mapping[str, Any]) -> dict[str, Any] | None:
    """The parameters that differ from the named set (None when they cannot be known)."""
    if isinstance(criteria.get("overrides"), Mapping):
        return dict(criteria["overrides"])
    if criteria.get("name") != "iwg2009":
        return None
    return {
        name: criteria[name]
        for name in PARAMETERS
        if name in criteria and criteria[name] != IWG2009_DEFAULTS[name]
    }


def _value(t: Translator, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return t.fmt.number(value, 0 if float(value).is_integer() else 2)


def criteria_prose(criteria: Mapping[str, Any], t: Translator) -> str:
    """The methods paragraph of the response criteria, with every parameter's value."""
    if not criteria:
        return t("na.sentence", what=t("methods.criteria_set"))
    overrides = criteria_overrides(criteria)
    if overrides is None:
        override_text = ""
    elif overrides:
        listed = ", ".join(f"{name} = {_value(t, value)}" for name, value in overrides.items())
        override_text = t("methods.overrides", overrides=listed)
    else:
        override_text = t("methods.no_override")
    values = {name: _value(t, criteria.get(name, "?")) for name in PARAMETERS}
    ratio = criteria.get("similar_duration_ratio")
    values["similar_duration_ratio"] = (
        t.fmt.number(float(ratio) * 100, 0) + t.fmt.percent_sign()
        if isinstance(ratio, int | float)
        else "?"
    )
    return t(
        "methods.criteria",
        name=criteria.get("name", "?"),
        version=criteria.get("version", "?"),
        overrides=override_text,
        **values,
    )


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
        paragraph(t("methods.design", min_age=_value(t, settings.get("min_age", 18)))),
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
