"""The Kaplan–Meier median and numbers at risk agree with a plain reference of the spec's words.

Reference (``flagship-study.md``, Exact definitions, Kaplan–Meier), in exact rational arithmetic:
S is the product over event times of (n − d)/n, events before censorings at tied times; the median
is the first time S ≤ 1/2, except that where S equals 1/2 exactly from an event time on it is the
midpoint between that time and the next event time (the last observed time when no event follows,
as R does). Number at risk at t = durations ≥ t.
"""

from __future__ import annotations

from fractions import Fraction

import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from itpcohort.analysis.survival import MONTH_DAYS, KaplanMeierDuration


def reference_median(durations: list[int], censored: list[bool]) -> float | None:
    event_times = sorted({t for t, c in zip(durations, censored, strict=True) if not c})
    survival = Fraction(1)
    for index, time in enumerate(event_times):
        at_risk = sum(1 for t in durations if t >= time)
        deaths = sum(1 for t, c in zip(durations, censored, strict=True) if t == time and not c)
        survival *= Fraction(at_risk - deaths, at_risk)
        if survival == Fraction(1, 2):
            following = event_times[index + 1] if index + 1 < len(event_times) else max(durations)
            return (time + following) / 2
        if survival < Fraction(1, 2):
            return float(time)
    return None


durations_and_flags = st.integers(min_value=1, max_value=40).flatmap(
    lambda n: st.tuples(
        st.lists(
            st.integers(min_value=0, max_value=60).map(lambda k: 15 * k), min_size=n, max_size=n
        ),
        st.lists(st.booleans(), min_size=n, max_size=n),
    )
)


@settings(max_examples=300, deadline=None)
@given(durations_and_flags)
@example(([1, 1, 2, 2, 3, 4, 4, 4, 4, 4], [False] * 5 + [True] * 5))  # 1/2 stored as 0.5 + 1e-16
@example(([50] * 7 + [60] * 6 + [70] * 6 + [80] * 6 + [90] * 25, [False] * 25 + [True] * 25))
def test_median_matches_the_reference(data: tuple[list[int], list[bool]]) -> None:
    durations, censored = data
    fit = KaplanMeierDuration().fit(pd.Series(durations), pd.Series(censored))
    assert fit.median_ == reference_median(durations, censored)
    assert fit.events_ == sum(not c for c in censored)
    for months in (6, 12, 24, 36):
        assert fit.at_risk_[f"m{months}"] == sum(d >= months * MONTH_DAYS for d in durations)
