"""The derive and run commands end to end on synthetic studies (issues 4 and 5)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from itpcohort.synth import generate_study

COURSES_HEADER = (
    "center,patient_id,course_number,start_date,end_date,n_infusions,regimen,age_at_course,"
    "itp_phase,prior_lines,splenectomy_before,baseline_platelets,response,response_date,"
    "time_to_response_days,duration_days,duration_censored,cr_duration_days,"
    "cr_duration_censored,flags"
)
CONTRACT_KEYS = (
    "criteria",
    "flow",
    "cohort",
    "courses",
    "retreatment",
    "duration",
    "predictors",
    "safety",
    "sensitivity",
)


def itpcohort(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "itpcohort", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def clean_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    study = tmp_path_factory.mktemp("clean") / "study"
    generate_study(study, patients=160, centers=3, seed=21)
    return study


@pytest.fixture(scope="module")
def messy_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    study = tmp_path_factory.mktemp("messy") / "study"
    generate_study(study, patients=160, centers=3, seed=22, messy=0.01)
    return study


def test_derive_writes_courses_byte_identical_across_runs(
    clean_study: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        result = itpcohort("derive", clean_study, "--out", out)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
    courses = (first / "derived" / "courses.csv").read_bytes()
    assert courses == (second / "derived" / "courses.csv").read_bytes()
    lines = courses.decode().splitlines()
    assert lines[0] == COURSES_HEADER
    assert len(lines) > 160  # most patients have more than one course
    for name in ("patient_baseline", "retreatment", "ae_by_course"):
        assert (first / "derived" / f"{name}.csv").is_file()
    events = (first / "derived" / "patient_treatment_events.csv").read_bytes()
    assert events == (second / "derived" / "patient_treatment_events.csv").read_bytes()
    event_lines = events.decode().splitlines()
    assert event_lines[0] == "center,patient_id,event_date,event,days_from_course1,course_number"
    assert {line.split(",")[3] for line in event_lines[1:]} == {"rescue", "new_treatment"}
    assert (first / "study.duckdb").is_file()
    with duckdb.connect(str(first / "study.duckdb"), read_only=True) as con:
        stored = con.execute("SELECT count(*) FROM patient_treatment_events").fetchone()
    assert stored == (len(event_lines) - 1,)


def test_run_writes_results_json_identical_but_for_generated_at(
    clean_study: Path, tmp_path: Path
) -> None:
    documents = []
    for out in (tmp_path / "a", tmp_path / "b"):
        result = itpcohort("run", clean_study, "--out", out)
        assert result.returncode == 0, result.stderr
        document = json.loads((out / "results.json").read_text(encoding="utf-8"))
        assert (out / "rejected_rows.csv").read_text().strip() == "file,row,column,value,reason"
        documents.append(document)
    for key in CONTRACT_KEYS:
        assert key in documents[0]
    assert documents[0]["flow"]["screened"] == 160
    assert documents[0]["generated_at"]
    for document in documents:
        document.pop("generated_at")
    assert documents[0] == documents[1]
    names = [row["name"] for row in documents[0]["sensitivity"]]
    assert {"ne_excluded", "confirm_28_days", "window_90_days"} <= set(names)


def test_run_refuses_rejected_rows_unless_accepted(messy_study: Path, tmp_path: Path) -> None:
    refused = itpcohort("run", messy_study, "--out", tmp_path / "refused")
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    assert "rejected_rows.csv" in refused.stderr
    assert "--accept-rejected" in refused.stderr
    assert not (tmp_path / "refused" / "results.json").exists()
    rejected = (tmp_path / "refused" / "rejected_rows.csv").read_text().splitlines()
    assert len(rejected) > 1

    accepted = itpcohort("run", messy_study, "--out", tmp_path / "accepted", "--accept-rejected")
    assert accepted.returncode == 0, accepted.stderr
    document = json.loads((tmp_path / "accepted" / "results.json").read_text(encoding="utf-8"))
    assert document["data_quality"]["n_rejected"] == len(rejected) - 1


def test_bad_criteria_override_is_an_input_error(clean_study: Path, tmp_path: Path) -> None:
    config = tmp_path / "study.toml"
    config.write_text("[criteria]\nconfirm_dayz = 28\n", encoding="utf-8")
    result = itpcohort("derive", clean_study, "--out", tmp_path / "out", "--config", config)
    assert result.returncode == 1
    assert "confirm_dayz" in result.stderr
    assert "Traceback" not in result.stderr
