"""The switch analyses of the tpo-ra-switch plan against R (issue 19, "Tests that prove it"): by
reason and by direction with Clopper–Pearson CIs, and Fisher's test across reasons, on the fixture
``tests/fixtures/switch/courses.csv`` (48 switching patients in the published proportions of
Khellaf et al. 2013, retreatments before a switch, switches back, patients without a switch),
compared within 1e-6 with ``switch_oracle_values.json`` written by ``switch_oracle.R``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from itpcohort.analysis.switch import first_switch_pairs, switch_analysis
from itpcohort.protocols import builtin_protocol

HERE = Path(__file__).parent
FIXTURE = HERE.parent / "fixtures" / "switch" / "courses.csv"
ORACLE = HERE / "switch_oracle_values.json"


def fixture_courses() -> pd.DataFrame:
    courses = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    courses["course_number"] = courses["course_number"].astype(int)
    return courses


def test_the_switch_analyses_equal_r() -> None:
    agents = builtin_protocol("tpo-ra-switch").courses.agents
    found = switch_analysis(fixture_courses(), agents).to_json_dict()
    expected = json.loads(ORACLE.read_text(encoding="utf-8"))["switch"]
    for key in ("by_reason", "by_direction"):
        assert [row["level"] for row in found[key]] == [row["level"] for row in expected[key]]
        for got, want in zip(found[key], expected[key], strict=True):
            assert (got["n"], got["responders"]) == (want["n"], want["responders"])
            for name in ("orr", "ci_low", "ci_high"):
                assert got[name] == pytest.approx(want[name], abs=1e-6), (key, got["level"], name)
    assert found["fisher_p"] == pytest.approx(expected["fisher_p"], abs=1e-6)
    assert found["fisher_test"] == "fisher"


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
