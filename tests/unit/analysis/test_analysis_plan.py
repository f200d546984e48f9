"""``analyse`` end to end on fixture cohorts, every edge case of the brief, and results.json."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from itpcohort.analysis import (
    SENSITIVITY_RUNS,
    AnalysisInputError,
    DerivedTables,
    analyse,
    read_derived_tables,
    write_results_json,
)
from itpcohort.analysis.population import select_population
from itpcohort.config import AnalysisOptions, StudyConfig

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "analysis"
PROPORTION_KEYS = {"n", "denominator", "pct", "ci_low", "ci_high"}


@pytest.fixture(scope="module")
def ties() -> DerivedTables:
    return read_derived_tables(FIXTURES / "ties")


@pytest.fixture(scope="module")
def separation() -> DerivedTables:
    return read_derived_tables(FIXTURES / "separation")


def run(
    tables: DerivedTables, config: StudyConfig | None = None, **sensitivity: DerivedTables
) -> dict[str, Any]:
    """Analyse and return the results.json document, checking it is valid JSON without NaN."""
    document = analyse(tables, config or StudyConfig(), sensitivity).to_json_dict()
    json.dumps(document, allow_nan=False)
    return document


def proportions(tree: Any) -> list[dict[str, Any]]:
    if isinstance(tree, dict):
        found = [tree] if "denominator" in tree else []
        return found + [p for value in tree.values() for p in proportions(value)]
    if isinstance(tree, list):
        return [p for value in tree for p in proportions(value)]
    return []


def with_course2(tables: DerivedTables, response: str) -> DerivedTables:
    """The same cohort with every course-2 response set to ``response`` (durations adjusted)."""
    courses = tables.courses.copy()
    second = courses["course_number"] == 2
    courses.loc[second, "response"] = response
    if response not in ("CR", "R"):
        for column in ("time_to_response_days", "duration_days", "cr_duration_days"):
            courses.loc[second, column] = float("nan")
        for column in ("duration_censored", "cr_duration_censored"):
            courses.loc[second, column] = pd.NA
    else:
        courses.loc[second, "time_to_response_days"] = 30.0
        courses.loc[second, "duration_days"] = 200.0
        courses.loc[second, "duration_censored"] = False
    return replace(tables, courses=courses)


def test_contract_keys_exist_in_order(ties: DerivedTables) -> None:
    document = run(ties)
    assert list(document)[:3] == ["generated_at", "itpcohort_version", "criteria"]
    for key in (
        "criteria",
        "flow",
        "cohort",
        "courses",
        "retreatment",
        "duration",
        "predictors",
        "safety",
        "sensitivity",
    ):
        assert key in document
    assert document["criteria"]["name"] == "iwg2009"
    assert set(document["flow"]) >= {"screened", "included", "excluded"}
    for key in (
        "n_patients",
        "n_centers",
        "primary_itp",
        "age_at_diagnosis",
        "age_at_first_course",
        "prior_lines",
    ):
        assert key in document["cohort"]
    assert [c["course"] for c in document["courses"]] == [1, 2]
    assert set(document["courses"][0]) >= {"course", "CR", "R", "NR", "NE", "orr", "cr"}
    for key in (
        "orr_course2",
        "cr_course2",
        "response2_among_responders1",
        "response2_among_nonresponders1",
        "response_similar_or_better",
        "duration_similar_or_longer",
        "mcnemar_p",
    ):
        assert key in document["retreatment"]
    for line in document["duration"]["by_course"] + document["duration"]["cr_by_course"]:
        assert set(line) == {
            "course",
            "n",
            "events",
            "median_days",
            "ci_low_days",
            "ci_high_days",
            "at_risk",
            # added by issue 17 item 16: the same median and CI in months
            "median_months",
            "ci_low_months",
            "ci_high_months",
        }
        assert set(line["at_risk"]) == {"m6", "m12", "m24", "m36"}
    assert set(document["predictors"]["response_course1_firth"]) >= {
        "odds_ratio",
        "ci_low",
        "ci_high",
        "p",
    }
    for test in document["predictors"]["univariable"]:
        assert set(test) >= {"factor", "test", "p"}
    for term in document["predictors"]["multivariable"]:
        assert set(term) >= {"term", "odds_ratio", "ci_low", "ci_high", "p"}
    for course in document["safety"]["by_course"]:
        assert set(course) >= {"course", "patients_with_event", "by_event"}
    assert [row["name"] for row in document["sensitivity"]] == [
        "primary",
        *(r.name for r in SENSITIVITY_RUNS),
    ]


def test_every_proportion_has_exactly_the_contract_keys(ties: DerivedTables) -> None:
    found = proportions(run(ties))
    assert len(found) > 50
    for p in found:
        assert set(p) == PROPORTION_KEYS


def test_results_json_is_deterministic_but_for_generated_at(
    ties: DerivedTables, tmp_path: Path
) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    write_results_json(analyse(ties, StudyConfig()), first, "2025-01-01T00:00:00Z")
    write_results_json(analyse(ties, StudyConfig()), second, "2025-06-30T12:00:00Z")
    a, b = first.read_text("utf-8").splitlines(), second.read_text("utf-8").splitlines()
    differing = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    assert differing == [
        ('  "generated_at": "2025-01-01T00:00:00Z",', '  "generated_at": "2025-06-30T12:00:00Z",')
    ]
    assert "NaN" not in first.read_text("utf-8")


def test_headline_numbers_of_the_ties_cohort(ties: DerivedTables) -> None:
    document = run(ties)
    retreatment = document["retreatment"]
    assert (retreatment["orr_course2"]["n"], retreatment["orr_course2"]["denominator"]) == (9, 20)
    assert retreatment["response2_among_responders1"]["n"] == 6
    assert retreatment["response2_among_responders1"]["denominator"] == 8
    assert retreatment["response2_among_nonresponders1"]["denominator"] == 9  # NE apart
    assert retreatment["response2_among_ne1"]["denominator"] == 3
    # course-1 KM: S = 0.5 exactly at 90 days, next event at 200: median 145
    assert document["duration"]["by_course"][0]["median_days"] == 145.0
    # course-2 CR durations 50, 80, 100+, 120+: S = 0.5 on the last step: (80 + 120) / 2
    assert document["duration"]["cr_by_course"][1]["median_days"] == 100.0
    assert document["cross_table"]["counts"][0] == [4, 0, 0, 0]


# --- edge cases --------------------------------------------------------------------------------


def test_no_course2_responder(ties: DerivedTables) -> None:
    document = run(with_course2(ties, "NR"))
    assert document["retreatment"]["orr_course2"]["n"] == 0
    assert document["retreatment"]["response2_among_responders1"]["pct"] == 0.0
    assert document["duration"]["by_course"][1] == {
        "course": 2,
        "n": 0,
        "events": 0,
        "median_days": None,
        "ci_low_days": None,
        "ci_high_days": None,
        "at_risk": {"m6": 0, "m12": 0, "m24": 0, "m36": 0},
        "median_months": None,
        "ci_low_months": None,
        "ci_high_months": None,
    }
    firth = document["predictors"]["response_course1_firth"]
    assert firth["odds_ratio"] is None and "did not respond" in firth["note"]
    assert "no patient responded to course 2" in document["notes"]
    assert document["time_to_response"][1]["median"] is None


def test_every_patient_responds_to_course2(ties: DerivedTables) -> None:
    document = run(with_course2(ties, "R"))
    assert document["retreatment"]["orr_course2"]["pct"] == 100.0
    fisher = document["predictors"]["univariable"][0]
    assert fisher["factor"] == "response_course1" and fisher["p"] == 1.0
    wilcoxon = document["predictors"]["univariable"][3]
    assert wilcoxon["p"] is None and "group is empty" in wilcoxon["note"]
    assert document["predictors"]["multivariable"] == []
    assert document["predictors"]["response_course1_firth"]["note"].startswith("not estimable")


def test_complete_separation_still_gives_a_firth_estimate(separation: DerivedTables) -> None:
    document = run(separation)
    assert document["retreatment"]["response2_among_responders1"]["pct"] == 100.0
    assert document["retreatment"]["response2_among_nonresponders1"]["pct"] == 0.0
    firth = document["predictors"]["response_course1_firth"]
    assert firth["odds_ratio"] > 1 and firth["ci_low"] > 1 and firth["p"] < 0.01


def test_no_ne_course(ties: DerivedTables) -> None:
    courses = ties.courses.copy()
    courses.loc[courses["response"] == "NE", "response"] = "NR"
    document = run(replace(ties, courses=courses))
    assert all(course["NE"] == 0 for course in document["courses"])
    assert document["retreatment"]["response2_among_ne1"] == {
        "n": 0,
        "denominator": 0,
        "pct": None,
        "ci_low": None,
        "ci_high": None,
    }
    primary, ne_excluded = document["sensitivity"][0], document["sensitivity"][1]
    assert ne_excluded["n_patients"] == primary["n_patients"]
    assert ne_excluded["orr_course2"] == primary["orr_course2"]


def test_one_center(ties: DerivedTables) -> None:
    one = replace(
        ties,
        courses=ties.courses.assign(center="TIE"),
        patient_baseline=ties.patient_baseline.assign(center="TIE"),
        retreatment=ties.retreatment.assign(center="TIE"),
        ae_by_course=ties.ae_by_course.assign(center="TIE"),
    )
    document = run(one)
    assert document["cohort"]["n_centers"] == 1
    assert document["cohort"]["patients_by_center"] == {"TIE": 20}


def test_every_duration_censored(ties: DerivedTables) -> None:
    courses = ties.courses.copy()
    responded = courses["duration_days"].notna()
    courses.loc[responded, "duration_censored"] = True
    document = run(replace(ties, courses=courses))
    for line in document["duration"]["by_course"]:
        assert line["events"] == 0 and line["median_days"] is None
    assert any("every response duration is censored" in note for note in document["notes"])


def test_no_adverse_event(ties: DerivedTables) -> None:
    document = run(replace(ties, ae_by_course=ties.ae_by_course.iloc[0:0]))
    safety = document["safety"]
    assert safety["note"] == "no adverse event recorded for the included patients"
    for course in safety["by_course"]:
        assert course["patients_with_event"]["n"] == 0
        assert course["patients_with_event"]["denominator"] == 20
        assert all(p["n"] == 0 for p in course["by_event"].values())


def test_no_investigator_assessment(ties: DerivedTables) -> None:
    assert ties.investigator_comparison is None
    assert run(ties)["investigator_agreement"] is None


def test_investigator_agreement_lists_discordant_courses() -> None:
    realistic = read_derived_tables(FIXTURES / "realistic")
    agreement = run(realistic)["investigator_agreement"]
    assert agreement["n_courses"] == agreement["agreement"]["denominator"]
    assert len(agreement["discordant"]) == agreement["n_courses"] - agreement["agreement"]["n"]
    assert agreement["discordant"] == sorted(
        agreement["discordant"], key=lambda d: (d["center"], d["patient_id"], d["course"])
    )
    assert 0 < agreement["kappa"] < 1


def test_empty_population(ties: DerivedTables, tmp_path: Path) -> None:
    config = StudyConfig(analysis=AnalysisOptions(min_age=120))
    document = run(ties, config)
    assert document["flow"]["included"] == 0
    assert document["cohort"]["n_patients"] == 0
    assert document["cohort"]["age_at_diagnosis"]["median"] is None
    assert document["retreatment"]["orr_course2"]["pct"] is None
    assert document["retreatment"]["mcnemar_p"] == 1.0
    assert document["notes"][0].startswith("no patient met the inclusion criteria")
    assert document["predictors"]["multivariable"] == []
    write_results_json(analyse(ties, config), tmp_path / "results.json", "now")
    assert json.loads((tmp_path / "results.json").read_text("utf-8"))["generated_at"] == "now"


def test_sensitivity_runs_side_by_side() -> None:
    folder = FIXTURES / "realistic"
    tables = read_derived_tables(folder)
    window = read_derived_tables(folder / "window_90_days")
    document = run(tables, window_90_days=window)
    rows = {row["name"]: row for row in document["sensitivity"]}
    assert rows["primary"]["orr_course2"] == document["retreatment"]["orr_course2"]
    assert rows["window_90_days"]["status"] == "done"
    assert rows["window_90_days"]["criteria_overrides"] == {"response_window_days": 90}
    assert rows["window_90_days"]["orr_course2"]["n"] < rows["primary"]["orr_course2"]["n"]
    assert rows["confirm_28_days"]["status"] == "not run"
    assert rows["confirm_28_days"]["orr_course2"] is None
    assert rows["ne_excluded"]["n_patients"] < rows["primary"]["n_patients"]


def test_unknown_sensitivity_run_is_refused(ties: DerivedTables) -> None:
    with pytest.raises(AnalysisInputError, match="unknown sensitivity run\\(s\\) window_30"):
        analyse(ties, StudyConfig(), {"window_30": ties})


def test_secondary_itp_is_a_proportion_of_the_included_patients_after_primary_itp() -> None:
    """``cohort.secondary_itp`` counts the included secondary ITP patients, checked against a
    plain count of ``patient_baseline.csv`` (inclusion: 2 courses or more, adult at course 1, a
    count after course 1), and sits right after ``cohort.primary_itp``."""
    import csv

    folder = FIXTURES / "realistic"
    with (folder / "patient_baseline.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    included = [
        r
        for r in rows
        if int(r["n_courses"]) >= 2
        and r["age_at_first_rtx"] != ""
        and int(r["age_at_first_rtx"]) >= 18
        and r["has_count_after_course1"] == "true"
    ]
    n_secondary = sum(r["itp_type"] == "secondary" for r in included)
    assert 0 < n_secondary < len(included)
    cohort = run(read_derived_tables(folder))["cohort"]
    assert list(cohort)[:4] == ["n_patients", "n_centers", "primary_itp", "secondary_itp"]
    secondary = cohort["secondary_itp"]
    assert set(secondary) == PROPORTION_KEYS
    assert (secondary["n"], secondary["denominator"]) == (n_secondary, len(included))
    assert secondary["pct"] == pytest.approx(100 * n_secondary / len(included))
    assert secondary["ci_low"] < secondary["pct"] < secondary["ci_high"]
    assert cohort["primary_itp"]["n"] + secondary["n"] <= len(included)


def test_an_assessment_of_a_course_that_does_not_exist_is_listed_apart() -> None:
    """Issue 17 item 1: the mart's empty derived response is read, counted and listed, not compared."""
    realistic = read_derived_tables(FIXTURES / "realistic")
    comparison = pd.read_csv(
        FIXTURES / "realistic" / "investigator_comparison.csv", dtype=str, keep_default_na=False
    )
    before = run(realistic)["investigator_agreement"]
    first = comparison.iloc[0]
    extra = pd.DataFrame(
        {
            "center": [first["center"], "BDX"],
            "patient_id": [first["patient_id"], "BDX-999"],
            "course_number": ["9", "1"],
            "investigator_response": ["NR", ""],
            "derived_response": ["", None],
            "agrees": ["false", "false"],
        }
    )
    tables = replace(
        realistic,
        investigator_comparison=pd.concat([comparison, extra], ignore_index=True),
    ).checked()
    agreement = run(tables)["investigator_agreement"]
    assert agreement["n_no_course"] == 2
    expected = [
        {"center": "BDX", "patient_id": "BDX-999", "course": 1, "investigator_response": None},
        {
            "center": first["center"],
            "patient_id": first["patient_id"],
            "course": 9,
            "investigator_response": "NR",
        },
    ]
    assert agreement["no_course"] == sorted(
        expected, key=lambda a: (a["center"], a["patient_id"], a["course"])
    )
    for key in ("n_courses", "table", "discordant", "kappa"):
        assert agreement[key] == before[key], key


def test_courses_without_an_assessment_are_counted_per_center() -> None:
    """Issue 17 item 14: a center that sent no assessments shows all its courses as not assessed."""
    realistic = read_derived_tables(FIXTURES / "realistic")
    comparison = realistic.investigator_comparison
    assert comparison is not None
    silent = sorted(comparison["center"].unique())[0]
    tables = replace(realistic, investigator_comparison=comparison[comparison["center"] != silent])
    document = run(tables)
    agreement = document["investigator_agreement"]
    by_center = {c["center"]: c for c in agreement["by_center"]}
    population = select_population(tables.checked(), 18)
    expected = population.courses.groupby("center").size().to_dict()
    assert {center: c["courses"] for center, c in by_center.items()} == expected
    assert by_center[silent]["assessed"] == 0
    assert by_center[silent]["not_assessed"] == by_center[silent]["courses"] > 0
    assert agreement["not_assessed"] == sum(c["not_assessed"] for c in by_center.values())
    assert agreement["n_included_courses"] == sum(c["courses"] for c in by_center.values())
    assert agreement["not_assessed"] >= by_center[silent]["courses"]
    for entry in by_center.values():
        assert entry["assessed"] + entry["not_assessed"] == entry["courses"]
