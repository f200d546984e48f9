"""On whole synthetic studies, `itpcohort derive` and the plain-Python reference agree byte for byte.

The reference reads the same CSV files with the ``csv`` module and derives with per-patient loops
(``tests/reference``); the engine imports through DuckDB and derives with Ibis. Same seed, same
courses.csv.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.reference.csv_study import reference_courses

from itpcohort.synth import generate_study


@pytest.mark.parametrize("seed", [31, 32])
def test_derived_courses_equal_the_reference(tmp_path: Path, seed: int) -> None:
    study = tmp_path / "study"
    generate_study(study, patients=300, centers=4, seed=seed)
    result = subprocess.run(
        [sys.executable, "-m", "itpcohort", "derive", str(study), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    expected = tmp_path / "reference_courses.csv"
    n_courses = reference_courses(study, expected)
    assert n_courses > 300
    engine = (tmp_path / "out" / "derived" / "courses.csv").read_text().splitlines()
    reference = expected.read_text().splitlines()
    differing = [(e, r) for e, r in zip(engine, reference, strict=False) if e != r]
    assert len(engine) == len(reference)
    assert differing == []
