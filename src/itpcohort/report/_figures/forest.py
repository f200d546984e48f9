"""Figure: forest plot of the multivariable Firth model's odds ratios (``predictors.multivariable``).

One row per term, odds ratio as a square and its profile penalized-likelihood 95% CI as a line, on
a log scale with the null (OR = 1) dotted; the odds ratio, CI and p-value are printed on the right.
A bound that the solver did not find is drawn as an arrow to the edge of the axis.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure
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
#: candidate tick series, the densest first; the first with at most MAX_TICKS in range is used
TICK_SERIES = (
    (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
    (0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000),
    (0.001, 0.01, 0.1, 1, 10, 100, 1000, 10000),
)
MAX_TICKS = 7
#: characters per line of a term label (a longer label, naming its reference, is wrapped)
LABEL_WIDTH = 36


def tick_decimals(value: float) -> int:
    """Decimals that print a round tick exactly: 0 from 1 up, 1 for 0.5, 2 for 0.05..."""
    return 0 if value >= 1 else int(-math.floor(math.log10(value) + 1e-9))


def axis_ticks(low: float, high: float) -> list[float]:
    """Round odds-ratio ticks inside [low, high], never more than ``MAX_TICKS`` (legible labels)."""
    for series in TICK_SERIES:
        ticks = [float(v) for v in series if low <= v <= high]
        if len(ticks) <= MAX_TICKS:
            return ticks
    return [float(v) for v in TICK_SERIES[-1] if low <= v <= high] or [1.0]


def forest_figure(
    terms: Sequence[Mapping[str, Any]], t: Translator, term_label: Callable[[str], str]
) -> FigureImage | None:
    """Draw and render the forest plot of ``terms``; None when no term has an odds ratio."""
    with journal_style():
        figure = draw_forest(terms, t, term_label)
        return None if figure is None else render(figure, "forest", WIDTH_CM)


def draw_forest(
    terms: Sequence[Mapping[str, Any]], t: Translator, term_label: Callable[[str], str]
) -> Figure | None:
    """The forest plot of ``terms`` as a matplotlib figure (call inside ``journal_style``).

    Term labels name their reference or unit and are wrapped at ``LABEL_WIDTH`` characters so
    that they stay inside the figure; odds ratios print at ``NumberFormat.odds_ratio``'s precision.
    """
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
            textwrap.fill(term_label(str(term.get("term"))), LABEL_WIDTH),
            transform=transform,
            ha="right",
            va="center",
            fontsize=7,
        )
        ax.text(
            1.05,
            i,
            f"{f.odds_ratio(odds)} ({f.odds_ratio_ci(ci_low, ci_high)})",
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
    ticks = axis_ticks(low, high)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([f.number(v, tick_decimals(v)) for v in ticks])
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(t("fig.forest.xlabel"))
    return figure
