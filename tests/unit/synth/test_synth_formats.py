"""Centers write the format variants real centers produce; the output is byte-for-byte
deterministic; bad arguments are usage errors."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

from itpcohort import schema
from itpcohort.config import load_config
from itpcohort.errors import UsageError
from itpcohort.synth import SynthSummary, generate_study
from itpcohort.synth._centers import center_code, split_patients

from .reference import read_study


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    first = generate_study(tmp_path / "a", 150, 5, seed=4, messy=0.1)
    second = generate_study(tmp_path / "b", 150, 5, seed=4, messy=0.1)
    assert first.rows == second.rows
    digest = _digest(tmp_path / "a")
    assert digest == _digest(tmp_path / "b")
    generate_study(tmp_path / "c", 150, 5, seed=5, messy=0.1)
    other = _digest(tmp_path / "c")
    assert other.keys() == digest.keys()
    assert all(other[f] != digest[f] for f in digest if f.endswith("counts.csv"))


def test_rewriting_a_synthetic_study_replaces_it(tmp_path: Path) -> None:
    generate_study(tmp_path / "s", 120, 6, seed=1, messy=0.1)
    generate_study(tmp_path / "s", 60, 2, seed=2)
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == ["PAR", "TLS", "study.toml"]


def test_study_toml_declares_day_first_dates_and_delimiters(
    clean_study: tuple[Path, SynthSummary],
) -> None:
    folder, _ = clean_study
    config = load_config(folder / "study.toml")
    declared = {s.key: (s.date_format, s.delimiter, s.path) for s in config.sources}
    assert declared == {
        "LYO": ("%d/%m/%Y", ";", "LYO"),
        "LIL": ("%d/%m/%Y", ",", "LIL"),
        "NAN": (None, ";", "NAN"),
    }
    patients = (folder / "LYO" / "patients.csv").read_text(encoding="utf-8").splitlines()
    assert re.search(r";\d{2}/\d{2}/\d{4};", patients[1])


def test_centers_write_their_own_format_variants(clean_study: tuple[Path, SynthSummary]) -> None:
    folder, _ = clean_study
    centers = read_study(folder)
    assert list(centers) == sorted(center_code(i) for i in range(8))

    def cells(code: str, table: str, column: str) -> set[str]:
        return {r.cells[column] for r in centers[code].tables[table]}

    mrs_counts = centers["MRS"].tables["platelet_counts"]
    assert {r.cells["unit"] for r in mrs_counts} == {"/mm3"}
    assert all(int(r.cells["platelets"]) >= 1000 for r in mrs_counts)
    assert cells("PAR", "platelet_counts", "unit") == {"G/L"}
    assert "unit" not in centers["TLS"].headers["platelet_counts"]
    assert cells("PAR", "bleeding_events", "severe") == {"oui", ""}
    assert cells("LYO", "bleeding_events", "severe") == {"oui", "non"}
    assert cells("MRS", "adverse_events", "serious") == {"1", "0"}
    assert {"Rituximab", "Prednisone", "IVIg"} <= cells("PAR", "treatments", "drug")
    assert "RITUXIMAB" in cells("BDX", "treatments", "drug")
    assert "rituximab" in cells("TLS", "treatments", "drug")
    births = set().union(*(cells(code, "patients", "birth_date") for code in centers))
    assert any(re.fullmatch(r"\d{4}-\d{2}", b) for b in births)
    assert any(re.fullmatch(r"\d{4}", b) for b in births)
    assert all(
        re.fullmatch(r"\d{4}|\d{2}/\d{2}/\d{4}", b) for b in cells("LYO", "patients", "birth_date")
    )
    assert b"\r\n" in centers["LYO"].raw["patients"] and b"\r\n" in centers["BDX"].raw["treatments"]
    assert b"\r\n" not in centers["TLS"].raw["patients"]
    assert centers["MRS"].headers["patients"] != list(schema.PATIENTS.column_names)
    assert "comment" in centers["MRS"].headers["platelet_counts"]
    assert "biomarkers" not in centers["MRS"].tables
    assert "investigator_assessments" not in centers["LIL"].tables
    assert "center" in centers["PAR"].headers["treatments"]
    assert cells("LYO", "treatments", "dose_unit") == {""}  # doses read in the regimen's unit
    for code, center in centers.items():
        ids = [r.cells["patient_id"] for r in center.tables["patients"]]
        assert all(re.fullmatch(rf"{code}-\d{{5}}", i) for i in ids)
        assert len(set(ids)) == len(ids)


def test_free_text_with_the_delimiter_is_quoted(clean_study: tuple[Path, SynthSummary]) -> None:
    folder, _ = clean_study
    text = (folder / "TLS" / "adverse_events.csv").read_text(encoding="utf-8")
    assert '"fever, chills"' in text or '"frissons, fièvre"' in text
    centers = read_study(folder)
    descriptions = {r.cells["description"] for r in centers["TLS"].tables["adverse_events"]}
    assert descriptions & {"fever, chills", "frissons, fièvre"}


def test_patients_are_split_unevenly_but_deterministically() -> None:
    split = split_patients(1000, 6)
    assert split.sum() == 1000 and (split >= 1).all()
    assert (np.diff(split) <= 0).all() and split[0] > 2 * split[-1]
    assert np.array_equal(split, split_patients(1000, 6))
    assert split_patients(3, 3).tolist() == [1, 1, 1]
    assert center_code(0) == "TLS" and center_code(30) == "C031"


@pytest.mark.parametrize(
    ("patients", "centers", "seed", "messy"),
    [(3, 4, 1, 0.0), (10, 0, 1, 0.0), (10, 2, -1, 0.0), (10, 2, 1, 1.5), (10, 1000, 1, 0.0)],
)
def test_bad_arguments_are_usage_errors(
    tmp_path: Path, patients: int, centers: int, seed: int, messy: float
) -> None:
    with pytest.raises(UsageError):
        generate_study(tmp_path / "x", patients, centers, seed, messy)
    assert not (tmp_path / "x").exists()


def test_a_folder_holding_other_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(UsageError, match="not empty"):
        generate_study(tmp_path, 10, 2)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
