"""Analysis 8: agreement of the derived response with the investigator's (``response-criteria.md`` §9).

Courses of the included patients that have an investigator assessment are compared; the derived
response is always the one analysed. Agreement is exact agreement on the four levels CR/R/NR/NE;
Cohen's (unweighted) kappa on the 4 × 4 table, with its asymptotic 95 % CI, is ``cohen_kappa``:
statsmodels' ``cohens_kappa`` operation for operation (the tests compare both), without importing
statsmodels (0.7 s of every run's start).
A course whose investigator response is empty is not an assessment and is left out (counted).
Every course of the included patients without an assessment is counted, per center
(``not_assessed``, ``by_center``): a center that sent no assessments file shows all its courses
as not assessed.
An assessment of a course that does not exist among the derived courses (``derived_response``
empty in the mart: a course number beyond the patient's courses, or a course lost with a rejected
treatment row) is a fact about the data, not a comparison: it is listed apart (``no_course``, for
every patient, included or not) and never enters the agreement.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from itpcohort.analysis.estimates import Proportion, finite_or_none, level_counts, proportion
from itpcohort.analysis.population import KEY
from itpcohort.schema import RESPONSES

#: the normal quantile of a two-sided 95 % interval, as statsmodels' ``KappaResults`` takes it
_Z_95 = stats.norm.isf(0.025)


def cohen_kappa(counts: np.ndarray) -> tuple[float, float, float]:
    """Cohen's unweighted kappa of a square table of counts (rows: one rater, columns: the
    other) and its asymptotic 95 % CI (``flagship-study.md`` Analysis 8): kappa ± z·SE with the
    large-sample variance of Fleiss, Cohen and Everitt (1969). The arithmetic is statsmodels'
    ``cohens_kappa(table, wt=None)``, in its order, so the numbers are its to the last bit.
    Undefined values (a single level used by both) are NaN.
    """
    table = np.asarray(counts, float)
    agree = np.diag(table).sum()
    nobs = table.sum()
    probs = table / nobs
    probs_diag = np.diag(probs)
    freq_row = table.sum(1) / nobs
    freq_col = table.sum(0) / nobs
    prob_exp = freq_col * freq_row[:, None]
    agree_exp = np.diag(prob_exp).sum()
    kappa = (agree / nobs - agree_exp) / (1 - agree_exp)
    term_a = (probs_diag * (1 - (freq_row + freq_col) * (1 - kappa)) ** 2).sum()
    term_b = probs * (freq_col[:, None] + freq_row) ** 2
    diagonal = np.arange(table.shape[0])
    term_b[diagonal, diagonal] = 0
    term_b = (1 - kappa) ** 2 * term_b.sum()
    term_c = (kappa - agree_exp * (1 - kappa)) ** 2
    var_kappa = (term_a + term_b - term_c) / (1 - agree_exp) ** 2 / nobs
    delta = _Z_95 * np.sqrt(var_kappa)
    return float(kappa), float(kappa - delta), float(kappa + delta)


@dataclass(frozen=True)
class DiscordantCourse:
    """A course whose derived response differs from the investigator's."""

    center: str
    patient_id: str
    course: int
    investigator_response: str
    derived_response: str


@dataclass(frozen=True)
class AssessmentWithoutCourse:
    """An investigator assessment of a course the derivation does not have (``data-model.md``)."""

    center: str
    patient_id: str
    course: int
    investigator_response: str | None


@dataclass(frozen=True)
class CenterAssessments:
    """Courses of the included patients of one center, with and without an assessment."""

    center: str
    courses: int
    assessed: int
    not_assessed: int


@dataclass(frozen=True)
class Agreement:
    """Investigator vs derived response: n, % agreement, Cohen's kappa, discordant courses."""

    n_courses: int
    agreement: Proportion
    kappa: float | None
    kappa_ci_low: float | None
    kappa_ci_high: float | None
    table: list[list[int]]
    discordant: list[DiscordantCourse] = field(default_factory=list)
    not_assessed: int = 0
    note: str | None = None
    n_no_course: int = 0
    no_course: list[AssessmentWithoutCourse] = field(default_factory=list)
    n_included_courses: int = 0
    by_center: list[CenterAssessments] = field(default_factory=list)


def investigator_agreement(
    comparison: pd.DataFrame | None, patients: pd.DataFrame, courses: pd.DataFrame
) -> Agreement | None:
    """Agreement over the assessed courses of the included patients; None without assessments.

    ``courses`` holds every course of the included patients (``Population.courses``): each one
    without an investigator response is counted as not assessed, per center.
    """
    if comparison is None or len(comparison) == 0:
        return None
    no_course = assessments_without_course(comparison)
    rows = comparison[comparison["derived_response"].notna()]
    rows = rows.merge(patients[KEY], on=KEY, how="inner")
    rows = rows[rows["investigator_response"].notna()]
    by_center = assessments_by_center(courses, rows)
    rows = rows.sort_values([*KEY, "course_number"]).reset_index(drop=True)
    investigator, derived = rows["investigator_response"], rows["derived_response"]
    counts = np.array(level_counts(investigator, derived, RESPONSES), dtype=int)
    n = int(counts.sum())
    agree = int(np.trace(counts))
    kappa = low = high = None
    note = None
    if n == 0:
        note = "no investigator assessment for the included patients"
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            # unweighted kappa (wt=None): the four levels are compared as categories
            estimate, lower, upper = cohen_kappa(counts)
        kappa = finite_or_none(estimate)
        if kappa is None:
            note = "kappa undefined: both raters used a single, identical level"
        else:
            low, high = finite_or_none(lower), finite_or_none(upper)
    discordant = [
        DiscordantCourse(
            center=str(r.center),
            patient_id=str(r.patient_id),
            course=int(r.course_number),
            investigator_response=str(r.investigator_response),
            derived_response=str(r.derived_response),
        )
        for r in rows[rows["investigator_response"] != rows["derived_response"]].itertuples()
    ]
    return Agreement(
        n_courses=n,
        agreement=proportion(agree, n),
        kappa=kappa,
        kappa_ci_low=low,
        kappa_ci_high=high,
        table=counts.tolist(),
        discordant=discordant,
        not_assessed=sum(c.not_assessed for c in by_center),
        note=note,
        n_no_course=len(no_course),
        no_course=no_course,
        n_included_courses=sum(c.courses for c in by_center),
        by_center=by_center,
    )


def assessments_by_center(courses: pd.DataFrame, assessed: pd.DataFrame) -> list[CenterAssessments]:
    """Per center (sorted), the courses of the included patients and how many were assessed.

    ``assessed`` holds one row per assessed course (investigator response present, course
    existing); a course assessed twice counts once.
    """
    keys = [*KEY, "course_number"]
    marked = (
        courses[keys]
        .drop_duplicates()
        .merge(assessed[keys].drop_duplicates(), on=keys, how="left", indicator=True)
    )
    marked["is_assessed"] = marked["_merge"] == "both"
    counts = marked.groupby("center", sort=True)["is_assessed"].agg(["size", "sum"])
    return [
        CenterAssessments(
            center=str(center),
            courses=int(row["size"]),
            assessed=int(row["sum"]),
            not_assessed=int(row["size"] - row["sum"]),
        )
        for center, row in counts.iterrows()
    ]


def assessments_without_course(comparison: pd.DataFrame) -> list[AssessmentWithoutCourse]:
    """The assessments whose course the derivation does not have, sorted by center, patient, course.

    ``comparison`` is the ``investigator_comparison`` mart (``derived_response`` empty for them);
    every patient counts, included or not, since this is a data-quality finding.
    """
    rows = comparison[comparison["derived_response"].isna()]
    rows = rows.sort_values([*KEY, "course_number"]).reset_index(drop=True)
    return [
        AssessmentWithoutCourse(
            center=str(r.center),
            patient_id=str(r.patient_id),
            course=int(r.course_number),
            investigator_response=None
            if pd.isna(r.investigator_response)
            else str(r.investigator_response),
        )
        for r in rows.itertuples()
    ]
