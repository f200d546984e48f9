"""Fixtures of the report tests: results.json of the realistic analysis fixture cohort, written once.

The results are built with the analysis layer itself (``analyse`` on the executed derived tables
of ``tests/fixtures/analysis/realistic`` and its two re-derivations), plus the keys the pipeline
adds (``generated_at``, ``data_quality``, ``provenance``), so the report is tested on real output.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from itpcohort.analysis import DerivedTables, analyse, read_derived_tables
from itpcohort.config import StudyConfig
from itpcohort.report import ReportFiles, write_report

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "analysis"
GENERATED_AT = "2025-06-01T10:00:00+00:00"

DATA_QUALITY = {
    "tables": [
        {
            "center": "LYO",
            "table": "platelet_counts",
            "rows_read": 12345,
            "rows_loaded": 12340,
            "rows_rejected": 5,
        },
        {
            "center": "LYO",
            "table": "patients",
            "rows_read": 35,
            "rows_loaded": 35,
            "rows_rejected": 0,
        },
        {
            "center": "TLS",
            "table": "treatments",
            "rows_read": 410,
            "rows_loaded": 409,
            "rows_rejected": 1,
        },
    ],
    "first_rejections": [
        {
            "file": "LYO/platelet_counts.csv",
            "row": 17,
            "column": "count",
            "value": '=HYPERLINK("http://x")',
            "reason": "not a number",
        },
        {
            "file": "TLS/treatments.csv",
            "row": 3,
            "column": "start_date",
            "value": "31/02/2019",
            "reason": "not a date (expected YYYY-MM-DD)",
        },
    ],
    "n_warnings": 2,
}
PROVENANCE = {
    "itpcohort_version": "0.1.0",
    "python": "3.11.2",
    "duckdb": "1.2.0",
    "ibis": "12.0.0",
    "inputs": [
        {"path": "data/LYO", "sha256": "a" * 64},
        {"path": "data/TLS.xlsx", "sha256": "0123456789abcdef" * 4},
    ],
}


@dataclass(frozen=True)
class Cohort:
    """Results dict and derived tables of one fixture cohort."""

    results: dict[str, Any]
    derived: DerivedTables


@pytest.fixture(scope="session")
def realistic() -> Cohort:
    """The realistic fixture cohort, analysed, with the pipeline's extra keys."""
    folder = FIXTURES / "realistic"
    tables = read_derived_tables(folder)
    sensitivity = {
        name: read_derived_tables(folder / name) for name in ("confirm_28_days", "window_90_days")
    }
    results = analyse(tables, StudyConfig(), sensitivity).to_json_dict()
    results["generated_at"] = GENERATED_AT
    results["data_quality"] = copy.deepcopy(DATA_QUALITY)
    results["provenance"] = copy.deepcopy(PROVENANCE)
    return Cohort(results, tables)


@pytest.fixture(scope="session")
def written(realistic: Cohort, tmp_path_factory: pytest.TempPathFactory) -> dict[str, ReportFiles]:
    """The report of the realistic cohort written in English and in French."""
    out = {}
    for lang in ("en", "fr"):
        folder = tmp_path_factory.mktemp(f"report_{lang}")
        out[lang] = write_report(realistic.results, realistic.derived, folder, lang)
    return out
