"""Kappa (Analysis 8) and the exact McNemar test (Analysis 3) are statsmodels' to the last bit.

statsmodels is no longer imported by a run (0.7 s of its start); it stays a test dependency as the
independent implementation they are compared with: ``agreement.cohen_kappa`` with
``cohens_kappa(wt=None)`` on hand-picked tables (perfect agreement, agreement no better than
chance, a single level used by both, one empty rater level) and on random 4 × 4 tables;
``response.mcnemar_exact`` with ``mcnemar(exact=True)`` on random paired responses.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.inter_rater import cohens_kappa

from itpcohort.analysis.agreement import cohen_kappa


def _statsmodels(table: np.ndarray) -> tuple[float, float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = cohens_kappa(table, wt=None)
    return float(result.kappa), float(result.kappa_low), float(result.kappa_upp)


def _same(got: tuple[float, float, float], expected: tuple[float, float, float]) -> bool:
    return all(
        (math.isnan(a) and math.isnan(b)) or a == b for a, b in zip(got, expected, strict=True)
    )


@pytest.mark.parametrize(
    "table",
    [
        [[10, 0, 0, 0], [0, 5, 0, 0], [0, 0, 7, 0], [0, 0, 0, 2]],  # perfect agreement
        [[5, 5, 0, 0], [5, 5, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]],  # no better than chance
        [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 12, 0], [0, 0, 0, 0]],  # one level, both raters
        [[30, 4, 1, 0], [3, 12, 2, 1], [0, 0, 0, 0], [2, 1, 3, 9]],  # an empty rater level
    ],
    ids=["perfect", "chance", "single-level", "empty-level"],
)
def test_hand_picked_tables(table: list[list[int]]) -> None:
    counts = np.array(table)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = cohen_kappa(counts)
    assert _same(got, _statsmodels(counts)), got


def test_a_known_value() -> None:
    # 2 x 2 table of Fleiss (1981): kappa = (0.70 - 0.50) / 0.50 = 0.4
    kappa, low, high = cohen_kappa(np.array([[40, 10], [20, 30]]))
    assert kappa == pytest.approx(0.4)
    assert low < 0.4 < high


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 400), min_size=16, max_size=16).filter(lambda c: sum(c) > 0))
def test_random_tables(cells: list[int]) -> None:
    counts = np.array(cells).reshape(4, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = cohen_kappa(counts)
    assert _same(got, _statsmodels(counts)), (cells, got)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 300), st.integers(0, 300), st.integers(0, 50), st.integers(0, 50))
def test_the_exact_mcnemar_test_is_statsmodels(both: int, b: int, c: int, neither: int) -> None:
    import pandas as pd
    from statsmodels.stats.contingency_tables import mcnemar

    from itpcohort.analysis.response import mcnemar_exact

    pairs = [("CR", "R")] * both + [("R", "NR")] * b + [("NR", "CR")] * c + [("NE", "NR")] * neither
    patients = pd.DataFrame(pairs, columns=["response_c1", "response_c2"])
    got = mcnemar_exact(patients)
    expected = mcnemar(np.array([[both, b], [c, neither]]), exact=True).pvalue
    assert (got.b, got.c) == (b, c)
    assert got.p == float(expected)
