"""``itpcohort synth`` writes a study and answers bad arguments with exit status 2, no traceback."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "itpcohort", *args], capture_output=True, text=True, check=False
    )


def test_synth_writes_a_study_and_its_manifest(tmp_path: Path) -> None:
    out = tmp_path / "study"
    result = run_cli(
        "synth",
        "--patients",
        "60",
        "--centers",
        "3",
        "--seed",
        "2",
        "--messy",
        "0.1",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert "platelet_counts" in result.stdout and "injected errors" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "LYO",
        "PAR",
        "TLS",
        "injected_errors.csv",
        "study.toml",
    ]
    for center in ("TLS", "PAR", "LYO"):
        assert (out / center / "patients.csv").is_file()
        assert (out / center / "platelet_counts.csv").stat().st_size > 1000
    with (out / "injected_errors.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and set(rows[0]) == {"file", "row", "column", "kind"}
    assert all((out / r["file"]).is_file() for r in rows)


@pytest.mark.parametrize(
    "args",
    [
        ("--patients", "0"),
        ("--patients", "2", "--centers", "5"),
        ("--patients", "10", "--messy", "2"),
        ("--patients", "10", "--seed", "-3"),
        ("--patients", "ten"),
        ("--centers", "2"),
    ],
)
def test_bad_arguments_exit_2_without_traceback(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run_cli("synth", *args, "--out", str(tmp_path / "study"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "study").exists()


def test_a_non_empty_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "keep.csv").write_text("a\n", encoding="utf-8")
    result = run_cli("synth", "--patients", "10", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "not empty" in result.stderr and "Traceback" not in result.stderr
