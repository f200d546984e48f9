"""Property: exposure courses from the Ibis engine equal the plain-Python reference.

Each example draws exposure rules (random agents, era gaps, effect days), criteria (default or
random overrides) and a random cohort, and compares every column of every row of every exposure
mart (``courses``, ``patient_baseline``, ``ae_by_course``, ``investigator_comparison``,
``patient_treatment_events``).
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from itpcohort.criteria import Criteria
from itpcohort.derive.exposure import ExposureRules
from tests.property.test_engine_matches_reference import _normalised, _patient_rows
from tests.reference.canonical import arrow_tables, run_exposure_engine
from tests.reference.exposure import Rules, derive_exposure_reference
from tests.reference.random_exposures import exposure_cohort, exposure_rules
from tests.reference.random_timelines import criteria_sets

EXAMPLES = int(os.environ.get("ITPCOHORT_EXPOSURE_EXAMPLES", "25"))


def assert_same_exposure_marts(
    tables: dict[str, list[dict[str, Any]]], rules: Rules, criteria: Criteria
) -> None:
    """Engine and reference exposure marts are equal, row for row and column for column."""
    canonical = {name: t.to_pylist() for name, t in arrow_tables(tables).items()}
    expected = derive_exposure_reference(canonical, rules, criteria)
    engine_rules = ExposureRules(rules.agents, rules.era_gap_days, rules.exposure_effect_days)
    actual = run_exposure_engine(tables, engine_rules, criteria)
    assert set(actual) == set(expected)
    for mart, rows in expected.items():
        got, want = _normalised(actual[mart]), _normalised(rows)
        if got == want:
            continue
        missing = [r for r in want if r not in got]
        extra = [r for r in got if r not in want]
        first = (missing or extra)[0]
        key = (first["center"], first["patient_id"])
        raise AssertionError(
            f"{mart} differs under {rules} {criteria.as_dict()['overrides']}\n"
            f"reference only: {[r for r in missing if (r['center'], r['patient_id']) == key]}\n"
            f"engine only:    {[r for r in extra if (r['center'], r['patient_id']) == key]}\n"
            f"input of {key}:\n{_patient_rows(tables, key)}"
        )


@st.composite
def _examples(draw: st.DrawFn) -> tuple[Rules, dict[str, list[dict[str, Any]]]]:
    rules = draw(exposure_rules())
    return rules, draw(exposure_cohort(rules.agents))


@settings(
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(example=_examples(), criteria=criteria_sets())
def test_exposure_engine_matches_reference(
    example: tuple[Rules, dict[str, list[dict[str, Any]]]], criteria: Criteria
) -> None:
    rules, tables = example
    assert_same_exposure_marts(tables, rules, criteria)
