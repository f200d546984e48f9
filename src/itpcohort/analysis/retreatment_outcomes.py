"""Analysis 4: retreatment comparisons, time to response and duration of response per course.

``flagship-study.md``, Analysis 4, and ``response-criteria.md`` section 7. The per-patient
comparison flags (``response_similar_or_better``, ``duration_similar_or_longer``) are derived
upstream in the ``retreatment`` table; a missing flag means not evaluable and leaves the
denominator (both courses must be non-``NE`` for the response type; the duration comparison is
defined for course-1 responders whose course-2 duration is conclusive).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from itpcohort.analysis.estimates import Proportion, Quantiles, proportion_of, quantiles
from itpcohort.analysis.response import is_responder
from itpcohort.analysis.survival import MONTH_DAYS, KaplanMeierDuration


@dataclass(frozen=True)
class RetreatmentComparison:
    """Response type similar or better, and duration similar or longer (section 7)."""

    response_similar_or_better: Proportion
    duration_similar_or_longer: Proportion


def retreatment_comparison(patients: pd.DataFrame) -> RetreatmentComparison:
    """Proportions of the two section-7 comparisons among evaluable included patients."""
    return RetreatmentComparison(
        response_similar_or_better=proportion_of(patients["response_similar_or_better"]),
        duration_similar_or_longer=proportion_of(patients["duration_similar_or_longer"]),
    )


def time_to_response(patients: pd.DataFrame, course: int) -> Quantiles:
    """Median and IQR of ``time_to_response_days`` among responders (CR or R) at ``course``."""
    responders = is_responder(patients[f"response_c{course}"])
    return quantiles(patients.loc[responders, f"time_to_response_days_c{course}"])


@dataclass(frozen=True)
class DurationSummary:
    """One line of ``duration.by_course[]`` / ``duration.cr_by_course[]`` (Kaplan–Meier).

    The median and its 95% CI are given in days (the contract) and in months of 365.25/12 days
    (the unit of the report's axis and tables).
    """

    course: int
    n: int
    events: int
    median_days: float | None
    ci_low_days: float | None
    ci_high_days: float | None
    at_risk: dict[str, int]
    median_months: float | None = None
    ci_low_months: float | None = None
    ci_high_months: float | None = None


def months(days: float | None) -> float | None:
    """``days`` in months of 365.25/12 days (``flagship-study.md``: a month everywhere); None stays."""
    return None if days is None else days / MONTH_DAYS


def duration_by_course(
    patients: pd.DataFrame, course: int, complete_response: bool = False
) -> tuple[DurationSummary, KaplanMeierDuration]:
    """Kaplan–Meier of the response duration (or of the CR duration) at ``course``.

    Responders (CR or R) at the course enter the response-duration curve; CR patients enter the
    CR-duration curve. The fitted estimator is returned too (for the report's curves).
    """
    response = patients[f"response_c{course}"]
    if complete_response:
        members = response.eq("CR").fillna(False).astype(bool)
        days, censored = "cr_duration_days", "cr_duration_censored"
    else:
        members = is_responder(response)
        days, censored = "duration_days", "duration_censored"
    km = KaplanMeierDuration().fit(
        patients.loc[members, f"{days}_c{course}"], patients.loc[members, f"{censored}_c{course}"]
    )
    summary = DurationSummary(
        course=course,
        n=km.n_,
        events=km.events_,
        median_days=km.median_,
        ci_low_days=km.ci_low_,
        ci_high_days=km.ci_high_,
        at_risk=dict(km.at_risk_),
        median_months=months(km.median_),
        ci_low_months=months(km.ci_low_),
        ci_high_months=months(km.ci_high_),
    )
    return summary, km
