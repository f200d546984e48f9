"""Analyses 2 and 3: response by course, the course 1 × course 2 cross-table, exact McNemar.

``flagship-study.md``, Analyses 2–3 and Exact definitions (Denominators, McNemar). Every per-course
proportion and the primary outcome use all included patients, ``NE`` counted as a non-responder.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from itpcohort.analysis.estimates import Proportion, level_counts, proportion
from itpcohort.schema import RESPONSES

RESPONDER_LEVELS = ("CR", "R")


def is_responder(responses: pd.Series) -> pd.Series:
    """True for ``CR`` or ``R``; ``NR``, ``NE`` and a missing course are non-responders."""
    return responses.isin(RESPONDER_LEVELS).fillna(False).astype(bool)


@dataclass(frozen=True)
class CourseResponse:
    """Best responses at one course over all included patients (``courses[]`` of results.json)."""

    course: int
    counts: dict[str, int]
    orr: Proportion
    cr: Proportion


def course_response(patients: pd.DataFrame, course: int) -> CourseResponse:
    """CR/R/NR/NE counts at ``course`` (1 or 2) and ORR and CR rates over all included patients."""
    responses = patients[f"response_c{course}"]
    counts = {level: int((responses == level).sum()) for level in RESPONSES}
    n = len(patients)
    return CourseResponse(
        course=course,
        counts=counts,
        orr=proportion(counts["CR"] + counts["R"], n),
        cr=proportion(counts["CR"], n),
    )


@dataclass(frozen=True)
class LaterCourse:
    """Best responses at a course beyond the second, among the included patients who had it."""

    course: int
    n_patients: int
    counts: dict[str, int]


def later_courses(courses: pd.DataFrame) -> list[LaterCourse]:
    """Counts of CR/R/NR/NE for every course number above 2 (no proportion: the plan has none)."""
    later = courses[courses["course_number"] > 2]
    out = []
    for number, group in later.groupby("course_number", sort=True):
        counts = {level: int((group["response"] == level).sum()) for level in RESPONSES}
        out.append(LaterCourse(course=int(number), n_patients=len(group), counts=counts))
    return out


@dataclass(frozen=True)
class CrossTable:
    """Course-1 response (rows) × course-2 response (columns), levels CR, R, NR, NE."""

    levels: tuple[str, ...]
    counts: list[list[int]]

    @property
    def summary(self) -> pd.DataFrame:
        """The table as a DataFrame (index: course 1, columns: course 2)."""
        return pd.DataFrame(
            self.counts,
            index=pd.Index(self.levels, name="course 1"),
            columns=pd.Index(self.levels, name="course 2"),
        )


def cross_table(patients: pd.DataFrame) -> CrossTable:
    """The 4 × 4 table of course-1 by course-2 best response over the included patients."""
    first, second = patients["response_c1"], patients["response_c2"]
    counts = level_counts(first, second, RESPONSES)
    return CrossTable(levels=RESPONSES, counts=counts)


@dataclass(frozen=True)
class McNemarExact:
    """Exact McNemar test of responder status, course 1 vs course 2.

    ``b`` = responders at course 1 only, ``c`` = responders at course 2 only.
    """

    b: int
    c: int
    p: float


def mcnemar_exact(patients: pd.DataFrame) -> McNemarExact:
    """Exact McNemar test over all included patients, ``NE`` counted as non-responder.

    p = min(1, 2·P(X ≤ min(b, c))), X ~ Binomial(b + c, 1/2), exactly the plan's definition
    (no mid-p); with b + c = 0, p = 1. The arithmetic is statsmodels' ``mcnemar(exact=True)``
    (the tests compare both), without importing statsmodels.
    """
    r1 = is_responder(patients["response_c1"])
    r2 = is_responder(patients["response_c2"])
    b = int((r1 & ~r2).sum())
    c = int((~r1 & r2).sum())
    p = np.minimum(stats.binom.cdf(np.minimum(float(b), float(c)), b + c, 0.5) * 2, 1)
    return McNemarExact(b=b, c=c, p=float(p))


@dataclass(frozen=True)
class ConditionalResponse:
    """Response to course 2 by course-1 status (Analysis 3).

    Course-1 ``NE`` patients are reported apart (``among_ne1``), in neither group.
    """

    among_responders1: Proportion
    among_nonresponders1: Proportion
    among_ne1: Proportion


def conditional_response(patients: pd.DataFrame) -> ConditionalResponse:
    """Course-2 responders among course-1 responders (CR/R), non-responders (NR) and NE."""
    r2 = is_responder(patients["response_c2"])
    r1 = patients["response_c1"]

    def among(mask: pd.Series) -> Proportion:
        mask = mask.fillna(False).astype(bool)
        return proportion(int((r2 & mask).sum()), int(mask.sum()))

    return ConditionalResponse(
        among_responders1=among(is_responder(r1)),
        among_nonresponders1=among(r1 == "NR"),
        among_ne1=among(r1 == "NE"),
    )
