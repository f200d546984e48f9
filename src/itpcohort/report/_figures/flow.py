"""Figure: CONSORT-like flow of the patients (``flagship-study.md``, Population).

Screened → excluded (each reason with its count, first reason that holds) → included → response to
course 1 (responders, non-responders, not evaluable) → courses 2 and later. Every count comes from
``results.json`` (``flow``, ``cohort``, ``courses``, ``later_courses``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from itpcohort.report._figures._style import (
    OKABE_ITO,
    FigureImage,
    journal_style,
    new_figure,
    render,
)
from itpcohort.report._i18n import Translator

WIDTH_CM = 16.0
HEIGHT_CM = 13.0


def _box(
    ax: Axes,
    x: float,
    y: float,
    w: float,
    h: float,
    text: str,
    *,
    emphasis: bool = False,
    align: str = "center",
) -> None:
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0.004,rounding_size=0.01",
            linewidth=1.0 if emphasis else 0.7,
            edgecolor=OKABE_ITO["black"],
            facecolor="#EAF3FA" if emphasis else "white",
        )
    )
    text_x = x if align == "center" else x - w / 2 + 0.015
    ax.text(
        text_x,
        y,
        text,
        ha=align,
        va="center",
        fontsize=7,
        linespacing=1.35,
        fontweight="bold" if emphasis else "normal",
    )


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=8,
            linewidth=0.7,
            color=OKABE_ITO["black"],
            shrinkA=0,
            shrinkB=0,
        )
    )


def _wrap(text: str, width: int) -> str:
    return "\n".join(
        textwrap.fill(line, width, break_on_hyphens=False) for line in text.split("\n")
    )


def flow_figure(results: Mapping[str, Any], t: Translator) -> FigureImage:
    """Draw the flow diagram from ``results['flow']`` and the course-1/2 response counts."""
    f = t.fmt
    flow = results.get("flow") or {}
    excluded: Mapping[str, int] = flow.get("excluded") or {}
    order = flow.get("exclusion_order") or list(excluded)
    n_excluded = sum(int(excluded.get(reason, 0)) for reason in order)
    courses = {c.get("course"): c for c in results.get("courses") or []}
    cohort = results.get("cohort") or {}
    later = results.get("later_courses") or []

    with journal_style():
        figure = new_figure(WIDTH_CM, HEIGHT_CM)
        ax = figure.add_axes((0.0, 0.0, 1.0, 1.0))
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.axis("off")

        main_x = 0.36
        top_y, included_y, course1_y, course2_y = 0.91, 0.60, 0.36, 0.10
        _box(
            ax,
            main_x,
            top_y,
            0.52,
            0.11,
            _wrap(t("fig.flow.screened", n=f.integer(flow.get("screened"))), 48),
        )
        lines = [t("fig.flow.excluded", n=f.integer(n_excluded))]
        lines += [
            "• "
            + _wrap(
                t.exclusion_reason(reason) + t("colon") + f.integer(excluded.get(reason, 0)), 38
            ).replace("\n", "\n   ")
            for reason in order
        ]
        exclusion_text = "\n".join(lines)
        height = 0.05 + 0.033 * exclusion_text.count("\n")
        _box(ax, 0.80, 0.755, 0.36, height, exclusion_text, align="left")
        _arrow(ax, (main_x, top_y - 0.055), (main_x, included_y + 0.06))
        ax.plot([main_x, 0.62], [0.755, 0.755], color=OKABE_ITO["black"], linewidth=0.7)
        _arrow(ax, (main_x, 0.755), (0.62, 0.755))
        _box(
            ax,
            main_x,
            included_y,
            0.52,
            0.12,
            _wrap(
                t(
                    "fig.flow.included",
                    n=f.integer(flow.get("included")),
                    centers=f.integer(cohort.get("n_centers")),
                ),
                46,
            ),
            emphasis=True,
        )

        c1 = courses.get(1, {})
        xs = (0.14, 0.42, 0.70)
        texts = (
            t(
                "fig.flow.responders1",
                n=f.integer((c1.get("orr") or {}).get("n")),
                cr=f.integer(c1.get("CR")),
                r=f.integer(c1.get("R")),
            ),
            t("fig.flow.nonresponders1", n=f.integer(c1.get("NR"))),
            t("fig.flow.ne1", n=f.integer(c1.get("NE"))),
        )
        ax.plot([xs[0], xs[-1]], [0.48, 0.48], color=OKABE_ITO["black"], linewidth=0.7)
        ax.plot(
            [main_x, main_x], [included_y - 0.06, 0.48], color=OKABE_ITO["black"], linewidth=0.7
        )
        for x, text in zip(xs, texts, strict=True):
            _arrow(ax, (x, 0.48), (x, course1_y + 0.065))
            _box(ax, x, course1_y, 0.255, 0.13, _wrap(text, 26))
            ax.plot([x, x], [course1_y - 0.065, 0.22], color=OKABE_ITO["black"], linewidth=0.7)
        ax.plot([xs[0], xs[-1]], [0.22, 0.22], color=OKABE_ITO["black"], linewidth=0.7)
        _arrow(ax, (main_x, 0.22), (main_x, course2_y + 0.065))
        c2 = courses.get(2, {})
        course2_text = t(
            "fig.flow.course2",
            n=f.integer(flow.get("included")),
            cr=f.integer(c2.get("CR")),
            r=f.integer(c2.get("R")),
            nr=f.integer(c2.get("NR")),
            ne=f.integer(c2.get("NE")),
        )
        _box(ax, main_x, course2_y, 0.52, 0.13, _wrap(course2_text, 50), emphasis=True)
        if later:
            later_text = "\n".join(
                t(
                    "fig.flow.later",
                    course=entry.get("course"),
                    n=f.integer(entry.get("n_patients")),
                )
                for entry in later
            )
            _box(ax, 0.82, course2_y, 0.28, 0.05 + 0.035 * later_text.count("\n"), later_text)
            _arrow(ax, (main_x + 0.26, course2_y), (0.68, course2_y))
        return render(figure, "flow", WIDTH_CM)
