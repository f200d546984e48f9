"""The analysis plan of the flagship study (``flagship-study.md``, Analyses 1–8).

``analyse(tables, config, sensitivity_tables)`` runs every analysis on the executed derived tables
and returns a typed ``StudyResults``; ``write_results_json`` writes it as ``results.json``.
One module per analysis: ``population`` (flow), ``baseline`` (table 1), ``response`` (Analyses
2–3), ``retreatment`` and ``survival`` (Analysis 4), ``predictors`` (Analysis 5), ``safety``
(Analysis 6), ``sensitivity`` (Analysis 7), ``agreement`` (Analysis 8).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from itpcohort.analysis.plan import analyse
    from itpcohort.analysis.results import StudyResults, write_results_json
    from itpcohort.analysis.sensitivity import SENSITIVITY_RUNS, SensitivityRun
    from itpcohort.analysis.tables import AnalysisInputError, DerivedTables, read_derived_tables

#: the module of each name this package exports: loaded on first use (``issue 18``, start-up), so
#: that importing one light module of the package (``sensitivity``) does not load scipy, lifelines
#: and statsmodels with ``plan``
_EXPORTED_FROM = {
    "analyse": "plan",
    "StudyResults": "results",
    "write_results_json": "results",
    "SENSITIVITY_RUNS": "sensitivity",
    "SensitivityRun": "sensitivity",
    "AnalysisInputError": "tables",
    "DerivedTables": "tables",
    "read_derived_tables": "tables",
}


def __getattr__(name: str) -> Any:
    """The exported ``name``, imported from its module the first time it is asked for."""
    module = _EXPORTED_FROM.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "SENSITIVITY_RUNS",
    "AnalysisInputError",
    "DerivedTables",
    "SensitivityRun",
    "StudyResults",
    "analyse",
    "read_derived_tables",
    "write_results_json",
]
