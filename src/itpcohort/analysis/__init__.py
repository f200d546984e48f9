"""The analysis plan of the flagship study (``flagship-study.md``, Analyses 1–8).

``analyse(tables, config, sensitivity_tables)`` runs every analysis on the executed derived tables
and returns a typed ``StudyResults``; ``write_results_json`` writes it as ``results.json``.
One module per analysis: ``population`` (flow), ``baseline`` (table 1), ``response`` (Analyses
2–3), ``retreatment`` and ``survival`` (Analysis 4), ``predictors`` (Analysis 5), ``safety``
(Analysis 6), ``sensitivity`` (Analysis 7), ``agreement`` (Analysis 8).
"""

from itpcohort.analysis.plan import analyse
from itpcohort.analysis.results import StudyResults, write_results_json
from itpcohort.analysis.sensitivity import SENSITIVITY_RUNS, SensitivityRun
from itpcohort.analysis.tables import AnalysisInputError, DerivedTables, read_derived_tables

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
