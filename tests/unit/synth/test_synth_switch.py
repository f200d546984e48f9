"""The synthetic TPO-RA switch cohort (issue 19 part 5): valid input, deterministic, and the
exposure courses derived from it have what the switch study needs (switches of each kind, stop
reasons near the published proportions, cross-tapers, carried baselines, responses, TPO-RA
adverse events)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from itpcohort.config import load_config
from itpcohort.criteria import Criteria
from itpcohort.derive import ExposureRules, derive_exposure
from itpcohort.store import connect_ibis, execute_to_arrow, import_study
from itpcohort.synth import generate_switch_study
from itpcohort.synth._switch import SWITCH_REASONS

TPO_RA = ExposureRules(("eltrombopag", "romiplostim", "avatrombopag"))


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.csv"))
    }


@pytest.fixture(scope="module")
def derived(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    root = tmp_path_factory.mktemp("switch")
    summary = generate_switch_study(root / "in", patients=400, centers=3, seed=19)
    assert summary.rows["patients"] == 400
    report = import_study([root / "in"], load_config(None), root / "study.duckdb")
    assert report.ok, report.problems[:5]
    backend = connect_ibis(root / "study.duckdb", read_only=True)
    tables = {name: backend.table(name) for name in backend.list_tables()}
    marts = derive_exposure(tables, TPO_RA, Criteria())
    return {name: execute_to_arrow(expr).to_pylist() for name, expr in marts.items()}


def test_same_seed_same_files_other_seed_other_files(tmp_path: Path) -> None:
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        generate_switch_study(tmp_path / name, patients=30, centers=2, seed=seed)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_messy_switch_cohort_same_seed_same_files_and_manifest(tmp_path: Path) -> None:
    clean = generate_switch_study(tmp_path / "clean", patients=60, centers=2, seed=3)
    summaries = [
        generate_switch_study(tmp_path / name, patients=60, centers=2, seed=seed, messy=0.1)
        for name, seed in (("a", 3), ("b", 3), ("c", 4))
    ]
    assert summaries[0].manifest == summaries[1].manifest != summaries[2].manifest
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b") != _digest(tmp_path / "clean")
    assert clean.manifest == ""
    # one problem per listed cell, on a data row of a written file
    for line in summaries[0].manifest.splitlines():
        file, row, column, _ = line.split(",")
        header, *rows = (tmp_path / "a" / file).read_text(encoding="utf-8").splitlines()
        assert column in header.split(",") and 2 <= int(row) <= len(rows) + 1


def test_most_patients_switch_and_some_retreat_or_switch_back(
    derived: dict[str, list[dict[str, Any]]],
) -> None:
    courses = derived["courses"]
    types = Counter(r["course_type"] for r in courses)
    assert types["first"] == 400
    switchers = {r["patient_id"] for r in courses if r["course_type"] == "switch"}
    assert 0.6 < len(switchers) / 400 < 0.95
    assert types["retreatment"] > 5
    by_patient: dict[str, list[str]] = {}
    for r in sorted(courses, key=lambda r: (r["patient_id"], r["course_number"])):
        by_patient.setdefault(r["patient_id"], []).append(r["agent"])
    switch_backs = [a for a in by_patient.values() if len(a) >= 3 and a[0] == a[2] != a[1]]
    assert switch_backs


def test_stop_reasons_before_a_switch_follow_the_published_proportions(
    derived: dict[str, list[dict[str, Any]]],
) -> None:
    courses = {(r["patient_id"], r["course_number"]): r for r in derived["courses"]}
    before_switch = [
        courses[(pid, k - 1)]["stop_reason"]
        for (pid, k), r in courses.items()
        if r["course_type"] == "switch"
    ]
    shares = Counter(before_switch)
    for reason, p in SWITCH_REASONS:
        assert abs(shares[reason] / len(before_switch) - p) < 0.08, (reason, shares)


def test_cross_tapers_carried_baselines_ongoing_and_responses(
    derived: dict[str, list[dict[str, Any]]],
) -> None:
    courses = derived["courses"]
    flags = Counter(f for r in courses for f in r["flags"].split(";") if f)
    assert flags["baseline_carried"] > 50
    assert flags["ongoing"] > 100
    assert flags["window_cut_by_next_course"] > 50
    responses = Counter(r["response"] for r in courses)
    assert all(responses[level] > 10 for level in ("CR", "R", "NR")), responses
    assert sum(r["duration_days"] is not None for r in courses) > 100


def test_tpo_ra_adverse_events_are_attributed(derived: dict[str, list[dict[str, Any]]]) -> None:
    events = derived["ae_by_course"]
    kinds = Counter(r["event"] for r in events if r["course_number"] is not None)
    assert kinds["hepatotoxicity"] > 5 and kinds["bone_marrow_fibrosis"] > 0


def test_earlier_lines_end_a_month_before_the_first_tpo_ra_and_count_as_lines(
    derived: dict[str, list[dict[str, Any]]],
) -> None:
    """Patients come to a TPO-RA after other lines (corticosteroids, rituximab, a splenectomy,
    immunosuppressants): course 1's prior_lines and splenectomy_before vary, so the switch plan's
    predictors of the same names are exercised on synthetic data."""
    first = [r for r in derived["courses"] if r["course_number"] == 1]
    lines = Counter(r["prior_lines"] for r in first)
    assert lines[0] < 0.1 * len(first)
    assert lines[1] > 0.2 * len(first) and sum(n for k, n in lines.items() if k >= 2) > 0.2 * len(
        first
    )
    assert 0.05 < sum(bool(r["splenectomy_before"]) for r in first) / len(first) < 0.2


def test_no_earlier_line_reaches_the_first_tpo_ra(tmp_path: Path) -> None:
    generate_switch_study(tmp_path, patients=300, centers=2, seed=8)
    tpo_ra = {"eltrombopag", "romiplostim", "avatrombopag"}
    rows = [
        row
        for path in sorted(tmp_path.glob("*/treatments.csv"))
        for row in csv.DictReader(path.open(encoding="utf-8"))
    ]
    first: dict[str, str] = {}
    for row in rows:
        if row["drug"] in tpo_ra:
            first[row["patient_id"]] = min(first.get(row["patient_id"], "9999"), row["start_date"])
    earlier = [
        r for r in rows if r["drug"] not in tpo_ra and r["start_date"] < first[r["patient_id"]]
    ]
    assert len({r["patient_id"] for r in earlier}) > 0.9 * len(first)
    for row in earlier:
        end = dt.date.fromisoformat(row["end_date"] or row["start_date"])
        assert end <= dt.date.fromisoformat(first[row["patient_id"]]) - dt.timedelta(days=30), row
