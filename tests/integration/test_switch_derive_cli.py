"""`itpcohort derive --protocol tpo-ra-switch` on a generated switch study equals the reference.

The CLI imports the center files and derives exposure courses through the compiled DuckDB path
(``derivation.compile_derivation``); the plain-Python reference (``tests/reference/exposure.py``)
derives the same canonical rows, read back from the study database, with per-patient loops. The
reference's courses and adverse events, laid out by the CSV writer of ``derive.serialize``, must be
byte for byte the files the CLI wrote (``protocols.md``, Exposure courses).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import ibis
import pyarrow as pa
from tests.reference.exposure import Rules, derive_exposure_reference

from itpcohort.criteria import Criteria
from itpcohort.derive.serialize import table_csv_bytes
from itpcohort.derived_schema import AE_BY_EXPOSURE_COURSE, EXPOSURE_COURSES, Mart
from itpcohort.protocols import load_protocol
from itpcohort.schema import CANONICAL_COLUMNS
from itpcohort.synth._switch import generate_switch_study


def _csv(mart: Mart, rows: list[dict[str, object]]) -> bytes:
    schema = ibis.schema(dict(mart.columns)).to_pyarrow()
    return table_csv_bytes(pa.Table.from_pylist(rows, schema=schema), mart.names, mart.sort_by)


def test_switch_courses_through_the_cli_equal_the_reference(tmp_path: Path) -> None:
    study = tmp_path / "study"
    generate_switch_study(study, patients=120, centers=3, seed=7)
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "itpcohort",
            "derive",
            str(study),
            "--out",
            str(out),
            "--protocol",
            "tpo-ra-switch",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    derived = out / "derived"
    assert sorted(p.name for p in derived.iterdir()) == [
        "ae_by_course.csv",
        "courses.csv",
        "patient_baseline.csv",
        "patient_treatment_events.csv",
    ]
    with duckdb.connect(str(out / "study.duckdb"), read_only=True) as con:
        rows = {
            name: con.sql(f'SELECT {", ".join(c for c, _ in columns)} FROM main."{name}"')
            .to_arrow_table()
            .to_pylist()
            for name, columns in CANONICAL_COLUMNS.items()
            if name != "biomarkers"
        }
    courses = load_protocol("tpo-ra-switch").courses
    rules = Rules(courses.agents, courses.era_gap_days, courses.exposure_effect_days)
    expected = derive_exposure_reference(rows, rules, Criteria())
    assert len(expected["courses"]) > 150
    assert {r["course_type"] for r in expected["courses"]} >= {"first", "switch"}
    assert (derived / "courses.csv").read_bytes() == _csv(EXPOSURE_COURSES, expected["courses"])
    assert (derived / "ae_by_course.csv").read_bytes() == _csv(
        AE_BY_EXPOSURE_COURSE, expected["ae_by_course"]
    )
