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

Two figures, whatever the size of the cohort (issue 17, items 17 and 19):

* the complete plot (a supplementary figure): the included patients in lane order, by follow-up,
  longest first (ties by centre and patient code), capped at ``SUPPLEMENT_MAX`` = 200 lanes on
  ``ceil(n / PAGE_MAX)`` pages of equal size (±1). ``PAGE_MAX`` = 50 lanes of 3.6 mm with the
  legend make a figure of about 22 cm, which fits one A4 page with its caption (24.7 cm of text
  height) while the 5 pt patient codes stay legible; balanced pages avoid a last page of 2
  patients. Every page shares one time axis (same x-limits: the longest reach of the lanes
  shown, at least 12 months), so the parts read as one figure. A cohort of 200,000 patients
  would need 4,000 pages, which no reader uses and which took 44 minutes to draw: beyond the cap,
  the caption says "first 200 of n" and every lane's marks are in ``swimmer_data`` (the CSV
  ``tables/swimmer_data.csv`` of the report);
* the compact plot (a main figure): at most ``COMPACT_MAX`` = 30 patients, grouped by their
  response to course 1 (CR, R, NR, NE: the question of the study is what follows that response),
  each group given lanes in proportion to its size (largest remainders, at least one lane for a
  group that has patients), its patients taken evenly spaced along the group's follow-up order (a
  systematic sample: short and long follow-ups are both shown, and the same data always give the
  same sample). A cohort of at most 30 patients is drawn whole.

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
from itpcohort.shared.forked import start_forked

#: most lanes on one page (see the module docstring for why 50)
PAGE_MAX = 50
#: most lanes of the complete (supplementary) plot: 4 pages
SUPPLEMENT_MAX = 4 * PAGE_MAX
#: most lanes of the compact (main) plot
COMPACT_MAX = 30
#: the course-1 response groups of the compact plot, in lane order
GROUPS = ("CR", "R", "NR", "NE")
#: shortest time axis, in months
MIN_AXIS_MONTHS = 12.0
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
    #: the x-limits of the page's axes, read back from the drawn figure (months)
    x_limits: tuple[float, float] = (0.0, 0.0)


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
    groups: list[tuple[str, int, int]] | None = None,
) -> tuple[FigureImage, tuple[float, float]]:
    """One page and its axes' x-limits; ``groups`` (label, first lane, lanes) are bracketed."""
    shown = len(lanes)
    legend_cm = 2.3
    height_cm = legend_cm + 1.3 + 0.36 * shown
    with journal_style():
        figure = new_figure(WIDTH_CM, height_cm)
        bottom = (legend_cm + 0.1) / height_cm
        right = 0.96 if groups is None else 0.90
        ax = figure.add_axes((0.17, bottom, right - 0.17, 1 - bottom - 0.25 / height_cm))
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
        for label, first, size in groups or ():
            _group_bracket(ax, label, first, size)
        figure.legend(
            handles=_legend_handles(t),
            loc="lower center",
            ncols=3,
            fontsize=6.5,
            bbox_to_anchor=(0.55, 0.0),
            columnspacing=1.2,
            handlelength=2,
        )
        low, high = ax.get_xlim()
        return render(figure, key, WIDTH_CM), (float(low), float(high))


#: a page to draw: its key, its lanes, and the course and event marks on them
_Page = tuple[str, pd.DataFrame, pd.DataFrame, pd.DataFrame]


def _draw_pages(
    pages: list[_Page], x_max: float, t: Translator
) -> list[tuple[FigureImage, tuple[float, float]]]:
    """Each page's image and x-limits, in order. With several pages a forked child draws the
    second half while this process draws the first (each page's PNG and SVG took about a second
    at 50 lanes; the supplement's four pages 3.3 s on one core, 1.9 s on two)."""

    def draw(part: list[_Page]) -> list[tuple[FigureImage, tuple[float, float]]]:
        return [
            _page_image(key, lanes, marks, events, x_max, t) for key, lanes, marks, events in part
        ]

    if len(pages) < 2:
        return draw(pages)
    half = len(pages) // 2
    second = start_forked(lambda: draw(pages[half:]))
    return [*draw(pages[:half]), *second()]


def _group_bracket(ax: Axes, label: str, first: int, size: int) -> None:
    """A bracket right of the lanes ``first`` to ``first + size - 1`` with its group label."""
    transform = ax.get_yaxis_transform()  # x in axes fraction, y in lanes
    top, bottom = first - 0.4, first + size - 0.6
    ax.plot(
        [1.01, 1.02, 1.02, 1.01],
        [top, top, bottom, bottom],
        transform=transform,
        color=OKABE_ITO["black"],
        linewidth=0.6,
        clip_on=False,
    )
    ax.text(
        1.03,
        (top + bottom) / 2,
        label,
        transform=transform,
        fontsize=6.5,
        ha="left",
        va="center",
        clip_on=False,
    )
    if first > 0:
        ax.axhline(first - 0.5, color="#BBBBBB", linewidth=0.4, zorder=0)


def _axis_reach(lanes: pd.DataFrame, events: pd.DataFrame) -> float:
    """The right end of the time axis of ``lanes``: their longest follow-up or event, ≥ 12 months."""
    reach = [
        lanes["followup_days"].to_numpy(dtype=float) / MONTH_DAYS,
        events["x"].to_numpy(dtype=float),
        [MIN_AXIS_MONTHS],
    ]
    return float(np.nanmax(np.concatenate(reach)))


def _on_lanes(frame: pd.DataFrame, lanes_slice: slice) -> pd.DataFrame:
    """The rows of ``frame`` on the lanes of ``lanes_slice``, renumbered from 0."""
    inside = (frame["lane"] >= lanes_slice.start) & (frame["lane"] < lanes_slice.stop)
    return frame[inside].assign(lane=frame.loc[inside, "lane"] - lanes_slice.start)


def swimmer_figures(
    patients: pd.DataFrame,
    courses: pd.DataFrame,
    events: pd.DataFrame | None,
    t: Translator,
    page_max: int = PAGE_MAX,
    max_lanes: int = SUPPLEMENT_MAX,
) -> list[SwimmerPage]:
    """The complete swimmer plot: the first ``max_lanes`` patients in lane order, on pages.

    ``patients``: one row per included patient (``followup_days``, ``death_date``); ``courses``:
    their courses (``courses`` mart); ``events``: the ``patient_treatment_events`` mart (rows of
    other patients are ignored; None draws no treatment event). Every page has the same
    x-limits. Page ``k`` has the key ``swimmer-k``; [] when there is no patient.
    """
    lanes = swimmer_lanes(patients).head(max_lanes)
    slices = page_slices(len(lanes), page_max)
    frame = _course_frame(courses, lanes)
    placed = _event_frame(events, lanes)
    x_max = _axis_reach(lanes, placed)
    pages = []
    lanes_by_page = [lanes.iloc[part].reset_index(drop=True) for part in slices]
    drawn = _draw_pages(
        [
            (f"swimmer-{number}", page_lanes, _on_lanes(frame, part), _on_lanes(placed, part))
            for number, (part, page_lanes) in enumerate(
                zip(slices, lanes_by_page, strict=True), start=1
            )
        ],
        x_max,
        t,
    )
    for number, (page_lanes, (image, limits)) in enumerate(
        zip(lanes_by_page, drawn, strict=True), start=1
    ):
        pages.append(
            SwimmerPage(
                image=image,
                part=number,
                parts=len(slices),
                patients=tuple(zip(page_lanes["center"], page_lanes["patient_id"], strict=True)),
                x_limits=limits,
            )
        )
    return pages


def course1_groups(patients: pd.DataFrame, courses: pd.DataFrame) -> pd.Series:
    """The response to course 1 of each patient of ``patients`` (NE when not assessed)."""
    first = courses.loc[courses["course_number"] == 1, [*KEY, "response"]]
    merged = patients[KEY].merge(first.drop_duplicates(KEY), on=KEY, how="left")
    response = merged["response"].astype("object").where(merged["response"].isin(GROUPS), "NE")
    return pd.Series(response.to_numpy(), index=patients.index, name="group")


def group_quotas(sizes: list[int], total: int) -> list[int]:
    """Lanes per group: proportional to ``sizes``, summing to ``min(total, sum(sizes))``.

    Largest remainders, at least one lane for a group that has patients (when ``total`` allows).
    """
    n = sum(sizes)
    if n <= total:
        return list(sizes)
    quotas = [size * total / n for size in sizes]
    lanes = [
        min(size, max(1 if size else 0, math.floor(q)))
        for size, q in zip(sizes, quotas, strict=True)
    ]
    order = sorted(range(len(sizes)), key=lambda g: (-(quotas[g] - math.floor(quotas[g])), g))
    while sum(lanes) < total:
        for g in order:
            if sum(lanes) < total and lanes[g] < sizes[g]:
                lanes[g] += 1
    while sum(lanes) > total:  # the minimum of one lane overshot: take from the largest
        largest = max(range(len(lanes)), key=lambda g: (lanes[g], -g))
        lanes[largest] -= 1
    return lanes


def compact_lanes(
    patients: pd.DataFrame, courses: pd.DataFrame, size: int = COMPACT_MAX
) -> pd.DataFrame:
    """The lanes of the compact plot: a systematic sample stratified by the response to course 1.

    Groups in the order CR, R, NR, NE, each given ``group_quotas`` lanes, taken evenly spaced along
    the group's lane order (``swimmer_lanes``); a ``group`` column names each lane's group.
    """
    lanes = swimmer_lanes(patients)
    lanes["group"] = course1_groups(lanes, courses)
    members = [lanes[lanes["group"] == group] for group in GROUPS]
    quotas = group_quotas([len(m) for m in members], size)
    chosen = []
    for member, quota in zip(members, quotas, strict=True):
        picks = [math.floor((i + 0.5) * len(member) / quota) for i in range(quota)]
        chosen.append(member.iloc[picks])
    return pd.concat(chosen).reset_index(drop=True)


def swimmer_compact(
    lanes: pd.DataFrame, courses: pd.DataFrame, events: pd.DataFrame | None, t: Translator
) -> SwimmerPage | None:
    """The compact swimmer plot (key ``swimmer``) of ``lanes`` (``compact_lanes``), grouped.

    Each course-1 response group is bracketed and labelled; None when there is no lane.
    """
    if lanes.empty:
        return None
    frame = _course_frame(courses, lanes)
    placed = _event_frame(events, lanes)
    counts = lanes["group"].value_counts()
    groups, first = [], 0
    for group in GROUPS:
        if counts.get(group, 0):
            groups.append((t.label("response.short", group), first, int(counts[group])))
            first += int(counts[group])
    image, limits = _page_image(
        "swimmer", lanes, frame, placed, _axis_reach(lanes, placed), t, groups
    )
    return SwimmerPage(
        image=image,
        part=1,
        parts=1,
        patients=tuple(zip(lanes["center"], lanes["patient_id"], strict=True)),
        x_limits=limits,
    )


def _mark(rows: pd.DataFrame, mark: str, start: str, stop: str | None = None) -> pd.DataFrame:
    """``rows`` as marks of ``swimmer_data``: ``mark`` from column ``start`` (to ``stop``)."""
    return rows.assign(
        mark=mark,
        from_month=rows[start],
        to_month=np.nan if stop is None else rows[stop],
    )


#: columns of ``swimmer_data``
DATA_COLUMNS = ("lane", "center", "patient_id", "mark", "course", "from_month", "to_month")


def swimmer_data(
    patients: pd.DataFrame, courses: pd.DataFrame, events: pd.DataFrame | None
) -> pd.DataFrame:
    """Every mark of the complete swimmer plot of every patient, uncapped, one row per mark.

    ``lane`` is the patient's rank in lane order (1 = longest follow-up); ``mark`` is
    ``followup`` (0 to the end of follow-up), ``course`` (its start), ``cr`` and ``r`` (the CR and
    R parts of a response), ``loss`` or ``censored`` (the end of a response), ``rescue``,
    ``new_treatment`` or ``death``; times in months from the start of course 1, to 2 decimals
    (``to_month`` only for a period). Rows in lane order, then by time.
    """
    lanes = swimmer_lanes(patients)
    lanes = lanes.assign(lane=np.arange(len(lanes)))
    frame = _course_frame(courses, lanes)
    placed = _event_frame(events, lanes)
    lanes = lanes.assign(followup_m=lanes["followup_days"] / MONTH_DAYS)
    responders = frame[frame["response_m"].notna() & frame["duration_m"].notna()]
    responders = responders.assign(
        cr_end=responders["response_m"] + np.minimum(responders["cr_m"], responders["duration_m"]),
        end=responders["response_m"] + responders["duration_m"],
    )
    # each part takes its values from its own rows (an empty part must not adopt another index)
    parts = [
        lanes.assign(mark="followup", from_month=0.0, to_month=lanes["followup_m"]),
        _mark(lanes[lanes["death_date"].notna()], "death", "followup_m"),
        frame.assign(mark="course", from_month=frame["start_m"]),
        _mark(
            responders[responders["cr_end"] > responders["response_m"]],
            "cr",
            "response_m",
            "cr_end",
        ),
        _mark(responders[responders["end"] > responders["cr_end"]], "r", "cr_end", "end"),
        _mark(responders[responders["censored"]], "censored", "end"),
        _mark(responders[~responders["censored"]], "loss", "end"),
        placed.assign(mark=placed["event"], from_month=placed["x"]),
    ]
    columns = list(DATA_COLUMNS)
    kept = [column if column != "course" else "course_number" for column in columns]
    data = pd.concat(
        [part.reindex(columns=kept) for part in parts if len(part)], ignore_index=True
    ).rename(columns={"course_number": "course"})
    order = {
        mark: rank
        for rank, mark in enumerate(
            (
                "followup",
                "course",
                "cr",
                "r",
                "loss",
                "censored",
                "rescue",
                "new_treatment",
                "death",
            )
        )
    }
    data["course"] = pd.to_numeric(data["course"])
    data["rank"] = data["mark"].map(order)
    data = data.sort_values(["lane", "from_month", "rank"], kind="mergesort")
    data["lane"] = data["lane"].astype(int) + 1
    data["course"] = data["course"].astype("Int64")
    for column in ("from_month", "to_month"):
        data[column] = data[column].astype(float).round(2)
    return data[columns].reset_index(drop=True)
