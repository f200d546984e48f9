"""`itpcohort validate` on a messy synthetic cohort lists every injected error and nothing else.

The synthetic generator writes ``injected_errors.csv`` (file, row, column, kind) for each error it
puts into the files; the validator, written independently, must name exactly those cells (issue 3,
"Done means"). Rows held back because their patient's row was rejected are consequences, listed
apart, and warnings are not errors: neither counts here.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from tests.cli import itpcohort

from itpcohort.synth import generate_exposure_study, generate_study


def _problems(output: str, study: Path) -> set[tuple[str, int, str]]:
    prefix = re.escape(f"{study}/")
    pattern = re.compile(rf"^{prefix}(?P<file>[^:]+):(?P<row>\d+): (?P<column>[a-z_]+): ")
    found = set()
    for line in output.splitlines():
        match = pattern.match(line)
        if match:
            found.add((match["file"], int(match["row"]), match["column"]))
    return found


def _manifest(study: Path) -> set[tuple[str, int, str]]:
    with (study / "injected_errors.csv").open(newline="", encoding="utf-8") as handle:
        return {(r["file"], int(r["row"]), r["column"]) for r in csv.DictReader(handle)}


@pytest.mark.parametrize("seed", [11, 12])
def test_validate_names_exactly_the_injected_cells(tmp_path: Path, seed: int) -> None:
    study = tmp_path / "study"
    generate_study(study, patients=600, centers=4, seed=seed, messy=0.01)
    injected = _manifest(study)
    assert len(injected) > 50  # 1% of ~40k rows: every kind has a chance to appear

    result = itpcohort("validate", str(study))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    listed = _problems(result.stdout + result.stderr, study)
    assert sorted(injected - listed) == [], "injected but not reported"
    assert sorted(listed - injected) == [], "reported but not injected"


def test_validate_names_exactly_the_injected_cells_of_a_switch_cohort(tmp_path: Path) -> None:
    """The exposure generator's errors follow the same rules, stop reasons and TPO-RAs included."""
    study = tmp_path / "study"
    generate_exposure_study(study, patients=500, centers=3, seed=21, messy=0.05)
    injected = _manifest(study)
    columns = {column for file, _, column in injected if file.endswith("/treatments.csv")}
    assert {"drug", "stop_reason", "end_date", "start_date"} <= columns

    result = itpcohort("validate", str(study), "--protocol", "tpo-ra-switch")
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    listed = _problems(result.stdout + result.stderr, study)
    assert sorted(injected - listed) == [], "injected but not reported"
    assert sorted(listed - injected) == [], "reported but not injected"
    assert "is not a known stop reason; allowed: inefficacy" in result.stdout + result.stderr


def test_clean_synthetic_cohort_validates(tmp_path: Path) -> None:
    study = tmp_path / "study"
    generate_study(study, patients=600, centers=4, seed=13)
    result = itpcohort("validate", str(study))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert _problems(result.stdout + result.stderr, study) == set()
