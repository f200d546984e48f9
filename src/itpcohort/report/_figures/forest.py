"""Figure: forest plot of the multivariable Firth model's odds ratios (``predictors.multivariable``).

One row per term, odds ratio as a square and its profile penalized-likelihood 95% CI as a line, on
a log scale with the null (OR = 1) dotted; the odds ratio, CI and p-value are printed on the right.
A bound that the solver did not find is drawn as an arrow to the edge of the axis.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from matplotlib.ticker import FixedLocator, NullLocator

from itpcohort.report._figures._style import (
    OKABE_ITO,
    FigureImage,
    journal_style,
    new_figure,
    render,
)
from itpcohort.report._i18n import Translator

WIDTH_CM = 16.0
NICE_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


def forest_figure(
    terms: Sequence[Mapping[str, Any]], t: Translator, term_label: Callable[[str], str]
) -> FigureImage | None:
    """Draw the forest plot of ``terms``; None when no term has an odds ratio."""
    rows = [term for term in terms if term.get("odds_ratio") is not None]
    if not rows:
        return None
    f = t.fmt
    values = [
        v
        for term in rows
        for v in (term.get("odds_ratio"), term.get("ci_low"), term.get("ci_high"))
        if v is not None and v > 0
    ]
    low = min([*values, 1.0]) / 1.6
    high = max([*values, 1.0]) * 1.6
    height_cm = 3.1 + 0.75 * len(rows)
    with journal_style():
        figure = new_figure(WIDTH_CM, height_cm)
        bottom = 1.2 / height_cm
        ax = figure.add_axes((0.36, bottom, 0.34, 1 - bottom - 1.2 / height_cm))
        ax.set_xscale("log")
        ax.set_xlim(low, high)
        ax.set_ylim(len(rows) - 0.5, -0.6)
        ax.axvline(1.0, color="#777777", linestyle=":", linewidth=0.8)
        for i, term in enumerate(rows):
            odds = float(term["odds_ratio"])
            ci_low, ci_high = term.get("ci_low"), term.get("ci_high")
            left = float(ci_low) if ci_low is not None else low
            right = float(ci_high) if ci_high is not None else high
            ax.plot([left, right], [i, i], color=OKABE_ITO["blue"], linewidth=1.2)
            if ci_low is None:
                ax.plot([low], [i], marker="<", color=OKABE_ITO["blue"], markersize=4)
            if ci_high is None:
                ax.plot([high], [i], marker=">", color=OKABE_ITO["blue"], markersize=4)
            ax.plot([odds], [i], marker="s", color=OKABE_ITO["black"], markersize=5)
            transform = ax.get_yaxis_transform()
            ax.text(
                -0.04,
                i,
                term_label(str(term.get("term"))),
                transform=transform,
                ha="right",
                va="center",
                fontsize=7,
            )
            ax.text(
                1.05,
                i,
                f"{f.ratio(odds)} ({f.ci(ci_low, ci_high, 2)})",
                transform=transform,
                ha="left",
                va="center",
                fontsize=7,
            )
            ax.text(
                1.62,
                i,
                f.p_value(term.get("p")),
                transform=transform,
                ha="left",
                va="center",
                fontsize=7,
            )
        header = ax.get_yaxis_transform()
        ax.text(
            1.05,
            -0.85,
            t("fig.forest.or_ci", ci=f.ci_label()),
            transform=header,
            ha="left",
            va="bottom",
            fontsize=7,
            fontweight="bold",
        )
        ax.text(
            1.62,
            -0.85,
            "p",
            transform=header,
            ha="left",
            va="bottom",
            fontsize=7,
            fontweight="bold",
            style="italic",
        )
        ticks = [v for v in NICE_TICKS if low <= v <= high]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([f.number(v, 2 if v < 0.1 else 1 if v < 1 else 0) for v in ticks])
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        ax.set_xlabel(t("fig.forest.xlabel"))
        return render(figure, "forest", WIDTH_CM)
