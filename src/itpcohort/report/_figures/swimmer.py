"""Figure: swimmer plot of the included patients, from the derived ``courses`` table.

One lane per patient, time 0 = start of course 1, in months (365.25/12 days). A thin line runs to
the end of follow-up (``followup_days`` of ``patient_baseline``); each rituximab course starts at a
numbered tick; a complete response is a dark solid bar and a partial response (R) a light hatched
bar, from ``response_date`` for ``duration_days`` (the CR part for ``cr_duration_days``); the end of
a response is a cross when the response was lost (a count below the response level, a bleed, a
rescue or new ITP treatment, or the next course: ``response-criteria.md`` section 6) and an arrow
when it is censored; a death is a black square. Rescue and new treatments have no date in the
derived tables, so they appear through the losses they cause.

Legibility: with more than ``MAX_PATIENTS`` patients, the figure shows the ``MAX_PATIENTS`` with
the longest follow-up (ties broken by center and patient id) and its caption says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from itpcohort.report._figures._style import (
    OKABE_ITO,
    RESPONSE_STYLE,
    FigureImage,
    journal_style,
    new_figure,
    render,
)
from itpcohort.report._i18n import Translator

MAX_PATIENTS = 50
MONTH_DAYS = 365.25 / 12
WIDTH_CM = 16.0
KEY = ["center", "patient_id"]


@dataclass(frozen=True)
class SwimmerImage:
    """The swimmer figure and how many of the included patients it shows."""

    image: FigureImage
    shown: int
    total: int


def swimmer_lanes(patients: pd.DataFrame, courses: pd.DataFrame) -> pd.DataFrame:
    """The patients drawn, in lane order: longest follow-up first, then center and patient id.

    ``patients``: one row per included patient with ``followup_days`` and ``death_date``;
    ``courses``: their courses. Returns at most ``MAX_PATIENTS`` rows.
    """
    lanes = patients[[*KEY, "followup_days", "death_date"]].copy()
    lanes["followup_days"] = lanes["followup_days"].astype(float)
    lanes = lanes.sort_values(
        ["followup_days", *KEY], ascending=[False, True, True], na_position="last", kind="mergesort"
    )
    return lanes.head(MAX_PATIENTS).reset_index(drop=True)


def lane_label(center: str, patient_id: str) -> str:
    """The patient code, prefixed with its centre unless the code already starts with it."""
    return patient_id if patient_id.startswith(center) else f"{center} {patient_id}"


def swimmer_figure(
    patients: pd.DataFrame, courses: pd.DataFrame, t: Translator
) -> SwimmerImage | None:
    """Draw the swimmer plot; None when there is no included patient."""
    if len(patients) == 0:
        return None
    lanes = swimmer_lanes(patients, courses)
    shown = len(lanes)
    frame = courses.merge(lanes[KEY], on=KEY, how="inner")
    first_start = frame.loc[frame["course_number"] == 1, [*KEY, "start_date"]].rename(
        columns={"start_date": "origin"}
    )
    frame = frame.merge(first_start, on=KEY, how="left")
    frame["start_m"] = (frame["start_date"] - frame["origin"]).dt.days / MONTH_DAYS
    response_date = pd.to_datetime(frame["response_date"], errors="coerce")
    frame["response_m"] = (response_date - frame["origin"]).dt.days / MONTH_DAYS
    frame["duration_m"] = frame["duration_days"].astype(float) / MONTH_DAYS
    frame["cr_duration_m"] = frame["cr_duration_days"].astype(float) / MONTH_DAYS
    frame["censored"] = frame["duration_censored"].astype("boolean")
    lane_of = {
        (c, p): i for i, (c, p) in enumerate(zip(lanes["center"], lanes["patient_id"], strict=True))
    }
    frame["lane"] = [
        lane_of[(c, p)] for c, p in zip(frame["center"], frame["patient_id"], strict=True)
    ]
    followup_m = lanes["followup_days"].to_numpy(dtype=float) / MONTH_DAYS
    x_max = float(np.nanmax(np.concatenate([followup_m, [12.0]])))

    height_cm = 3.2 + 0.36 * shown
    with journal_style():
        figure = new_figure(WIDTH_CM, height_cm)
        bottom = 1.9 / height_cm
        ax = figure.add_axes((0.17, bottom, 0.79, 1 - bottom - 0.25 / height_cm))
        bar = 0.56
        for lane, months in enumerate(followup_m):
            ax.plot([0, months], [lane, lane], color="#555555", linewidth=0.6, zorder=1)
            if pd.notna(lanes.loc[lane, "death_date"]):
                ax.plot(
                    [months],
                    [lane],
                    marker="s",
                    markersize=3.6,
                    color=OKABE_ITO["black"],
                    linestyle="none",
                    zorder=4,
                )
        for row in frame.itertuples():
            lane = int(row.lane)
            if not pd.isna(row.response_m) and not pd.isna(row.duration_m):
                cr_part = 0.0 if pd.isna(row.cr_duration_m) else float(row.cr_duration_m)
                total = float(row.duration_m)
                if cr_part > 0:
                    colour, hatch = RESPONSE_STYLE["CR"]
                    ax.add_patch(
                        Rectangle(
                            (row.response_m, lane - bar / 2),
                            cr_part,
                            bar,
                            facecolor=colour,
                            edgecolor=colour,
                            linewidth=0.3,
                            zorder=2,
                        )
                    )
                if total > cr_part:
                    colour, hatch = RESPONSE_STYLE["R"]
                    ax.add_patch(
                        Rectangle(
                            (row.response_m + cr_part, lane - bar / 2),
                            total - cr_part,
                            bar,
                            facecolor=colour,
                            hatch=hatch,
                            edgecolor="#1F5F8B",
                            linewidth=0.3,
                            zorder=2,
                        )
                    )
                end = row.response_m + total
                if bool(row.censored):
                    ax.plot(
                        [end],
                        [lane],
                        marker=">",
                        markersize=3.6,
                        color=OKABE_ITO["black"],
                        linestyle="none",
                        zorder=5,
                    )
                else:
                    ax.plot(
                        [end],
                        [lane],
                        marker="x",
                        markersize=3.6,
                        markeredgewidth=1.0,
                        color=OKABE_ITO["vermillion"],
                        linestyle="none",
                        zorder=5,
                    )
            ax.plot(
                [row.start_m, row.start_m],
                [lane - 0.42, lane + 0.42],
                color=OKABE_ITO["black"],
                linewidth=1.0,
                zorder=3,
            )
            if int(row.course_number) > 1:  # course 1 starts every lane at 0
                ax.text(
                    row.start_m,
                    lane - 0.48,
                    str(int(row.course_number)),
                    fontsize=4.6,
                    ha="center",
                    va="bottom",
                    zorder=6,
                )
        ax.set_ylim(shown - 0.4, -0.9)
        ax.set_xlim(0, x_max * 1.03)
        ax.set_yticks(range(shown))
        ax.set_yticklabels(
            [lane_label(c, p) for c, p in zip(lanes["center"], lanes["patient_id"], strict=True)],
            fontsize=5,
        )
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        ax.set_xlabel(t("fig.swimmer.xlabel"))
        handles = [
            Line2D(
                [0],
                [0],
                color=OKABE_ITO["black"],
                linewidth=1.0,
                marker="|",
                markersize=7,
                linestyle="none",
                label=t("fig.swimmer.course"),
            ),
            Patch(
                facecolor=RESPONSE_STYLE["CR"][0],
                edgecolor=RESPONSE_STYLE["CR"][0],
                label=t("fig.swimmer.cr"),
            ),
            Patch(
                facecolor=RESPONSE_STYLE["R"][0],
                hatch=RESPONSE_STYLE["R"][1],
                edgecolor="#1F5F8B",
                label=t("fig.swimmer.r"),
            ),
            Line2D(
                [0],
                [0],
                color=OKABE_ITO["vermillion"],
                marker="x",
                markeredgewidth=1.0,
                linestyle="none",
                label=t("fig.swimmer.loss"),
            ),
            Line2D(
                [0],
                [0],
                color=OKABE_ITO["black"],
                marker=">",
                linestyle="none",
                label=t("fig.swimmer.censored"),
            ),
            Line2D(
                [0],
                [0],
                color=OKABE_ITO["black"],
                marker="s",
                linestyle="none",
                markersize=4,
                label=t("fig.swimmer.death"),
            ),
            Line2D([0], [0], color="#555555", linewidth=0.6, label=t("fig.swimmer.followup")),
        ]
        figure.legend(
            handles=handles,
            loc="lower center",
            ncols=4,
            fontsize=6.5,
            bbox_to_anchor=(0.55, 0.0),
            columnspacing=1.2,
            handlelength=2,
        )
        image = render(figure, "swimmer", WIDTH_CM)
    return SwimmerImage(image=image, shown=shown, total=len(patients))
