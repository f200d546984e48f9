"""Proportions (Clopper–Pearson), type-7 quantiles and the Kaplan–Meier conventions of R."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from itpcohort.analysis.estimates import level_counts, proportion, proportion_of, quantiles
from itpcohort.analysis.survival import MONTH_DAYS, KaplanMeierDuration, survfit_quantile
from itpcohort.schema import RESPONSES


def test_proportion_is_clopper_pearson_as_r_binom_test() -> None:
    # R: binom.test(7, 10)$conf.int
    p = proportion(7, 10)
    assert p.pct == 70.0
    assert p.ci_low == pytest.approx(34.7547149940003, abs=1e-9)
    assert p.ci_high == pytest.approx(93.3260488822266, abs=1e-9)


def test_proportion_boundaries_and_empty_denominator() -> None:
    assert proportion(0, 5).ci_low == 0.0
    assert proportion(5, 5).ci_high == 100.0
    empty = proportion(0, 0)
    assert (empty.pct, empty.ci_low, empty.ci_high) == (None, None, None)
    with pytest.raises(ValueError, match="0 <= n <= denominator"):
        proportion(3, 2)


def test_proportion_of_leaves_missing_out_of_the_denominator() -> None:
    p = proportion_of(pd.Series([True, False, None, True], dtype="boolean"))
    assert (p.n, p.denominator) == (2, 3)


def test_quantiles_are_type_7() -> None:
    q = quantiles([4.0, 1.0, 3.0, 2.0, None])
    assert (q.q1, q.median, q.q3, q.n, q.missing) == (1.75, 2.5, 3.25, 4, 1)
    empty = quantiles([])
    assert (empty.median, empty.q1, empty.q3, empty.n) == (None, None, None, 0)


def km(durations: list[float], censored: list[bool]) -> KaplanMeierDuration:
    return KaplanMeierDuration().fit(pd.Series(durations), pd.Series(censored))


def test_km_median_midpoint_when_s_is_exactly_one_half() -> None:
    # R: survfit(Surv(1:6, c(1,1,1,1,0,1)) ~ 1, conf.type = "log-log"): median 3.5, CI 1 to NA
    fit = km([1, 2, 3, 4, 5, 6], [False, False, False, False, True, False])
    assert fit.median_ == 3.5
    assert fit.ci_low_ == 1.0
    assert fit.ci_high_ is None


def test_km_median_first_time_at_or_below_one_half_and_band_nan_where_r_has_na() -> None:
    # R: survfit(Surv(c(10,20,20,30,40,50), c(1,1,0,1,0,0)) ~ 1): median 30, CI 10 to NA
    fit = km([10, 20, 20, 30, 40, 50], [False, False, True, False, True, True])
    assert (fit.median_, fit.ci_low_, fit.ci_high_) == (30.0, 10.0, None)
    assert (fit.n_, fit.events_) == (6, 3)
    # the log-log band of R (summary(fit)$lower) at the three event times
    events = fit.survival_[fit.survival_["n_event"] > 0]
    np.testing.assert_allclose(
        events["lower"], [0.273122849928356, 0.194616636806235, 0.066186753146413], atol=1e-12
    )


def test_km_last_step_exactly_one_half_uses_the_last_follow_up_time() -> None:
    # S = 0.5 from 300 on with only censorings after: R gives (300 + 700) / 2
    fit = km([60, 90, 250, 300, 380, 410, 500, 700], [False] * 4 + [True] * 4)
    assert fit.median_ == 500.0


def test_km_exactly_one_half_despite_floating_point() -> None:
    # S = 8/10 · 6/8 · 5/6 = 1/2 is 0.5000000000000001 in floating point; R's quantile.survfit then
    # says "not reached" (NA). The plan's rule ("equals 0.5 exactly") gives (3 + 4) / 2.
    fit = km([1, 1, 2, 2, 3, 4, 4, 4, 4, 4], [False] * 5 + [True] * 5)
    assert fit.median_ == 3.5


def test_km_every_duration_censored_has_no_median() -> None:
    fit = km([100, 200, 300], [True, True, True])
    assert (fit.median_, fit.ci_low_, fit.ci_high_, fit.events_) == (None, None, None, 0)
    assert fit.at_risk_ == {"m6": 2, "m12": 0, "m24": 0, "m36": 0}


def test_km_without_durations() -> None:
    fit = km([], [])
    assert (fit.n_, fit.events_, fit.median_) == (0, 0, None)
    assert fit.at_risk_ == {"m6": 0, "m12": 0, "m24": 0, "m36": 0}
    assert "0 durations" in repr(fit)


def test_numbers_at_risk_use_months_of_365_25_over_12_days() -> None:
    six_months = 6 * MONTH_DAYS  # 182.625 days
    fit = km([182, 183, 365, 366], [True] * 4)
    assert six_months == 182.625
    assert fit.at_risk_["m6"] == 3
    assert fit.at_risk_["m12"] == 1  # 365.25 days: only 366


def test_survfit_quantile_never_reached() -> None:
    assert survfit_quantile(np.array([1.0, 2.0]), np.array([0.9, 0.8]), 2.0) is None
    assert survfit_quantile(np.array([1.0]), np.array([np.nan]), 1.0) is None


def test_level_counts_count_each_pair_as_comparing_every_cell_does() -> None:
    rng = np.random.default_rng(11)
    values = ["CR", "R", "NR", "NE", "PR", "", None, pd.NA]
    for dtype in (object, "string"):
        rows = pd.Series(rng.choice(np.array(values, dtype=object), 5_000), dtype=dtype)
        columns = pd.Series(rng.choice(np.array(values, dtype=object), 5_000), dtype=dtype)
        expected = [
            [int(((rows == a) & (columns == b)).fillna(False).sum()) for b in RESPONSES]
            for a in RESPONSES
        ]
        assert level_counts(rows, columns, RESPONSES) == expected
    assert level_counts(pd.Series([], dtype=object), pd.Series([], dtype=object), ("a",)) == [[0]]
