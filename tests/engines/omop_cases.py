"""A synthetic study, its CSV derivation and its OMOP export, and the course-by-course comparison
of the CSV input with the OMOP input read in place (``omop.md``, Test data).

A patient is compared whole when OMOP can carry all of their data; otherwise the reasons are
listed (``not_carried``) and the patient's courses are compared on what OMOP does carry.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import duckdb

from itpcohort.cli import main
from itpcohort.omop.mapping import load_mapping
from itpcohort.schema import DRUG_CLASSES, RESCUE_CLASSES
from itpcohort.synth import generate_study

#: the reason whose patients are compared on every course column but ``regimen``
DOSE = "a rituximab dose not in mg (body-surface or weight-based: no OMOP home), so no regimen"


def cli(*args: str | Path) -> None:
    """Run the command line in this process (Spark's session and the test server are reused)."""
    try:
        main([str(a) for a in args])
    except SystemExit as stop:
        assert stop.code in (0, None), f"exit status {stop.code}"


@dataclass(frozen=True)
class Exported:
    """A synthetic study derived from its CSV files, and the same study exported as OMOP."""

    csv_out: Path  # derive's output folder from the CSV input
    cdm: Path  # export --format omop's folder


def export_study(tmp: Path, patients: int = 60, seed: int = 5) -> Exported:
    """Generate, derive from CSV, and export as an OMOP CDM."""
    generate_study(tmp / "input", patients=patients, centers=2, seed=seed)
    cli("derive", tmp / "input", "--out", tmp / "from_csv")
    cli("export", tmp / "from_csv", "--format", "omop", "--out", tmp / "cdm")
    return Exported(tmp / "from_csv", tmp / "cdm")


def not_carried(study_db: Path) -> dict[tuple[str, str], list[str]]:
    """Per (center, patient_id), why OMOP cannot carry all of the patient's data (``omop.md``)."""
    mapping = load_mapping().document
    sites = mapping["bleeding_events"]
    reasons: dict[tuple[str, str], list[str]] = {}

    def add(key: tuple[str, str], reason: str) -> None:
        reasons.setdefault(key, [])
        if reason not in reasons[key]:
            reasons[key].append(reason)

    with duckdb.connect(str(study_db), read_only=True) as con:
        for center, patient, drug, rescue, unit, end, last in con.execute(
            "SELECT t.center, t.patient_id, drug, rescue, dose_unit, end_date, last_followup_date "
            "FROM treatments t JOIN patients p USING (center, patient_id)"
        ).fetchall():
            key = (center, patient)
            if rescue and DRUG_CLASSES[drug] not in RESCUE_CLASSES:
                add(key, f"a rescue flag on {drug} (no rescue flag in OMOP)")
            if drug == "rituximab" and unit != "mg":
                add(key, DOSE)
            if drug == "other":
                add(key, "a drug 'other' (no RxNorm ingredient)")
            if end is not None and end > last:
                add(key, "a planned end after the last follow-up (reads as ongoing)")
        for center, patient, site, grade, severe in con.execute(
            "SELECT center, patient_id, site, who_grade, severe FROM bleeding_events"
        ).fetchall():
            if site not in sites:
                add((center, patient), f"a {site} bleeding (no concept set)")
            elif grade is not None or bool(severe) != sites[site].get("severe", False):
                add((center, patient), "a bleeding WHO grade (no OMOP home)")
        for center, patient, kind, cause, precision in con.execute(
            "SELECT center, patient_id, itp_type, secondary_cause, diagnosis_date_precision "
            "FROM patients"
        ).fetchall():
            if kind == "secondary" and cause not in mapping["secondary_causes"]:
                add((center, patient), f"secondary cause {cause} (no concept set)")
            if precision != "day":
                add((center, patient), "a partial diagnosis date (OMOP dates are days)")
    return reasons


def _courses(
    path: Path, ids: dict[str, tuple[str, str]] | None
) -> dict[tuple[str, str], list[dict[str, str]]]:
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    out: dict[tuple[str, str], list[dict[str, str]]] = {}
    for row in rows:
        key = (row["center"], row["patient_id"]) if ids is None else ids[row["patient_id"]]
        row = {**row, "center": key[0], "patient_id": key[1]}
        out.setdefault(key, []).append(row)
    return out


def compare_courses(exported: Exported, omop_out: Path) -> dict[str, int]:
    """Assert that the courses derived from OMOP are those derived from the CSV input, for every
    patient OMOP carries (every column; ``regimen`` aside when the dose alone is not carried),
    that any other difference belongs to a patient listed with a reason, and that every patient
    has the same courses (number, dates, infusions). Returns the patients counted per case."""
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{exported.cdm / 'cdm.duckdb'}' AS src (READ_ONLY)")
        persons = con.execute(
            "SELECT CAST(p.person_id AS VARCHAR), c.care_site_name, p.person_source_value "
            "FROM src.cdm.person p JOIN src.cdm.care_site c USING (care_site_id)"
        ).fetchall()
    ids = {person: (center, code) for person, center, code in persons}
    expected = _courses(exported.csv_out / "derived" / "courses.csv", None)
    got = _courses(omop_out / "derived" / "courses.csv", ids)
    reasons = not_carried(exported.csv_out / "study.duckdb")
    counts = {"whole": 0, "but_regimen": 0, "listed": 0, "listed_and_equal": 0}
    for key in sorted(set(expected) | set(got)):
        listed = reasons.get(key, [])
        if not listed:
            assert got.get(key) == expected.get(key), (key, expected.get(key), got.get(key))
            counts["whole"] += 1
        elif listed == [DOSE]:
            strip = [{k: v for k, v in r.items() if k != "regimen"} for r in expected[key]]
            assert [{k: v for k, v in r.items() if k != "regimen"} for r in got[key]] == strip, key
            counts["but_regimen"] += 1
        else:
            counts["listed"] += 1
            counts["listed_and_equal"] += got.get(key) == expected.get(key)
        # every patient, listed or not, has the same courses: numbers, dates and infusions
        assert [_course(r) for r in got.get(key, [])] == [
            _course(r) for r in expected.get(key, [])
        ], key
    return counts


def _course(row: dict[str, str]) -> tuple[str, ...]:
    return tuple(row[k] for k in ("course_number", "start_date", "end_date", "n_infusions"))
