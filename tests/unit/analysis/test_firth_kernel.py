"""The Firth iteration at BLAS speed gives the library's numbers bit for bit (``_firth_kernel``)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from firthmodels import FirthLogisticRegression
from firthmodels import logistic as library

from itpcohort.analysis._firth_kernel import (
    LIBRARY_QUANTITIES,
    fast_firth_kernel,
    logistic_quantities,
)


def design(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Binary, count and continuous columns of very different scales, as the plan's factors."""
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [
            rng.integers(0, 2, n),
            rng.integers(0, 6, n),
            rng.normal(50, 15, n),
            rng.exponential(100, n),
            np.ones(n),
        ]
    ).astype(float)
    eta = X @ np.array([1.2, -0.1, 0.01, 0.001, -0.8])
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    return X, y


@pytest.mark.parametrize(("n", "seed"), [(40, 1), (2_000, 2), (20_000, 3)])
def test_every_quantity_is_the_library_s_bit_for_bit(n: int, seed: int) -> None:
    X, y = design(n, seed)
    rng = np.random.default_rng(seed)
    weights, offset = rng.integers(1, 4, n).astype(float), np.zeros(n)
    ours, theirs = library._Workspace(n, X.shape[1]), library._Workspace(n, X.shape[1])
    for _ in range(5):
        beta = rng.normal(0, 0.05, X.shape[1])
        expected = LIBRARY_QUANTITIES(X, y, beta, weights, offset, theirs)
        got = logistic_quantities(X, y, beta, weights, offset, ours)
        assert got.loglik == expected.loglik
        assert np.array_equal(got.modified_score, expected.modified_score)
        assert np.array_equal(got.fisher_info, expected.fisher_info)
        assert np.array_equal(ours.h, theirs.h)


def fitted(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = FirthLogisticRegression(
            backend="numpy", gtol=1e-10, xtol=1e-10, max_iter=200, max_halfstep=0
        )
        model.fit(X, y).lrt([0, 1, 2, 3])
        ci = model.conf_int(method="pl", features=[0, 1, 2, 3], tol=1e-10, max_iter=200)
    return model.coef_, model.lrt_pvalues_, ci


def test_a_whole_fit_is_the_library_s_and_the_library_is_put_back() -> None:
    X, y = design(5_000, 4)
    X = X[:, :-1]  # the library adds the intercept
    expected = fitted(X, y)
    with fast_firth_kernel():
        assert library.compute_logistic_quantities is logistic_quantities
        got = fitted(X, y)
    assert library.compute_logistic_quantities is LIBRARY_QUANTITIES
    for ours, theirs in zip(got, expected, strict=True):
        assert np.array_equal(ours, theirs, equal_nan=True)
