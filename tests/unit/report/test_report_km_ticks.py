"""The Kaplan–Meier figure at any size: one censoring tick per censoring time (issue 17, item 19)."""

from __future__ import annotations

import pandas as pd

from itpcohort.report import Translator
from itpcohort.report._figures import km_figure

CENSORED_DAYS = (40.0, 90.0, 200.0, 400.0, 700.0)


def _svg_marks(copies: int) -> int:
    """The markers of the KM figure of 100 events and ``copies`` censorings at each of 5 times."""
    days = [10.0 * (i + 1) for i in range(100)] + [d for d in CENSORED_DAYS for _ in range(copies)]
    n = len(days)
    courses = pd.DataFrame(
        {
            "course_number": [1] * n,
            "duration_days": days,
            "duration_censored": pd.array([False] * 100 + [True] * (n - 100), dtype="boolean"),
        }
    )
    results = {"duration": {"by_course": [{"course": 1, "n": n, "at_risk": {}}]}}
    image = km_figure(results, courses, Translator("en"))
    assert image is not None
    return image.svg.decode("utf-8").count('<use xlink:href="#m')  # not the glyphs of text


def test_censored_patients_at_one_time_share_one_tick() -> None:
    # the axis ticks are markers too: the same count with 1 or 200 censorings per time means one
    # censoring tick per time, so the figure does not grow with the cohort
    assert _svg_marks(200) == _svg_marks(1)
