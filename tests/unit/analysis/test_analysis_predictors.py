"""Univariable tests and the Firth model of Analysis 5."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from firthmodels import FirthLogisticRegression
from scipy import stats

from itpcohort.analysis.predictors import (
    OUTCOME,
    FirthLogit,
    _completion_bounds,
    _row_minimum,
    collapse_rows,
    design_matrix,
    fisher_exact_kx2,
    fit_firth,
    wilcoxon_rank_sum,
)


def test_fisher_k_by_2_is_exact_as_r_fisher_test() -> None:
    # R: fisher.test(matrix(c(3, 5, 1, 1, 2, 4), 3))$p.value (scipy's default is Monte Carlo)
    p, test = fisher_exact_kx2(np.array([[3, 1], [5, 2], [1, 4]]))
    assert test == "fisher"
    assert p == pytest.approx(0.235139860139861, abs=1e-12)


def test_fisher_k_by_2_agrees_with_scipy_on_2_by_2_tables() -> None:
    rng = np.random.default_rng(3)
    for _ in range(30):
        table = rng.integers(0, 9, size=(2, 2))
        if (table.sum(axis=1) == 0).any() or (table.sum(axis=0) == 0).any():
            continue
        expected = stats.fisher_exact(table).pvalue
        assert fisher_exact_kx2(table)[0] == pytest.approx(expected, abs=1e-12)


def test_fisher_degenerate_tables_give_one() -> None:
    assert fisher_exact_kx2(np.array([[3, 0], [4, 0], [1, 0]]))[0] == 1.0
    assert fisher_exact_kx2(np.array([[3, 2], [0, 0], [0, 0]]))[0] == 1.0


def test_wilcoxon_exact_without_ties_normal_with_ties() -> None:
    # R: wilcox.test(c(1,2,3), c(4,5,6,7))$p.value = 0.05714286 (exact)
    assert wilcoxon_rank_sum(np.array([1.0, 2, 3]), np.array([4.0, 5, 6, 7])) == pytest.approx(
        4 / 70, abs=1e-12
    )
    # R: wilcox.test(c(1,2,2,3,5), c(2,4,4,6,7,8))$p.value (ties: normal, corrected)
    p = wilcoxon_rank_sum(np.array([1.0, 2, 2, 3, 5]), np.array([2.0, 4, 4, 6, 7, 8]))
    assert p == pytest.approx(0.079343683197715, abs=1e-12)


def test_wilcoxon_not_testable() -> None:
    assert wilcoxon_rank_sum(np.array([]), np.array([1.0])) is None
    assert wilcoxon_rank_sum(np.array([2.0, 2.0]), np.array([2.0])) is None


def separated() -> pd.DataFrame:
    return pd.DataFrame(
        {OUTCOME: [1, 1, 1, 1, 0, 0, 0, 0, 0], "response_course1": [1, 1, 1, 1, 0, 0, 0, 0, 0.0]}
    )


def test_firth_is_finite_under_complete_separation() -> None:
    model = fit_firth(separated(), ["response_course1"])
    term = model.terms[0]
    assert model.note is None
    assert term.odds_ratio is not None and term.odds_ratio > 1
    assert term.ci_low is not None and term.ci_low > 1
    assert term.ci_high is not None and term.ci_high > term.odds_ratio
    assert term.p is not None and term.p < 0.05


def test_firth_logit_summary_names_the_ci_level() -> None:
    frame = separated()
    fitted = FirthLogit().fit(frame[["response_course1"]], frame[OUTCOME])
    assert list(fitted.summary.columns) == [
        "coef",
        "odds ratio",
        "odds ratio lower 95%",
        "odds ratio upper 95%",
        "p (penalized LR)",
    ]
    assert "9 patients" in repr(fitted)


def test_firth_not_estimable_cases_give_a_note() -> None:
    all_respond = separated().assign(**{OUTCOME: 1})
    model = fit_firth(all_respond, ["response_course1"])
    assert model.terms == [] and "every patient responded" in (model.note or "")
    assert fit_firth(separated(), []).note == "no factor selected"
    constant = separated().assign(response_course1=1.0)
    assert "no variation" in (fit_firth(constant, ["response_course1"]).note or "")


def two_by_two(a: int, b: int, c: int, d: int) -> pd.DataFrame:
    """a responders and b non-responders among course-1 responders; c and d among the others."""
    cells = [(1.0, 1, a), (1.0, 0, b), (0.0, 1, c), (0.0, 0, d)]
    rows = [(x, y) for x, y, n in cells for _ in range(n)]
    return pd.DataFrame(rows, columns=["response_course1", OUTCOME])


def test_collapsed_single_factor_fit_is_the_saturated_firth_estimate() -> None:
    # a saturated model: Firth's estimate adds 1/2 to every cell of the 2 x 2 table (hand-worked)
    a, b, c, d = 700, 300, 150, 850
    model = fit_firth(two_by_two(a, b, c, d), ["response_course1"])
    expected = math.log((a + 0.5) * (d + 0.5) / ((b + 0.5) * (c + 0.5)))
    assert model.n == 2000 and model.events == 850
    assert model.terms[0].coef == pytest.approx(expected, rel=1e-9)


def test_collapsed_fit_equals_the_fit_on_every_patient() -> None:
    rng = np.random.default_rng(5)
    n = 3000
    x1 = rng.integers(0, 2, n).astype(float)
    x2 = rng.integers(0, 4, n).astype(float)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-0.5 + 0.3 * x1 - 0.1 * x2)))).astype(int)
    design = pd.DataFrame({"response_course1": x1, "prior_lines_course2": x2})
    X, _, counts = collapse_rows(design.to_numpy(), y)
    assert len(X) <= 16 and counts.sum() == n
    fitted = FirthLogit().fit(design, pd.Series(y))
    # the independent computation: firthmodels on every patient's row, unweighted
    every = FirthLogisticRegression(
        backend="numpy", gtol=1e-10, xtol=1e-10, max_iter=200, max_halfstep=0
    )
    every.fit(design.to_numpy(), y).lrt([0, 1])
    ci = every.conf_int(method="pl", features=[0, 1], tol=1e-10, max_iter=200)
    for j, term in enumerate(fitted.terms_):
        assert term.coef == pytest.approx(every.coef_[j], rel=1e-8)
        assert term.p == pytest.approx(every.lrt_pvalues_[j], rel=1e-7)
        assert term.ci_low == pytest.approx(math.exp(ci[j, 0]), rel=1e-8)
        assert term.ci_high == pytest.approx(math.exp(ci[j, 1]), rel=1e-8)


def test_rows_of_a_continuous_design_are_kept_as_they_are() -> None:
    rng = np.random.default_rng(2)
    X = np.column_stack([rng.integers(0, 2, 50), rng.normal(size=50)]).astype(float)
    y = rng.integers(0, 2, 50)
    kept, kept_y, weights = collapse_rows(X, y)
    assert kept is X and kept_y is y and (weights == 1).all()
    # fewer distinct rows than parameters: kept too (the solver names the rank deficiency)
    flat = np.zeros((40, 2))
    assert collapse_rows(flat, np.zeros(40, dtype=int))[0] is flat


def test_design_matrix_codes_regimen_against_375x4() -> None:
    frame = pd.DataFrame({"regimen_course2": ["375x4", "1000x2", "low_dose", "375x4"]})
    design, notes = design_matrix(frame, ["regimen_course2"])
    assert list(design.columns) == ["regimen_course2=1000x2", "regimen_course2=low_dose"]
    assert notes == []
    without_reference = pd.DataFrame({"regimen_course2": ["1000x2", "low_dose", "1000x2"]})
    design, notes = design_matrix(without_reference, ["regimen_course2"])
    assert list(design.columns) == ["regimen_course2=low_dose"]
    assert "reference 1000x2" in notes[0]


def brute_force_fisher(table: np.ndarray) -> float:
    """Every k × 2 table with the observed margins, enumerated plainly (math.comb, exact integers)."""
    rows = [int(r) for r in table.sum(axis=1)]
    column1 = int(table[:, 1].sum())

    def weight(xs: tuple[int, ...]) -> int:
        return math.prod(math.comb(r, x) for r, x in zip(rows, xs, strict=True))

    observed = weight(tuple(int(v) for v in table[:, 1]))
    tables = [xs for xs in itertools.product(*(range(r + 1) for r in rows)) if sum(xs) == column1]
    extreme = sum(weight(xs) for xs in tables if weight(xs) <= observed * (1 + 1e-7))
    return extreme / math.comb(sum(rows), column1)


def test_fisher_k_by_2_equals_plain_enumeration() -> None:
    rng = np.random.default_rng(11)
    checked = 0
    for _ in range(60):
        k = int(rng.integers(3, 6))
        table = rng.integers(0, 7, size=(k, 2))
        if table[:, 1].sum() in (0, table.sum()):
            continue
        p, test = fisher_exact_kx2(table)
        assert test == "fisher"
        assert p == pytest.approx(brute_force_fisher(table), rel=1e-9, abs=1e-12)
        checked += 1
    assert checked > 40


def test_fisher_k_by_2_stays_exact_for_large_cohorts() -> None:
    # R: fisher.test(matrix(c(2700, 1500, 400, 240, 2600, 1400, 380, 200), 4), workspace = 2e8)
    table = np.array([[2700, 2600], [1500, 1400], [400, 380], [240, 200]])
    p, test = fisher_exact_kx2(table)
    assert test == "fisher"
    assert p == pytest.approx(0.511345117600812, rel=1e-8)


def test_fisher_completion_bounds_equal_enumeration() -> None:
    """The concave shortcuts (largest increments for the max, vertices for the min) and the dynamic
    programme kept beyond FISHER_VERTEX_ROWS rows give the max and min of every completion."""
    rng = np.random.default_rng(5)
    for _ in range(40):
        rows = rng.integers(1, 7, size=int(rng.integers(1, 5)))
        column1 = int(rng.integers(0, rows.sum() + 1))
        best, worst = _completion_bounds(rows, column1)
        for i in range(len(rows)):
            tail = [int(r) for r in rows[i:]]
            for t in range(column1 + 1):
                sums = [
                    sum(math.log(math.comb(r, x)) for r, x in zip(tail, xs, strict=True))
                    for xs in itertools.product(*(range(r + 1) for r in tail))
                    if sum(xs) == t
                ]
                if not sums:
                    assert best[i, t] == -np.inf and worst[i, t] == np.inf
                    continue
                assert best[i, t] == pytest.approx(max(sums), abs=1e-9)
                assert worst[i, t] == pytest.approx(min(sums), abs=1e-9)
        row_minimum = _row_minimum(int(rows[0]), worst[1], np.arange(column1 + 1))
        assert np.allclose(row_minimum, worst[0], atol=1e-9)


def test_fisher_stays_exact_at_200k_patients() -> None:
    """A 3-level factor of a 200,000-patient study. 0.8550790359121386 is the p-value of the
    earlier dynamic programme over every (t, x) pair (236 s on this machine, against 2 s now);
    the chi-squared test agrees to three decimals at this size."""
    table = np.array([[60_000, 40_000], [30_000, 20_100], [20_000, 13_300]])
    p, test = fisher_exact_kx2(table)
    assert test == "fisher"
    assert p == pytest.approx(0.8550790359121386, rel=1e-9)
    assert p == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue, abs=1e-3)
