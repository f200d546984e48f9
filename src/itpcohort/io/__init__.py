"""Readers of center files (CSV folders, xlsx workbooks) and validation of the input contract.

``validate_inputs(inputs, config)`` checks a study (``data-model.md``) and returns a
``ValidationReport``; ``safe_csv.write_csv`` writes spreadsheet-safe CSV files for every layer.
"""

from itpcohort.io.import_report import ImportReport, TableCounts, ValidationReport
from itpcohort.io.sources import resolve_config
from itpcohort.io.validation import validate_inputs
from itpcohort.shared.safe_csv import write_csv

__all__ = [
    "ImportReport",
    "TableCounts",
    "ValidationReport",
    "resolve_config",
    "validate_inputs",
    "write_csv",
]
