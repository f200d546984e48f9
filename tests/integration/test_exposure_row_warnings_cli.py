"""The exposure data-quality warning of ``protocols.md`` ("an open-ended row of an agent followed
by a later row of the same agent") is printed by ``validate``, ``import`` and ``derive`` like the
other import warnings (``data-model.md``, Warnings): file, row, column, never a change of exit
status, and counted in the summary line."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from tests.cli import itpcohort as _itpcohort

from itpcohort import pipeline
from itpcohort.config import load_config
from itpcohort.criteria import criteria_from_config
from itpcohort.protocols import load_protocol

PATIENTS = """patient_id,center,sex,birth_date,diagnosis_date,itp_type,secondary_cause,last_followup_date,death_date,death_cause
TLS-001,TLS,F,1970-01-01,2015-01-01,primary,,2019-01-01,,
"""
# row 2: eltrombopag without end date; row 4: eltrombopag again, after a romiplostim course
TREATMENTS = """patient_id,drug,start_date,end_date,dose,dose_unit,rescue,stop_reason
TLS-001,eltrombopag,2016-01-01,,50,mg,no,
TLS-001,romiplostim,2016-03-01,2016-05-01,3,ug/kg,no,inefficacy
TLS-001,eltrombopag,2016-09-01,2016-12-01,50,mg,no,remission
"""
COUNTS = """patient_id,date,platelets
TLS-001,2015-12-20,12
TLS-001,2016-02-01,80
TLS-001,2016-04-01,20
TLS-001,2016-10-01,150
"""
WARNING = (
    "TLS/treatments.csv:2: end_date: empty end_date: eltrombopag started 2016-01-01 is taken as "
    "ongoing until last follow-up, yet a later eltrombopag row starts 2016-09-01; "
    "a missing end date?"
)


def _study(folder: Path, treatments: str = TREATMENTS) -> Path:
    center = folder / "TLS"
    center.mkdir(parents=True)
    for name, text in (
        ("patients", PATIENTS),
        ("treatments", treatments),
        ("platelet_counts", COUNTS),
    ):
        (center / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize("command", ["validate", "import", "derive"])
def test_open_row_followed_by_its_agent_is_a_warning_line(tmp_path: Path, command: str) -> None:
    study = _study(tmp_path / "study")
    out = [] if command == "validate" else ["--out", tmp_path / "out"]
    done = _itpcohort(command, study, *out, "--protocol", "tpo-ra-switch")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("warning: ")]
    assert lines == [f"warning: {study}/{WARNING}"]
    if command == "validate":
        assert "valid: no problem (1 warning(s))" in done.stdout


def test_no_warning_with_an_end_date_or_under_an_infusion_protocol(tmp_path: Path) -> None:
    closed = TREATMENTS.replace("2016-01-01,,50", "2016-01-01,2016-02-20,50")
    done = _itpcohort(
        "validate", _study(tmp_path / "closed", closed), "--protocol", "tpo-ra-switch"
    )
    assert done.returncode == 0, done.stderr
    assert "valid: no problem (0 warning(s))" in done.stdout
    # the rituximab protocol builds no exposure courses: the rule is the exposure protocol's
    done = _itpcohort("validate", _study(tmp_path / "open"))
    assert done.returncode == 0, done.stderr
    assert "valid: no problem (0 warning(s))" in done.stdout


def test_the_warning_is_counted_in_the_data_quality_of_results(tmp_path: Path) -> None:
    study = _study(tmp_path / "study")
    switch = load_protocol("tpo-ra-switch", where="test")
    config = dataclasses.replace(load_config(None), protocol=switch)
    out = tmp_path / "out"
    report = pipeline.import_inputs([study], config, out, criteria_from_config(config), "run")
    assert [(w.row, w.column) for w in report.warnings] == [(2, "end_date")]
    quality = pipeline.data_quality(report, out / pipeline.DATABASE_NAME)
    assert quality["n_warnings"] == 1
