"""Every figure of the analysis plan equals R's on the fixture cohorts (no R needed to run).

``oracle_values.json`` was written by ``tests/oracle/oracle.R`` (binom.test, binom.test on the
discordant pairs for McNemar, fisher.test, wilcox.test, survfit(conf.type = "log-log") with
quantile(), quantile(type = 7), brglm2 + penalized likelihood in the logistf convention). Its tree
mirrors results.json: each of its leaves must exist in our results.json at the same path and agree
within 1e-6 (relative or absolute), Firth figures within 1e-5.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from itpcohort.analysis import analyse, read_derived_tables
from itpcohort.config import StudyConfig

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "analysis"
ORACLE = json.loads((Path(__file__).parent / "oracle_values.json").read_text("utf-8"))
COHORTS = ("separation", "ties", "realistic")
TOLERANCE = 1e-6
FIRTH_TOLERANCE = 1e-5
#: lists where our results may hold more rows than the oracle (runs R had no tables for)
OPEN_LISTS = {("sensitivity",)}


@cache
def results_of(cohort: str) -> dict[str, Any]:
    folder = FIXTURES / cohort
    sensitivity = {
        run: read_derived_tables(folder / run)
        for run in ("confirm_28_days", "window_90_days")
        if (folder / run).is_dir()
    }
    return analyse(read_derived_tables(folder), StudyConfig(), sensitivity).to_json_dict()


def _is_firth(path: tuple[str | int, ...]) -> bool:
    text = "/".join(str(p) for p in path)
    return "firth" in text or "multivariable" in text or "response_course1_" in text


def _leaves(tree: Any, path: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], Any]]:
    if isinstance(tree, dict):
        out = []
        for key, value in tree.items():
            out += _leaves(value, (*path, key))
        return out
    if isinstance(tree, list):
        out = [((*path, "__len__"), len(tree))]
        for index, value in enumerate(tree):
            out += _leaves(value, (*path, index))
        return out
    return [(path, tree)]


def _lookup(tree: Any, path: tuple[str | int, ...]) -> Any:
    node = tree
    for step in path:
        if step == "__len__":
            return len(node)
        if isinstance(step, int):
            assert isinstance(node, list) and step < len(node), f"missing list item at {path}"
        else:
            assert isinstance(node, dict) and step in node, f"missing key {step!r} at {path}"
        node = node[step]
    return node


def _cases() -> list[tuple[str, tuple[str | int, ...], Any]]:
    return [(cohort, path, value) for cohort in COHORTS for path, value in _leaves(ORACLE[cohort])]


CASES = _cases()


def test_the_oracle_covers_every_analysis() -> None:
    for cohort in COHORTS:
        assert set(ORACLE[cohort]) >= {
            "flow",
            "cohort",
            "courses",
            "cross_table",
            "retreatment",
            "time_to_response",
            "duration",
            "predictors",
            "safety",
            "sensitivity",
        }
    assert "investigator_agreement" in ORACLE["realistic"]
    assert len(CASES) > 1500


@pytest.mark.parametrize("cohort", COHORTS)
def test_every_oracle_figure_matches(cohort: str) -> None:
    ours = results_of(cohort)
    mismatches = []
    for path, expected in _leaves(ORACLE[cohort]):
        if path[-1] == "__len__" and path[:-1] in OPEN_LISTS:
            assert _lookup(ours, path) >= expected
            continue
        actual = _lookup(ours, path)
        where = "/".join(str(p) for p in path)
        if expected is None or isinstance(expected, str):
            if actual != expected:
                mismatches.append(f"{where}: ours {actual!r}, R {expected!r}")
            continue
        if actual is None:
            mismatches.append(f"{where}: ours null, R {expected!r}")
            continue
        tolerance = FIRTH_TOLERANCE if _is_firth(path) else TOLERANCE
        if not math.isclose(actual, expected, rel_tol=tolerance, abs_tol=tolerance):
            mismatches.append(f"{where}: ours {actual!r}, R {expected!r}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("cohort", COHORTS)
def test_kaplan_meier_medians_in_months_are_r_days_over_a_month(cohort: str) -> None:
    """Issue 17 item 16: the months the report prints are R's survfit medians / (365.25/12)."""
    ours = results_of(cohort)
    month = 365.25 / 12
    checked = 0
    for key in ("by_course", "cr_by_course"):
        for r_row, our_row in zip(
            ORACLE[cohort]["duration"][key], ours["duration"][key], strict=True
        ):
            for what in ("median", "ci_low", "ci_high"):
                expected = r_row[f"{what}_days"]
                actual = our_row[f"{what}_months"]
                if expected is None:
                    assert actual is None, (key, what)
                    continue
                assert math.isclose(actual, expected / month, rel_tol=TOLERANCE), (key, what)
                checked += 1
    for run_row in ours["sensitivity"]:
        for course in (1, 2):
            days = run_row[f"median_duration_course{course}_days"]
            months = run_row[f"median_duration_course{course}_months"]
            assert (days is None and months is None) or math.isclose(months, days / month)
    assert checked > 0
