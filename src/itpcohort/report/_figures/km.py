"""Figure: Kaplan–Meier duration of response by course, with the numbers at risk under the axis.

The step curves are drawn from the included patients' per-course durations in the derived
``courses`` table (lifelines ``KaplanMeierFitter``: plotting only). Every printed number comes from
``results.json`` (``duration.by_course``): the medians in the legend and the numbers at risk at 0,
6, 12, 24 and 36 months (0 = the responders, ``n``). The curves are checked against the results:
the number of durations drawn for a course must equal its ``n``, so a figure can never show other
patients than the table. Time is in months of 365.25/12 days; the axis stops at 36 months, the last
time with a number at risk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter

from itpcohort.report._figures._style import (
    COURSE_STYLE,
    FigureImage,
    journal_style,
    new_figure,
    render,
)
from itpcohort.report._i18n import Translator

WIDTH_CM = 15.0
HEIGHT_CM = 10.5
MONTH_DAYS = 365.25 / 12
AT_RISK_MONTHS = (0, 6, 12, 24, 36)


class FigureDataMismatch(ValueError):
    """The derived tables do not hold the patients the results describe (wrong tables passed)."""


def course_durations(courses: pd.DataFrame, course: int, *, complete: bool = False) -> pd.DataFrame:
    """Durations (days) and event flags of one course's responders among the given courses."""
    days_column = "cr_duration_days" if complete else "duration_days"
    censored_column = "cr_duration_censored" if complete else "duration_censored"
    rows = courses[(courses["course_number"] == course) & courses[days_column].notna()]
    censored = rows[censored_column].astype("boolean").fillna(False).astype(bool)
    return pd.DataFrame(
        {
            "days": rows[days_column].astype(float).to_numpy(),
            "event": (~censored).to_numpy(),
        }
    )


def km_figure(
    results: Mapping[str, Any],
    courses: pd.DataFrame,
    t: Translator,
    *,
    complete: bool = False,
) -> FigureImage | None:
    """Draw the KM curves of courses 1 and 2 (response, or complete response when ``complete``).

    ``courses`` holds the courses of the included patients. None when no course has a responder.
    Raises ``FigureDataMismatch`` when the durations drawn disagree with ``results``.
    """
    key = "cr_by_course" if complete else "by_course"
    summaries: Sequence[Mapping[str, Any]] = (results.get("duration") or {}).get(key) or []
    summaries = [s for s in summaries if s.get("course") in COURSE_STYLE and s.get("n")]
    if not summaries:
        return None
    f = t.fmt
    with journal_style():
        figure = new_figure(WIDTH_CM, HEIGHT_CM)
        ax = figure.add_axes((0.16, 0.36, 0.80, 0.58))
        for summary in summaries:
            course = int(summary["course"])
            data = course_durations(courses, course, complete=complete)
            if len(data) != summary["n"]:
                raise FigureDataMismatch(
                    f"course {course}: {len(data)} response durations in the derived tables, "
                    f"{summary['n']} in results.json; pass the tables the results were computed on"
                )
            colour, linestyle, marker = COURSE_STYLE[course]
            fitter = KaplanMeierFitter().fit(data["days"] / MONTH_DAYS, data["event"])
            curve = fitter.survival_function_.iloc[:, 0]
            times = np.concatenate([curve.index.to_numpy(dtype=float)])
            ax.step(
                times,
                curve.to_numpy(),
                where="post",
                color=colour,
                linestyle=linestyle,
                linewidth=1.3,
                label=t(
                    "fig.km.legend",
                    course=course,
                    n=f.integer(summary["n"]),
                    median=f.number(summary.get("median_days"), 0)
                    if summary.get("median_days") is not None
                    else t("km.not_reached"),
                ),
            )
            # one tick per censoring time: ticks at the same time coincide, and a large cohort's
            # thousands of them would only weigh down the SVG
            censored = (
                np.unique(data.loc[~data["event"], "days"].to_numpy(dtype=float)) / MONTH_DAYS
            )
            if censored.size:
                heights = fitter.survival_function_at_times(censored).to_numpy()
                ax.plot(
                    censored,
                    heights,
                    linestyle="none",
                    marker=marker,
                    markersize=5,
                    markeredgewidth=0.9,
                    color=colour,
                )
        ax.set_xlim(0, AT_RISK_MONTHS[-1])
        ax.set_ylim(0, 1.02)
        ax.set_xticks(AT_RISK_MONTHS)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.set_yticklabels([f.number(v * 100, 0) for v in (0, 0.25, 0.5, 0.75, 1.0)])
        ax.set_xlabel(t("fig.km.xlabel"))
        ax.set_ylabel(t("fig.km.ylabel_cr" if complete else "fig.km.ylabel"))
        ax.axhline(0.5, color="#777777", linewidth=0.5, linestyle=":")
        ax.legend(loc="upper right", handlelength=3)

        # numbers at risk, aligned with the ticks of the time axis
        figure.text(0.02, 0.215, t("fig.km.at_risk"), fontsize=7.5, fontweight="bold")
        transform = ax.get_xaxis_transform()
        for row, summary in enumerate(summaries):
            course = int(summary["course"])
            y = 0.15 - row * 0.06
            colour, linestyle, _ = COURSE_STYLE[course]
            figure.text(
                0.02, y, t("fig.km.course", course=course), fontsize=7, color=colour, va="center"
            )
            at_risk = summary.get("at_risk") or {}
            values = [summary.get("n")] + [at_risk.get(f"m{m}") for m in AT_RISK_MONTHS[1:]]
            for month, value in zip(AT_RISK_MONTHS, values, strict=True):
                x_fig = figure.transFigure.inverted().transform(transform.transform((month, 0)))[0]
                figure.text(x_fig, y, f.integer(value), fontsize=7, ha="center", va="center")
        return render(figure, "km_cr" if complete else "km", WIDTH_CM)
