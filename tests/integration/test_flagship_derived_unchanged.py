"""The flagship's derived CSV files are byte-identical to those of the code before exposure courses
and ``treatments.stop_reason`` (issue 19: "the flagship's outputs unchanged").

The digests were taken from the ``main`` branch's code (before issue 19) on this synthetic study,
messy inputs included, derived with the default (rituximab) path; any change to a derived byte of
the flagship fails here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from itpcohort.cli import main
from itpcohort.synth import generate_study

#: file -> (sha256, lines) of ``derived/*.csv`` before issue 19
BEFORE: dict[str, tuple[str, int]] = {
    "ae_by_course.csv": ("8fb8fa5d533912ece19bc8e447fc0fab0969d770cf8768b8325cbf3a3b5f39f2", 94),
    "courses.csv": ("5d7c9df17b493d0ba35cefd7500341f156f08d050dc96e92e974c836fea28308", 236),
    "investigator_comparison.csv": (
        "fdf04864887e27b840e6279ddb7ffc34847405e442e7176d73d46b9e30bbe4b2",
        223,
    ),
    "patient_baseline.csv": (
        "3b56fc4fce0ff8c8b4e27d913e78a8769ec3b255e07afc4cd400f0393c977245",
        114,
    ),
    "patient_treatment_events.csv": (
        "e7f4f8f9f15e7774019c30734d2bb2c0a12e28df7428b00d992a5414c69d2af8",
        193,
    ),
    "retreatment.csv": ("db60ae57f6ad0291bf08c907f9547b04a23570d914a423a23fc6c5e1b03b9b20", 77),
}


def test_flagship_derived_csvs_are_byte_identical(tmp_path: Path) -> None:
    generate_study(tmp_path / "s", patients=120, centers=3, seed=2019, messy=0.05)
    with pytest.raises(SystemExit) as exit_info:
        main(["derive", str(tmp_path / "s"), "--out", str(tmp_path / "o")])
    assert exit_info.value.code == 0
    after = {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.read_bytes().count(b"\n"))
        for p in sorted((tmp_path / "o" / "derived").glob("*.csv"))
    }
    assert after == BEFORE
