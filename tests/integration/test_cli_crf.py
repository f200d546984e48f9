"""`itpcohort crf`: files written, exit 0; wrong usage exits 2 with one message and no traceback."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from itpcohort.schema import TABLES


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "itpcohort", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_crf_xlsx_writes_the_workbook(tmp_path: Path, lang: str) -> None:
    out = tmp_path / "forms" / "crf.xlsx"
    result = run_cli("crf", "--format", "xlsx", "--out", str(out), "--lang", lang)
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout
    workbook = load_workbook(out)
    assert workbook.sheetnames[1:-1] == [t.name for t in TABLES]
    assert workbook.properties.language == lang


def test_crf_xlsx_defaults_to_english_and_is_reproducible(tmp_path: Path) -> None:
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert run_cli("crf", "--format", "xlsx", "--out", str(first)).returncode == 0
    assert run_cli("crf", "--format", "xlsx", "--out", str(second)).returncode == 0
    assert first.read_bytes() == second.read_bytes()
    assert load_workbook(first).properties.language == "en"


def test_crf_redcap_writes_dictionary_and_repeating_instruments(tmp_path: Path) -> None:
    out = tmp_path / "dictionary.csv"
    result = run_cli("crf", "--format", "redcap", "--out", str(out), "--lang", "fr")
    assert result.returncode == 0, result.stderr
    repeating = tmp_path / "dictionary_repeating_instruments.csv"
    assert out.exists() and repeating.exists()
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0] == "Variable / Field Name" and len(rows[0]) == 18
    assert rows[1][0] == "record_id"
    # the instruments to mark as repeating are printed, and written beside the dictionary
    for table in TABLES[1:]:
        assert f"  {table.name}\n" in result.stdout
    assert "répétables" in result.stdout
    assert repeating.read_text(encoding="utf-8").splitlines()[0] == "form_name,custom_form_label"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "pdf", "--out", "x.pdf"), "--format"),
        (("--format", "xlsx", "--out", "x.xlsx", "--lang", "de"), "--lang"),
        (("--format", "xlsx", "--out", "x.csv"), "must end in .xlsx"),
        (("--format", "redcap", "--out", "x.xlsx"), "must end in .csv"),
        (("--format", "redcap", "--out", "."), "is a folder"),
        (("--format", "xlsx"), "--out"),
    ],
)
def test_crf_wrong_usage_exits_2_without_traceback(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = run_cli("crf", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_crf_unwritable_destination_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run_cli("crf", "--format", "xlsx", "--out", str(blocker / "crf.xlsx"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "cannot write" in result.stderr
