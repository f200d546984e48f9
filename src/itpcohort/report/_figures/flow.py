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
from matplotlib.figure import Figure
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


#: axes units of one text line at 7 pt with line spacing 1.35 on a figure HEIGHT_CM tall
LINE = 0.0265
#: vertical room around the text inside a box
BOX_MARGIN = 0.035


def _height(text: str) -> float:
    """The height of a box that holds ``text`` (one line per newline)."""
    return BOX_MARGIN + LINE * (text.count("\n") + 1)


def flow_figure(results: Mapping[str, Any], t: Translator) -> FigureImage:
    """Draw and render the flow diagram of ``results`` (``flagship-study.md``, Population)."""
    with journal_style():
        return render(draw_flow(results, t), "flow", WIDTH_CM)


def draw_flow(results: Mapping[str, Any], t: Translator) -> Figure:
    """The flow diagram as a matplotlib figure (call inside ``journal_style``).

    The inclusion box states every inclusion criterion of the protocol's design (at least 2
    courses, the minimum age at course 1, a platelet count after course 1; under ``first_switch``:
    a switch, the minimum age at the switch, a count after the first compared course); box
    heights follow their text,
    and the main column, the exclusion box and the side boxes are laid out so that no two boxes
    touch, in either language (issue 17 item 15).
    """
    f = t.fmt
    flow = results.get("flow") or {}
    excluded: Mapping[str, int] = flow.get("excluded") or {}
    order = flow.get("exclusion_order") or list(excluded)
    n_excluded = sum(int(excluded.get(reason, 0)) for reason in order)
    courses = {c.get("course"): c for c in results.get("courses") or []}
    cohort = results.get("cohort") or {}
    later = results.get("later_courses") or []
    min_age = (results.get("analysis") or {}).get("min_age", 18)

    figure = new_figure(WIDTH_CM, HEIGHT_CM)
    ax = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    line: dict[str, Any] = {"color": OKABE_ITO["black"], "linewidth": 0.7}

    main_x, main_w = 0.30, 0.46
    side_x, side_w = 0.78, 0.40
    screened_text = _wrap(t("fig.flow.screened", n=f.integer(flow.get("screened"))), 46)
    screened_h = _height(screened_text)
    top_y = 0.985 - screened_h / 2
    _box(ax, main_x, top_y, main_w, screened_h, screened_text)

    included_text = _wrap(
        t(
            "fig.flow.included",
            n=f.integer(flow.get("included")),
            centers=f.integer(cohort.get("n_centers")),
            age=f.integer(min_age),
        ),
        46,
    )
    included_h = _height(included_text)
    included_y = 0.47 + included_h / 2

    lines = [t("fig.flow.excluded", n=f.integer(n_excluded))]
    lines += [
        "• "
        + _wrap(
            t.exclusion_reason(reason) + t("colon") + f.integer(excluded.get(reason, 0)), 40
        ).replace("\n", "\n   ")
        for reason in order
    ]
    exclusion_text = "\n".join(lines)
    exclusion_h = _height(exclusion_text)
    screened_bottom = top_y - screened_h / 2
    included_top = included_y + included_h / 2
    exclusion_y = (screened_bottom + included_top) / 2
    _box(ax, side_x, exclusion_y, side_w, exclusion_h, exclusion_text, align="left")
    _arrow(ax, (main_x, screened_bottom), (main_x, included_top))
    _arrow(ax, (main_x, exclusion_y), (side_x - side_w / 2, exclusion_y))
    _box(ax, main_x, included_y, main_w, included_h, included_text, emphasis=True)

    c1 = courses.get(1, {})
    xs, course1_w = (0.16, 0.50, 0.84), 0.30
    texts = [
        _wrap(text, 28)
        for text in (
            t(
                "fig.flow.responders1",
                n=f.integer((c1.get("orr") or {}).get("n")),
                cr=f.integer(c1.get("CR")),
                r=f.integer(c1.get("R")),
            ),
            t("fig.flow.nonresponders1", n=f.integer(c1.get("NR"))),
            t("fig.flow.ne1", n=f.integer(c1.get("NE"))),
        )
    ]
    course1_h = max(_height(text) for text in texts)
    branch_y = 0.43
    course1_y = branch_y - 0.035 - course1_h / 2
    join_y = course1_y - course1_h / 2 - 0.035
    ax.plot([xs[0], xs[-1]], [branch_y, branch_y], **line)
    ax.plot([main_x, main_x], [included_y - included_h / 2, branch_y], **line)
    for x, text in zip(xs, texts, strict=True):
        _arrow(ax, (x, branch_y), (x, course1_y + course1_h / 2))
        _box(ax, x, course1_y, course1_w, course1_h, text)
        ax.plot([x, x], [course1_y - course1_h / 2, join_y], **line)
    ax.plot([xs[0], xs[-1]], [join_y, join_y], **line)
    c2 = courses.get(2, {})
    course2_text = _wrap(
        t(
            "fig.flow.course2",
            n=f.integer(flow.get("included")),
            cr=f.integer(c2.get("CR")),
            r=f.integer(c2.get("R")),
            nr=f.integer(c2.get("NR")),
            ne=f.integer(c2.get("NE")),
        ),
        46,
    )
    course2_h = _height(course2_text)
    course2_y = join_y - 0.035 - course2_h / 2
    _arrow(ax, (main_x, join_y), (main_x, course2_y + course2_h / 2))
    _box(ax, main_x, course2_y, main_w, course2_h, course2_text, emphasis=True)
    if later:
        later_text = "\n".join(
            t("fig.flow.later", course=entry.get("course"), n=f.integer(entry.get("n_patients")))
            for entry in later
        )
        later_w = 0.30
        _box(ax, side_x, course2_y, later_w, _height(later_text), later_text)
        _arrow(ax, (main_x + main_w / 2, course2_y), (side_x - later_w / 2, course2_y))
    return figure
