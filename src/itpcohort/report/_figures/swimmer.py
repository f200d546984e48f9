"""Figure: swimmer plot of every included patient, from the derived tables, on several pages.

One lane per patient, time 0 = start of course 1, in months (365.25/12 days). A thin line runs to
the end of follow-up (``followup_days`` of ``patient_baseline``); each rituximab course starts at a
numbered tick; a complete response is a dark solid bar and a partial response (R) a light hatched
bar, from ``response_date`` for ``duration_days`` (the CR part for ``cr_duration_days``); the end of
a response is a cross when the response was lost (a count below the response level, a bleed, a
rescue or new ITP treatment, or the next course: ``response-criteria.md`` section 6) and an arrow
when it is censored; a death is a black square. The starts of rescue treatments (downward
triangles) and the first new ITP treatment after each course (diamonds) come from the
``patient_treatment_events`` mart; they sit on the upper edge of the lane, so a rescue that ends a
response does not hide the loss cross drawn at the same date.

Pages: every included patient is drawn, ordered by follow-up, longest first (ties by centre and
patient code), on ``ceil(N / PAGE_MAX)`` pages of equal size (±1). ``PAGE_MAX`` = 50 lanes of
3.6 mm with the legend make a figure of about 22 cm, which fits one A4 page with its caption
(24.7 cm of text height) while the 5 pt patient codes stay legible; balanced pages avoid a last
page of 2 patients. Each page has its own time axis (at least 12 months), fitted to its longest
lane: with one common axis the pages of short follow-up would be squeezed into a corner of the
first page's 20-year axis; the caption says so.

Each page is drawn with a handful of collections (one per kind of mark), not one artist per
course: 400 patients take about a second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PatchCollection
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

#: most lanes on one page (see the module docstring for why 50)
PAGE_MAX = 50
MONTH_DAYS = 365.25 / 12
WIDTH_CM = 16.0
KEY = ["center", "patient_id"]
BAR = 0.56
#: vertical offset of the treatment-event marks: the upper edge of the lane's response bar
EVENT_OFFSET = -0.34
R_EDGE = "#1F5F8B"

#: event kind of ``patient_treatment_events`` -> (marker, size in points, colour, legend id);
#: the shapes differ, so the kinds read apart in greyscale too
EVENT_STYLE: dict[str, tuple[str, float, str, str]] = {
    "rescue": ("v", 3.8, OKABE_ITO["reddish_purple"], "fig.swimmer.rescue"),
    "new_treatment": ("D", 3.0, OKABE_ITO["orange"], "fig.swimmer.new_treatment"),
}


@dataclass(frozen=True)
class SwimmerPage:
    """One page of the swimmer plot: its image and the patients it shows, in lane order."""

    image: FigureImage
    part: int
    parts: int
    patients: tuple[tuple[str, str], ...]


def swimmer_lanes(patients: pd.DataFrame) -> pd.DataFrame:
    """Every patient in lane order: longest follow-up first, then centre and patient id.

    ``patients``: one row per included patient with ``followup_days`` and ``death_date``.
    """
    lanes = patients[[*KEY, "followup_days", "death_date"]].copy()
    lanes["followup_days"] = lanes["followup_days"].astype(float)
    lanes = lanes.sort_values(
        ["followup_days", *KEY], ascending=[False, True, True], na_position="last", kind="mergesort"
    )
    return lanes.reset_index(drop=True)


def page_slices(n_patients: int, page_max: int = PAGE_MAX) -> list[slice]:
    """Lane ranges of the pages: ``ceil(n / page_max)`` pages whose sizes differ by 1 at most."""
    if n_patients <= 0:
        return []
    n_pages = math.ceil(n_patients / page_max)
    base, extra = divmod(n_patients, n_pages)
    slices, start = [], 0
    for page in range(n_pages):
        size = base + (1 if page < extra else 0)
        slices.append(slice(start, start + size))
        start += size
    return slices


def lane_label(center: str, patient_id: str) -> str:
    """The patient code, prefixed with its centre unless the code already starts with it."""
    return patient_id if patient_id.startswith(center) else f"{center} {patient_id}"


def _course_frame(courses: pd.DataFrame, lanes: pd.DataFrame) -> pd.DataFrame:
    """The courses of ``lanes``' patients with their lane and times in months from course 1."""
    lane_of = lanes[KEY].assign(lane=np.arange(len(lanes)))
    frame = courses.merge(lane_of, on=KEY, how="inner")
    first = frame.loc[frame["course_number"] == 1, [*KEY, "start_date"]]
    frame = frame.merge(first.rename(columns={"start_date": "origin"}), on=KEY, how="left")
    frame["start_m"] = (frame["start_date"] - frame["origin"]).dt.days / MONTH_DAYS
    response_date = pd.to_datetime(frame["response_date"], errors="coerce")
    frame["response_m"] = (response_date - frame["origin"]).dt.days / MONTH_DAYS
    frame["duration_m"] = frame["duration_days"].astype(float) / MONTH_DAYS
    frame["cr_m"] = frame["cr_duration_days"].astype(float).fillna(0.0) / MONTH_DAYS
    frame["censored"] = frame["duration_censored"].astype("boolean").fillna(False).astype(bool)
    return frame


def _event_frame(events: pd.DataFrame | None, lanes: pd.DataFrame) -> pd.DataFrame:
    """The treatment events of ``lanes``' patients with their lane and time in months."""
    columns = [*KEY, "event", "lane", "x"]
    if events is None or len(events) == 0:
        return pd.DataFrame(columns=columns)
    lane_of = lanes[KEY].assign(lane=np.arange(len(lanes)))
    frame = events.merge(lane_of, on=KEY, how="inner")
    frame["x"] = frame["days_from_course1"].astype(float) / MONTH_DAYS
    return frame[columns]


def _segments(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> list[np.ndarray]:
    """Line segments (x0, y0)–(x1, y1), each a 2 × 2 array, as a ``LineCollection`` takes them."""
    return list(np.stack([np.column_stack([x0, y0]), np.column_stack([x1, y1])], axis=1))


def _points(ax: Axes, x: np.ndarray, y: np.ndarray, **style: object) -> None:
    if len(x):
        ax.plot(x, y, linestyle="none", **style)  # type: ignore[arg-type]


def _draw_lanes(ax: Axes, lanes: pd.DataFrame, frame: pd.DataFrame, events: pd.DataFrame) -> None:
    """Every mark of one page, one collection or one ``plot`` call per kind of mark."""
    n = len(lanes)
    y = np.arange(n, dtype=float)
    followup = lanes["followup_days"].to_numpy(dtype=float) / MONTH_DAYS
    known = ~np.isnan(followup)
    ax.add_collection(
        LineCollection(
            _segments(np.zeros(known.sum()), y[known], followup[known], y[known]),
            colors="#555555",
            linewidths=0.6,
            zorder=1,
        )
    )
    dead = lanes["death_date"].notna().to_numpy() & known
    _points(
        ax, followup[dead], y[dead], marker="s", markersize=3.6, color=OKABE_ITO["black"], zorder=4
    )
    responders = frame[frame["response_m"].notna() & frame["duration_m"].notna()]
    lane = responders["lane"].to_numpy(dtype=float)
    start = responders["response_m"].to_numpy(dtype=float)
    total = responders["duration_m"].to_numpy(dtype=float)
    cr = np.minimum(responders["cr_m"].to_numpy(dtype=float), total)
    cr_colour = RESPONSE_STYLE["CR"][0]
    r_colour, r_hatch = RESPONSE_STYLE["R"]
    cr_bars = [
        Rectangle((x, row - BAR / 2), width, BAR)
        for x, row, width in zip(start, lane, cr, strict=True)
        if width > 0
    ]
    r_bars = [
        Rectangle((x + width_cr, row - BAR / 2), width - width_cr, BAR)
        for x, row, width, width_cr in zip(start, lane, total, cr, strict=True)
        if width > width_cr
    ]
    ax.add_collection(
        PatchCollection(
            cr_bars, facecolors=cr_colour, edgecolors=cr_colour, linewidths=0.3, zorder=2
        )
    )
    ax.add_collection(
        PatchCollection(
            r_bars,
            facecolors=r_colour,
            edgecolors=R_EDGE,
            linewidths=0.3,
            hatch=r_hatch,
            zorder=2,
        )
    )
    end = start + total
    censored = responders["censored"].to_numpy(dtype=bool)
    _points(
        ax,
        end[censored],
        lane[censored],
        marker=">",
        markersize=3.6,
        color=OKABE_ITO["black"],
        zorder=5,
    )
    # a white halo under the loss cross keeps it visible on a dark bar, also in greyscale
    _points(
        ax,
        end[~censored],
        lane[~censored],
        marker="x",
        markersize=3.6,
        markeredgewidth=2.2,
        color="#FFFFFF",
        zorder=5,
    )
    _points(
        ax,
        end[~censored],
        lane[~censored],
        marker="x",
        markersize=3.6,
        markeredgewidth=1.0,
        color=OKABE_ITO["vermillion"],
        zorder=5,
    )
    course_x = frame["start_m"].to_numpy(dtype=float)
    course_lane = frame["lane"].to_numpy(dtype=float)
    ax.add_collection(
        LineCollection(
            _segments(course_x, course_lane - 0.42, course_x, course_lane + 0.42),
            colors=OKABE_ITO["black"],
            linewidths=1.0,
            zorder=3,
        )
    )
    for row in frame[frame["course_number"] > 1].itertuples():  # course 1 starts every lane at 0
        ax.text(
            row.start_m,
            row.lane - 0.48,
            str(int(row.course_number)),
            fontsize=4.6,
            ha="center",
            va="bottom",
            zorder=8,  # over an event mark on the same date
        )
    for kind, (marker, size, colour, _) in EVENT_STYLE.items():
        chosen = events[events["event"] == kind]
        _points(
            ax,
            chosen["x"].to_numpy(dtype=float),
            chosen["lane"].to_numpy(dtype=float) + EVENT_OFFSET,
            marker=marker,
            markersize=size,
            markerfacecolor=colour,
            markeredgecolor=OKABE_ITO["black"],
            markeredgewidth=0.4,
            zorder=7,
        )


def _legend_handles(t: Translator) -> list[Line2D | Patch]:
    black = OKABE_ITO["black"]
    handles: list[Line2D | Patch] = [
        Line2D(
            [0],
            [0],
            color=black,
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
            edgecolor=R_EDGE,
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
            [0], [0], color=black, marker=">", linestyle="none", label=t("fig.swimmer.censored")
        ),
    ]
    handles += [
        Line2D(
            [0],
            [0],
            marker=marker,
            markersize=size + 1,
            markerfacecolor=colour,
            markeredgecolor=black,
            markeredgewidth=0.4,
            linestyle="none",
            label=t(message_id),
        )
        for marker, size, colour, message_id in EVENT_STYLE.values()
    ]
    handles += [
        Line2D(
            [0],
            [0],
            color=black,
            marker="s",
            linestyle="none",
            markersize=4,
            label=t("fig.swimmer.death"),
        ),
        Line2D([0], [0], color="#555555", linewidth=0.6, label=t("fig.swimmer.followup")),
    ]
    return handles


def _page_image(
    key: str,
    lanes: pd.DataFrame,
    frame: pd.DataFrame,
    events: pd.DataFrame,
    x_max: float,
    t: Translator,
) -> FigureImage:
    shown = len(lanes)
    legend_cm = 2.3
    height_cm = legend_cm + 1.3 + 0.36 * shown
    with journal_style():
        figure = new_figure(WIDTH_CM, height_cm)
        bottom = (legend_cm + 0.1) / height_cm
        ax = figure.add_axes((0.17, bottom, 0.79, 1 - bottom - 0.25 / height_cm))
        _draw_lanes(ax, lanes, frame, events)
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
        figure.legend(
            handles=_legend_handles(t),
            loc="lower center",
            ncols=3,
            fontsize=6.5,
            bbox_to_anchor=(0.55, 0.0),
            columnspacing=1.2,
            handlelength=2,
        )
        return render(figure, key, WIDTH_CM)


def swimmer_figures(
    patients: pd.DataFrame,
    courses: pd.DataFrame,
    events: pd.DataFrame | None,
    t: Translator,
    page_max: int = PAGE_MAX,
) -> list[SwimmerPage]:
    """Draw the swimmer plot of every patient of ``patients`` on pages; [] when there is none.

    ``patients``: one row per included patient (``followup_days``, ``death_date``); ``courses``:
    their courses (``courses`` mart); ``events``: the ``patient_treatment_events`` mart (rows of
    other patients are ignored; None draws no treatment event). Page ``k`` has the key
    ``swimmer-k``.
    """
    lanes = swimmer_lanes(patients)
    slices = page_slices(len(lanes), page_max)
    frame = _course_frame(courses, lanes)
    placed = _event_frame(events, lanes)
    pages = []
    for number, lanes_slice in enumerate(slices, start=1):
        page_lanes = lanes.iloc[lanes_slice].reset_index(drop=True)
        first = lanes_slice.start
        in_page = (frame["lane"] >= first) & (frame["lane"] < lanes_slice.stop)
        page_frame = frame[in_page].assign(lane=frame.loc[in_page, "lane"] - first)
        on_page = (placed["lane"] >= first) & (placed["lane"] < lanes_slice.stop)
        page_events = placed[on_page].assign(lane=placed.loc[on_page, "lane"] - first)
        reach = [
            page_lanes["followup_days"].to_numpy(dtype=float) / MONTH_DAYS,
            page_events["x"].to_numpy(dtype=float),
            [12.0],
        ]
        x_max = float(np.nanmax(np.concatenate(reach)))
        image = _page_image(f"swimmer-{number}", page_lanes, page_frame, page_events, x_max, t)
        pages.append(
            SwimmerPage(
                image=image,
                part=number,
                parts=len(slices),
                patients=tuple(zip(page_lanes["center"], page_lanes["patient_id"], strict=True)),
            )
        )
    return pages
