"""The switch analyses of the tpo-ra-switch plan against R (issue 19, "Tests that prove it"): by
reason and by direction with Clopper–Pearson CIs, Fisher's test across reasons, and Analysis 5 over
the protocol's predictors (the univariable screen, the Firth model on the factors with p < 0.20,
among them ``stop_reason_course1`` against ``inefficacy`` and ``direction``, and the Firth model on
response to course 1 alone), on the fixture ``tests/fixtures/switch/`` (49 switching patients in
the published proportions of reasons of Khellaf et al. 2013, retreatments before a switch, switches
back, patients without a switch; ``patients.csv`` and the course columns give the baseline factors),
compared within 1e-6 (relative or absolute) with ``switch_oracle_values.json`` written by
``switch_oracle.R`` (Firth models: ``firth.R``, shared with the flagship oracle). No R is needed to
run them.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from itpcohort.analysis.predictors import Predictors, plan_factors, predictors
from itpcohort.analysis.switch import first_switch_pairs, switch_analysis
from itpcohort.protocols import builtin_protocol

HERE = Path(__file__).parent
FIXTURE = HERE.parent / "fixtures" / "switch" / "courses.csv"
PATIENTS = HERE.parent / "fixtures" / "switch" / "patients.csv"
ORACLE = HERE / "switch_oracle_values.json"
PATIENT = ["center", "patient_id"]
#: the plan's univariable p threshold (flagship-study.md, Study configuration: selection_p)
SELECTION_P = 0.20
TOLERANCE = 1e-6
ORACLE_VALUES = json.loads(ORACLE.read_text(encoding="utf-8"))


def fixture_courses() -> pd.DataFrame:
    courses = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    courses["course_number"] = courses["course_number"].astype(int)
    return courses


def included_patients() -> pd.DataFrame:
    """The patients with a switch, one row each in ``Population.patients``' layout: courses *s − 1*
    and *s* of the first switch as ``<column>_c1`` and ``<column>_c2``, and the baseline."""
    courses = fixture_courses()
    courses["start_date"] = pd.to_datetime(courses["start_date"])
    courses["age_at_course"] = courses["age_at_course"].astype(int)
    courses["prior_lines"] = courses["prior_lines"].astype(int)
    courses["splenectomy_before"] = courses["splenectomy_before"] == "true"
    courses["response"] = courses["response"].replace("", None)
    switches = courses[courses["course_type"] == "switch"]
    s = switches.groupby(PATIENT)["course_number"].min().rename("s").reset_index()
    wide = pd.read_csv(PATIENTS, dtype=str, keep_default_na=False).merge(s, on=PATIENT)
    wide["diagnosis_date"] = pd.to_datetime(wide["diagnosis_date"])
    for k, shift in ((1, 1), (2, 0)):
        course = courses.merge(wide[[*PATIENT, "s"]], on=PATIENT)
        course = course[course["course_number"] == course["s"] - shift].drop(columns="s")
        columns = [c for c in course.columns if c not in PATIENT]
        wide = wide.merge(course.rename(columns={c: f"{c}_c{k}" for c in columns}), on=PATIENT)
    wide["regimen_c2"] = None
    wide["duration_course1_days"] = float("nan")
    return wide.sort_values(PATIENT).reset_index(drop=True)


@cache
def switch_predictors() -> Predictors:
    """Analysis 5 of the switch plan on the fixture, as ``analyse`` runs it."""
    factors = plan_factors(builtin_protocol("tpo-ra-switch"))
    return predictors(included_patients(), SELECTION_P, factors)


def test_the_switch_analyses_equal_r() -> None:
    agents = builtin_protocol("tpo-ra-switch").courses.agents
    found = switch_analysis(fixture_courses(), agents).to_json_dict()
    expected = ORACLE_VALUES["switch"]
    for key in ("by_reason", "by_direction"):
        assert [row["level"] for row in found[key]] == [row["level"] for row in expected[key]]
        for got, want in zip(found[key], expected[key], strict=True):
            assert (got["n"], got["responders"]) == (want["n"], want["responders"])
            for name in ("orr", "ci_low", "ci_high"):
                assert got[name] == pytest.approx(want[name], abs=1e-6), (key, got["level"], name)
    assert found["fisher_p"] == pytest.approx(expected["fisher_p"], abs=1e-6)
    assert found["fisher_test"] == "fisher"


def _close(ours: float | None, r: float | None) -> bool:
    if ours is None or r is None:
        return ours is r
    return math.isclose(ours, r, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def _firth_mismatches(where: str, ours: Any, r: dict[str, Any]) -> list[str]:
    return [
        f"{where} {name}: ours {getattr(ours, name)!r}, R {r[name]!r}"
        for name in ("coef", "odds_ratio", "ci_low", "ci_high", "p")
        if not _close(getattr(ours, name), r[name])
    ]


def test_the_univariable_screen_equals_r() -> None:
    found = switch_predictors()
    expected = ORACLE_VALUES["predictors"]
    assert [(t.factor, t.test, t.n) for t in found.univariable] == [
        (row["factor"], row["test"], row["n"]) for row in expected["univariable"]
    ]
    for ours, r in zip(found.univariable, expected["univariable"], strict=True):
        assert _close(ours.p, r["p"]), (ours.factor, ours.p, r["p"])
    assert found.selected == expected["selected"]


def test_the_firth_model_with_the_stop_reason_equals_r() -> None:
    """The multivariable model as ``analyse`` fits it: every term's coefficient, odds ratio, profile
    penalized-likelihood 95% CI and penalized LR p-value equal R's (``firth.R``)."""
    model = switch_predictors().multivariable
    expected = ORACLE_VALUES["predictors"]["multivariable"]
    assert model.note is None and (model.n, model.events) == (49, 31)
    assert [t.term for t in model.terms] == [row["term"] for row in expected]
    mismatches: list[str] = []
    for ours, r in zip(model.terms, expected, strict=True):
        mismatches += _firth_mismatches(ours.term, ours, r)
    assert not mismatches, "\n".join(mismatches)


def test_the_model_codes_the_stop_reason_against_inefficacy_and_the_direction() -> None:
    terms = [t.term for t in switch_predictors().multivariable.terms]
    reasons = [t.removeprefix("stop_reason_course1=") for t in terms if t.startswith("stop_")]
    assert reasons == ["adverse_event", "fluctuation", "patient_preference", "remission", "unknown"]
    directions = [t for t in terms if t.startswith("direction=")]
    # the reference is the commonest direction, eltrombopag→romiplostim (15 of 49)
    assert len(directions) == 5 and "direction=eltrombopag\u2192romiplostim" not in directions
    assert {"age_course2", "splenectomy_before_course2"} <= set(terms)


def test_the_firth_model_on_response_to_course_1_equals_r() -> None:
    (term,) = switch_predictors().response_course1_firth.terms
    expected = ORACLE_VALUES["predictors"]["response_course1_firth"]
    assert not _firth_mismatches("response_course1", term, expected)


def test_the_fixture_holds_the_published_reasons() -> None:
    pairs = first_switch_pairs(fixture_courses())
    counts = pairs["stop_reason_1"].value_counts().to_dict()
    assert counts == {
        "inefficacy": 23,
        "fluctuation": 11,
        "patient_preference": 8,
        "adverse_event": 4,
        "unknown": 2,
        "remission": 1,
    }


def _courses(rows: list[tuple[str, int, str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [("C", *row) for row in rows],
        columns=["center", "patient_id", "course_number", "agent", "course_type",
                 "stop_reason", "response"],
    )  # fmt: skip


def test_the_pair_is_the_first_switch_and_the_course_before_it() -> None:
    """Written by hand from protocols.md: a retreatment before the switch keeps the patient and
    leaves the pair; a switch back later is not the compared switch; no switch, no pair."""
    courses = _courses(
        [
            ("A", 1, "eltrombopag", "first", "remission", "CR"),
            ("A", 2, "eltrombopag", "retreatment", "inefficacy", "NR"),
            ("A", 3, "romiplostim", "switch", "fluctuation", "R"),
            ("A", 4, "eltrombopag", "switch", "", "CR"),
            ("B", 1, "romiplostim", "first", "", "NR"),
            ("B", 2, "avatrombopag", "switch", "adverse_event", "NE"),
            ("C", 1, "avatrombopag", "first", "inefficacy", "NR"),
            ("C", 2, "avatrombopag", "retreatment", "", "R"),
        ]
    )
    pairs = first_switch_pairs(courses)
    assert pairs[["patient_id", "agent_1", "agent_2", "stop_reason_1", "responder_2"]].to_dict(
        "records"
    ) == [
        {
            "patient_id": "A",
            "agent_1": "eltrombopag",
            "agent_2": "romiplostim",
            "stop_reason_1": "inefficacy",
            "responder_2": True,
        },
        {
            "patient_id": "B",
            "agent_1": "romiplostim",
            "agent_2": "avatrombopag",
            "stop_reason_1": "unknown",
            "responder_2": False,
        },
    ]
    result = switch_analysis(courses, ("eltrombopag", "romiplostim", "avatrombopag"))
    assert [(lv.level, lv.n, lv.responders) for lv in result.by_reason] == [
        ("inefficacy", 1, 1),
        ("unknown", 1, 0),
    ]
    assert [lv.level for lv in result.by_direction] == [
        "eltrombopag\u2192romiplostim",
        "romiplostim\u2192avatrombopag",
    ]
    assert result.fisher_p == pytest.approx(1.0)


def test_one_reason_has_no_fisher_test() -> None:
    courses = _courses(
        [
            ("A", 1, "eltrombopag", "first", "inefficacy", "NR"),
            ("A", 2, "romiplostim", "switch", "", "R"),
        ]
    )
    result = switch_analysis(courses)
    assert result.fisher_p is None and result.fisher_test is None
    (level,) = result.by_reason
    assert (level.orr, level.ci_low, level.ci_high) == (100.0, pytest.approx(2.5), 100.0)
