"""`itpcohort run --accept-rejected` on messy synthetic studies runs to the end (issue 17, item 1).

Each study is small (a few hundred patients) so the test runs in seconds. Besides the generator's
injected errors, every rituximab row of one patient is made unreadable (so that patient's
investigator assessments refer to courses that no longer exist) and an assessment of a course 9 is
added for a patient with fewer courses. The run must finish with results.json and the report, count
those assessments apart, and conserve every row: per table, loaded + rejected = read, where read
is counted here from the input files themselves.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from input_rows import delimiters, injected_cells, read_rows, rows_read, write_rows

from itpcohort.synth import generate_study


def _reject_rituximab_of_one_assessed_patient(
    center: Path, delimiter: str, injected: set[tuple[str, int]]
) -> tuple[str, int]:
    """Make every rituximab row of an assessed patient unreadable; (patient, assessments).

    The patient is one whose patient row and assessments carry no injected error, so that its
    assessments are all loaded.
    """
    assessments = read_rows(center / "investigator_assessments.csv", delimiter)
    patients = read_rows(center / "patients.csv", delimiter)
    broken = {
        row[0]
        for line, row in enumerate(assessments, start=1)
        if (f"{center.name}/investigator_assessments.csv", line) in injected
    } | {
        row[0]
        for line, row in enumerate(patients, start=1)
        if (f"{center.name}/patients.csv", line) in injected
    }
    patient = next(row[0] for row in assessments[1:] if row and row[0] not in broken)
    treatments = read_rows(center / "treatments.csv", delimiter)
    drug = treatments[0].index("drug")
    hit = 0
    for row in treatments[1:]:
        if row and row[0] == patient and row[drug].strip().lower() == "rituximab":
            row[drug] = "rituximabx"
            hit += 1
    assert hit
    write_rows(center / "treatments.csv", treatments, delimiter)
    return patient, sum(1 for row in assessments[1:] if row and row[0] == patient)


def _add_assessment_of_course_9(center: Path, delimiter: str, patient: str) -> None:
    rows = read_rows(center / "investigator_assessments.csv", delimiter)
    header = rows[0]
    extra = dict.fromkeys(header, "")
    extra.update({"patient_id": patient, "course_number": "9", "response": "NR"})
    if "center" in header:
        extra["center"] = center.name
    rows.append([extra[column] for column in header])
    write_rows(center / "investigator_assessments.csv", rows, delimiter)


@pytest.mark.parametrize(("seed", "messy"), [(31, 0.01), (32, 0.03), (33, 0.05)])
def test_messy_study_runs_to_the_end_and_conserves_every_row(
    tmp_path: Path, seed: int, messy: float
) -> None:
    study = tmp_path / "study"
    generate_study(study, patients=250, centers=3, seed=seed, messy=messy)
    by_center = delimiters(study)
    centers = [p for p in sorted(study.iterdir()) if (p / "investigator_assessments.csv").exists()]
    first, second = centers[0], centers[-1]
    lost_patient, lost = _reject_rituximab_of_one_assessed_patient(
        first, by_center.get(first.name, ","), injected_cells(study)
    )
    other = read_rows(second / "patients.csv", by_center.get(second.name, ","))[1][0]
    _add_assessment_of_course_9(second, by_center.get(second.name, ","), other)
    read = rows_read(study)

    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "itpcohort",
            "run",
            str(study),
            "--out",
            str(out),
            "--accept-rejected",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stdout + result.stderr
    for name in ("results.json", "report.html", "report.docx", "rejected_rows.csv"):
        assert (out / name).is_file(), name
    results = json.loads((out / "results.json").read_text("utf-8"))

    totals = {row["table"]: row for row in results["data_quality"]["totals"]}
    for table, n in read.items():
        assert totals[table]["rows_read"] == n, table
        assert totals[table]["rows_loaded"] + totals[table]["rows_rejected"] == n, table

    without_course = results["investigator_agreement"]["no_course"]
    assert results["investigator_agreement"]["n_no_course"] == len(without_course)
    keys = {(a["patient_id"], a["course"]) for a in without_course}
    assert (other, 9) in keys
    # every assessment of the patient whose rituximab rows were all rejected
    assert sum(1 for a in without_course if a["patient_id"] == lost_patient) == lost
    html = (out / "report.html").read_text("utf-8")
    assert f">{other}<" in html
