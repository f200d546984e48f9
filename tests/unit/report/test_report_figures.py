"""Rules of the figures that are not pixels: swimmer lane selection, forest-plot ticks."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.figure import Figure

from itpcohort.report._figures.forest import MAX_TICKS, axis_ticks, tick_decimals
from itpcohort.report._figures.swimmer import (
    EVENT_OFFSET,
    EVENT_STYLE,
    PAGE_MAX,
    _course_frame,
    _draw_lanes,
    _event_frame,
    lane_label,
    page_slices,
    swimmer_lanes,
)


def test_swimmer_lanes_put_the_longest_followup_first_ties_by_center_and_patient() -> None:
    n = PAGE_MAX + 10
    patients = pd.DataFrame(
        {
            "center": ["B", "A"] * (n // 2),
            "patient_id": [f"P{i:03d}" for i in range(n)],
            "followup_days": [100.0 if i < 4 else float(i) for i in range(n)],
            "death_date": [None] * n,
        }
    )
    lanes = swimmer_lanes(patients)
    assert len(lanes) == n
    assert lanes["followup_days"].is_monotonic_decreasing
    # the four patients tied at 100 days come center A first, then by patient id
    tied = lanes[lanes["followup_days"] == 100.0]
    assert list(zip(tied["center"], tied["patient_id"], strict=True)) == [
        ("A", "P001"),
        ("A", "P003"),
        ("B", "P000"),
        ("B", "P002"),
    ]


@pytest.mark.parametrize(
    ("n", "sizes"),
    [
        (0, []),
        (1, [1]),
        (50, [50]),
        (51, [26, 25]),
        (281, [47, 47, 47, 47, 47, 46]),
        (400, [50] * 8),
        (401, [45] * 5 + [44] * 4),
    ],
)
def test_pages_are_as_few_as_the_page_size_allows_and_balanced(n: int, sizes: list[int]) -> None:
    slices = page_slices(n)
    assert [s.stop - s.start for s in slices] == sizes
    assert [s.start for s in slices] == [sum(sizes[:k]) for k in range(len(sizes))]
    assert all(size <= PAGE_MAX for size in sizes)


def test_lane_labels_do_not_repeat_the_center() -> None:
    assert lane_label("TLS", "TLS-097") == "TLS-097"
    assert lane_label("TLS", "0097") == "TLS 0097"


def test_forest_ticks_stay_legible() -> None:
    assert axis_ticks(0.6, 55.0) == [1.0, 2.0, 5.0, 10.0, 20.0, 50.0]
    assert axis_ticks(0.05, 210.0) == [0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0]
    for low, high in ((0.6, 55.0), (0.05, 210.0), (0.02, 5000.0)):
        assert 1 <= len(axis_ticks(low, high)) <= MAX_TICKS
    assert [tick_decimals(v) for v in (0.01, 0.05, 0.3, 1.0, 20.0)] == [2, 2, 1, 0, 0]


def _two_patients() -> tuple[pd.DataFrame, pd.DataFrame]:
    patients = pd.DataFrame(
        {
            "center": ["TLS", "TLS"],
            "patient_id": ["TLS-001", "TLS-002"],
            "followup_days": [730.0, 365.0],
            "death_date": [None, None],
        }
    )
    start = pd.to_datetime(["2020-01-01", "2020-07-01", "2021-01-01", "2021-03-02"])
    courses = pd.DataFrame(
        {
            "center": ["TLS"] * 4,
            "patient_id": ["TLS-001", "TLS-001", "TLS-002", "TLS-002"],
            "course_number": [1, 2, 1, 2],
            "start_date": start,
            "response_date": pd.to_datetime(["2020-02-01", None, "2021-01-31", None]),
            "duration_days": [60.0, None, 30.0, None],
            "duration_censored": pd.array([False, None, False, None], dtype="boolean"),
            "cr_duration_days": [60.0, None, None, None],
        }
    )
    return patients, courses


def _drawn_marks(events: pd.DataFrame | None) -> dict[str, tuple[list[float], list[float]]]:
    """The points of each treatment-event marker drawn on one page, by marker."""
    patients, courses = _two_patients()
    lanes = swimmer_lanes(patients)
    figure = Figure()
    ax = figure.add_axes((0, 0, 1, 1))
    _draw_lanes(ax, lanes, _course_frame(courses, lanes), _event_frame(events, lanes))
    markers = {style[0] for style in EVENT_STYLE.values()}
    return {
        str(line.get_marker()): (list(line.get_xdata()), list(line.get_ydata()))
        for line in ax.get_lines()
        if line.get_marker() in markers
    }


def test_rescue_and_new_treatment_starts_are_marked_on_their_lane_at_their_date() -> None:
    events = pd.DataFrame(
        {
            "center": ["TLS", "TLS", "TLS", "OTHER"],
            "patient_id": ["TLS-001", "TLS-001", "TLS-002", "X"],
            "event": ["rescue", "new_treatment", "rescue", "rescue"],
            "days_from_course1": [91.0, 120.0, 30.0, 5.0],
        }
    )
    marks = _drawn_marks(events)
    month = 365.25 / 12
    rescue_x, rescue_y = marks[EVENT_STYLE["rescue"][0]]
    assert rescue_x == pytest.approx([91 / month, 30 / month])
    assert rescue_y == pytest.approx([0 + EVENT_OFFSET, 1 + EVENT_OFFSET])  # lanes 0 and 1
    new_x, new_y = marks[EVENT_STYLE["new_treatment"][0]]
    assert new_x == pytest.approx([120 / month])
    assert new_y == pytest.approx([EVENT_OFFSET])
    assert _drawn_marks(None) == {}  # no events, no marks (the legend still lists them)


def test_event_markers_differ_in_shape_so_they_read_in_greyscale() -> None:
    shapes = [style[0] for style in EVENT_STYLE.values()]
    assert len(set(shapes)) == len(shapes)
    assert not {"x", ">", "s", "|"} & set(shapes)  # loss, censoring, death, course
