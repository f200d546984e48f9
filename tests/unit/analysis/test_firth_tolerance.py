"""The Firth fit's tolerance follows the float64 resolution of its sums (``flagship-study.md``,
Firth model: "a tolerance of 1e-8 or better"; ``predictors.firth_tolerance``)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from itpcohort.analysis.predictors import (
    FIRTH_PLAN_TOLERANCE,
    FIRTH_TOLERANCE,
    FirthLogit,
    firth_tolerance,
)


def _dose_study(n: int = 40_000) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(3)
    dose = rng.normal(5_000, 1_000, n)  # a covariate in the thousands: a dose in mg
    flag = rng.integers(0, 2, n).astype(float)
    age = rng.normal(60, 15, n)
    eta = -1 + 0.0001 * (dose - 5_000) + 0.3 * flag + 0.01 * (age - 60)
    outcome = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    return pd.DataFrame({"dose": dose, "flag": flag, "age": age}), pd.Series(outcome)


def test_a_study_of_a_few_hundred_patients_keeps_the_strict_tolerance() -> None:
    """The flagship demo's multivariable design: 261 patients, its largest column total 5,613
    (interval in months): the tolerance stays 1e-10, so its numbers are unchanged."""
    X = np.column_stack([np.ones(261), np.full(261, 5_613 / 261)])
    assert firth_tolerance(X, np.ones(261)) == FIRTH_TOLERANCE


def test_the_tolerance_grows_with_the_sums_up_to_the_plan_s_bound() -> None:
    X = np.column_stack([np.ones(40_000), np.full(40_000, 5_000.0)])
    eps = float(np.finfo(np.float64).eps)
    assert firth_tolerance(X, np.ones(40_000)) == FIRTH_PLAN_TOLERANCE  # 16·eps·2e8 > 1e-8
    X_small = np.column_stack([np.ones(40_000), np.full(40_000, 5.0)])
    assert math.isclose(firth_tolerance(X_small, np.ones(40_000)), 16 * eps * 200_000)
    # weighted distinct rows count as the patients they stand for
    assert firth_tolerance(np.ones((2, 1)), np.array([20_000.0, 20_000.0])) == firth_tolerance(
        np.ones((40_000, 1)), np.ones(40_000)
    )


def test_a_covariate_in_the_thousands_converges_and_matches_the_rescaled_fit() -> None:
    """With 1e-10 on a score summed over 40,000 doses near 5,000, the fit never converged (every
    term None). Firth's estimates are equivariant under rescaling a covariate: the same model with
    the dose in grams (sums 1,000 times smaller, tolerance 1e-10 met) gives the same odds ratios of
    the other terms, the same p-values and the dose's coefficient times 1,000."""
    design, outcome = _dose_study()
    in_mg = FirthLogit().fit(design, outcome)
    in_g = FirthLogit().fit(design.assign(dose=design["dose"] / 1_000), outcome)
    assert in_mg.converged_ and in_mg.warnings_ == []
    mg = {t.term: t for t in in_mg.terms_}
    g = {t.term: t for t in in_g.terms_}
    for term in ("flag", "age"):
        for field in ("odds_ratio", "ci_low", "ci_high"):
            assert math.isclose(getattr(mg[term], field), getattr(g[term], field), rel_tol=1e-6)
    for term in ("dose", "flag", "age"):
        assert math.isclose(mg[term].p, g[term].p, rel_tol=1e-6, abs_tol=1e-300)
    assert math.isclose(mg["dose"].coef * 1_000, g["dose"].coef, rel_tol=1e-6)
    assert math.isclose(mg["dose"].ci_low ** 1_000, g["dose"].ci_low, rel_tol=1e-5)
