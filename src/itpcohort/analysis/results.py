"""The typed results of a study run and their ``results.json`` form (``flagship-study.md``).

``StudyResults.to_json_dict()`` gives every key of the results.json contract, in a fixed order,
plus details (flow by reason, 4 × 4 cross-table, time to response, table-1 lines, safety details,
investigator agreement, notes). Floats are rounded to 10 significant digits, so that the file does
not change with the last bits of a platform's floating point; NaN and infinities are written as
``null``; a proportion is always ``{"n", "denominator", "pct", "ci_low", "ci_high"}`` in percent.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from itpcohort.analysis.agreement import Agreement
from itpcohort.analysis.baseline import BaselineTable
from itpcohort.analysis.estimates import Proportion, Quantiles
from itpcohort.analysis.population import Flow
from itpcohort.analysis.predictors import FirthModel, Predictors
from itpcohort.analysis.response import CourseResponse, CrossTable, LaterCourse
from itpcohort.analysis.retreatment_outcomes import DurationSummary
from itpcohort.analysis.safety import Safety
from itpcohort.analysis.sensitivity import SensitivityRow
from itpcohort.analysis.switch import SwitchResults

SIGNIFICANT_DIGITS = 10


@dataclass(frozen=True)
class RetreatmentResults:
    """Primary outcome and retreatment comparisons (``retreatment`` of results.json)."""

    orr_course2: Proportion
    cr_course2: Proportion
    response2_among_responders1: Proportion
    response2_among_nonresponders1: Proportion
    response2_among_ne1: Proportion
    response_similar_or_better: Proportion
    duration_similar_or_longer: Proportion
    mcnemar_p: float
    mcnemar_b: int
    mcnemar_c: int


@dataclass(frozen=True)
class TimeToResponse:
    """Median and IQR of the time to response (days) among the responders of one course."""

    course: int
    days: Quantiles


@dataclass(frozen=True)
class StudyResults:
    """Every number of the flagship study's report (``results.json``)."""

    criteria: dict[str, Any]
    analysis_settings: dict[str, Any]
    flow: Flow
    cohort: BaselineTable
    courses: list[CourseResponse]
    later_courses: list[LaterCourse]
    cross_table: CrossTable
    retreatment: RetreatmentResults
    time_to_response: list[TimeToResponse]
    duration_by_course: list[DurationSummary]
    cr_duration_by_course: list[DurationSummary]
    predictors: Predictors
    safety: Safety
    sensitivity: list[SensitivityRow]
    investigator_agreement: Agreement | None
    notes: list[str] = field(default_factory=list)
    generated_at: str | None = None
    version: str = ""
    #: the by-reason and by-direction analyses of the ``first_switch`` design (``protocols.md``,
    #: The tpo-ra-switch analysis plan); None for other designs (no ``switch`` key written)
    switch: SwitchResults | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """The results.json document: contract keys first, in a fixed order, JSON-ready values."""
        document: dict[str, Any] = {
            "generated_at": self.generated_at,
            "itpcohort_version": self.version,
            "criteria": self.criteria,
            "analysis": self.analysis_settings,
            "notes": self.notes,
            "flow": {
                "screened": self.flow.screened,
                "included": self.flow.included,
                "excluded": self.flow.excluded,
                "excluded_any_reason": self.flow.excluded_any,
                "exclusion_order": list(self.flow.order),
            },
            "cohort": _cohort(self.cohort),
            "courses": [_course(c) for c in self.courses],
            "later_courses": [
                {"course": c.course, "n_patients": c.n_patients, **c.counts}
                for c in self.later_courses
            ],
            "cross_table": {
                "rows": "course 1",
                "columns": "course 2",
                "levels": list(self.cross_table.levels),
                "counts": self.cross_table.counts,
            },
            "retreatment": self.retreatment,
            "time_to_response": [
                {"course": t.course, **_plain(t.days)} for t in self.time_to_response
            ],
            "duration": {
                "by_course": self.duration_by_course,
                "cr_by_course": self.cr_duration_by_course,
            },
            "predictors": _predictors(self.predictors),
            "safety": self.safety,
            "sensitivity": self.sensitivity,
            "investigator_agreement": self.investigator_agreement,
        }
        if self.switch is not None:
            document["switch"] = self.switch.to_json_dict()
        return _plain(document)


def _cohort(table: BaselineTable) -> dict[str, Any]:
    first = {
        "n_patients": table.n_patients,
        "n_centers": table.n_centers,
        "primary_itp": table.primary_itp,
        "secondary_itp": table.secondary_itp,
        "age_at_diagnosis": table.age_at_diagnosis,
        "age_at_first_course": table.age_at_first_course,
        "prior_lines": table.prior_lines,
    }
    rest = {
        f.name: getattr(table, f.name)
        for f in dataclasses.fields(table)
        if f.name not in first
        and not (f.name in BaselineTable.OPTIONAL and getattr(table, f.name) is None)
    }
    return {**first, **rest}


def _course(course: CourseResponse) -> dict[str, Any]:
    return {"course": course.course, **course.counts, "orr": course.orr, "cr": course.cr}


def _firth_single(model: FirthModel) -> dict[str, Any]:
    term = model.terms[0] if model.terms else None
    return {
        "odds_ratio": term.odds_ratio if term else None,
        "ci_low": term.ci_low if term else None,
        "ci_high": term.ci_high if term else None,
        "p": term.p if term else None,
        "coef": term.coef if term else None,
        "n": model.n,
        "events": model.events,
        "note": model.note,
    }


def _predictors(predictors: Predictors) -> dict[str, Any]:
    model = predictors.multivariable
    return {
        "univariable": predictors.univariable,
        "selection_p": predictors.selection_p,
        "selected": predictors.selected,
        "response_course1_firth": _firth_single(predictors.response_course1_firth),
        "multivariable": model.terms,
        "multivariable_model": {
            "factors": model.factors,
            "n": model.n,
            "events": model.events,
            "note": model.note,
        },
    }


def _number(value: float) -> float | None:
    if not math.isfinite(value):
        return None
    if value == 0:
        return 0.0
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready Python: dataclasses as dicts (field order), rounded finite floats."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return _number(float(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    raise TypeError(f"cannot write {type(value).__name__} to results.json")


def write_results_json(results: StudyResults, path: Path, generated_at: str) -> None:
    """Write ``results.json`` with ``generated_at`` set (the only field that differs between runs).

    UTF-8, 2-space indentation, keys in the fixed order of ``to_json_dict``, no NaN.
    """
    document = dataclasses.replace(results, generated_at=generated_at).to_json_dict()
    write_results_document(document, path)


def write_results_document(document: Mapping[str, Any], path: Path) -> None:
    """Write a results document as JSON: UTF-8, 2-space indentation, key order kept, no NaN."""
    text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)
    Path(path).write_text(text + "\n", encoding="utf-8")
