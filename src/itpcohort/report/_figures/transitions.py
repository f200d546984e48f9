"""Figure: course-1 → course-2 response transitions, as an alluvial diagram.

Left column: the response to course 1 (CR, R, NR, NE), right column: the response to course 2, of
the same included patients; each band joins a course-1 level to a course-2 level and its width is
the number of patients in that cell of the 4 × 4 cross-table (``results.json`` ``cross_table``).
Bands take the colour and hatch of their course-1 level; the counts are printed on the nodes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath

from itpcohort.report._figures._style import (
    RESPONSE_STYLE,
    FigureImage,
    journal_style,
    new_figure,
    render,
)
from itpcohort.report._i18n import Translator

WIDTH_CM = 14.0
HEIGHT_CM = 10.0
NODE_WIDTH = 0.06
GAP = 0.03


def _band(x0: float, x1: float, y0: tuple[float, float], y1: tuple[float, float]) -> MplPath:
    """A band from the interval ``y0`` at ``x0`` to ``y1`` at ``x1``, with cubic S-curves."""
    mid = (x0 + x1) / 2
    vertices = [
        (x0, y0[0]),
        (mid, y0[0]),
        (mid, y1[0]),
        (x1, y1[0]),
        (x1, y1[1]),
        (mid, y1[1]),
        (mid, y0[1]),
        (x0, y0[1]),
        (x0, y0[0]),
    ]
    codes = [
        MplPath.MOVETO,
        MplPath.CURVE4,
        MplPath.CURVE4,
        MplPath.CURVE4,
        MplPath.LINETO,
        MplPath.CURVE4,
        MplPath.CURVE4,
        MplPath.CURVE4,
        MplPath.CLOSEPOLY,
    ]
    return MplPath(vertices, codes)


def _stack(totals: Sequence[int], scale: float) -> list[tuple[float, float]]:
    """Top-down node intervals (bottom, top) for the totals, with a gap between nodes."""
    intervals = []
    top = 1.0
    for total in totals:
        bottom = top - total * scale
        intervals.append((bottom, top))
        top = bottom - GAP
    return intervals


def transitions_figure(results: Mapping[str, Any], t: Translator) -> FigureImage | None:
    """Draw the alluvial diagram; None when the cross-table is empty (no included patient)."""
    cross = results.get("cross_table") or {}
    levels: list[str] = list(cross.get("levels") or [])
    counts = np.asarray(cross.get("counts") or [], dtype=int)
    if not levels or counts.size == 0 or counts.sum() == 0:
        return None
    n = int(counts.sum())
    row_totals = counts.sum(axis=1)
    column_totals = counts.sum(axis=0)
    scale = (1.0 - GAP * (len(levels) - 1)) / n
    left = _stack(row_totals.tolist(), scale)
    right = _stack(column_totals.tolist(), scale)
    x_left, x_right = 0.22, 0.78

    with journal_style():
        figure = new_figure(WIDTH_CM, HEIGHT_CM)
        ax = figure.add_axes((0.02, 0.04, 0.96, 0.86))
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.02, 1.02)
        ax.axis("off")
        right_filled = [interval[1] for interval in right]
        for i, level in enumerate(levels):
            colour, hatch = RESPONSE_STYLE.get(level, ("#999999", ""))
            top_left = left[i][1]
            for j in range(len(levels)):
                count = int(counts[i, j])
                if count == 0:
                    continue
                height = count * scale
                band = _band(
                    x_left + NODE_WIDTH / 2,
                    x_right - NODE_WIDTH / 2,
                    (top_left - height, top_left),
                    (right_filled[j] - height, right_filled[j]),
                )
                ax.add_patch(
                    PathPatch(
                        band,
                        facecolor=colour,
                        alpha=0.45,
                        hatch=hatch,
                        edgecolor="white",
                        linewidth=0.4,
                    )
                )
                top_left -= height
                right_filled[j] -= height
        for side, intervals, totals, x in (
            ("left", left, row_totals, x_left),
            ("right", right, column_totals, x_right),
        ):
            for level, (bottom, top), total in zip(levels, intervals, totals, strict=True):
                colour, hatch = RESPONSE_STYLE.get(level, ("#999999", ""))
                ax.add_patch(
                    Rectangle(
                        (x - NODE_WIDTH / 2, bottom),
                        NODE_WIDTH,
                        top - bottom,
                        facecolor=colour,
                        hatch=hatch,
                        edgecolor="black",
                        linewidth=0.6,
                    )
                )
                label = f"{t.label('response.short', level)}  {t.fmt.integer(int(total))}"
                if side == "left":
                    ax.text(
                        x - NODE_WIDTH / 2 - 0.015,
                        (bottom + top) / 2,
                        label,
                        ha="right",
                        va="center",
                        fontsize=7.5,
                    )
                else:
                    ax.text(
                        x + NODE_WIDTH / 2 + 0.015,
                        (bottom + top) / 2,
                        label,
                        ha="left",
                        va="center",
                        fontsize=7.5,
                    )
        for x, course in ((x_left, 1), (x_right, 2)):
            ax.text(
                x,
                1.06,
                t("fig.transitions.course", course=course),
                ha="center",
                va="bottom",
                fontsize=8,
                fontweight="bold",
                transform=ax.transData,
                clip_on=False,
            )
        return render(figure, "transitions", WIDTH_CM)
