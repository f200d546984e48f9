"""The swimmer plot at any size: one time axis for every part, a cap, a compact sample, the data."""

from __future__ import annotations

import pandas as pd
import pytest

from itpcohort.report import Translator
from itpcohort.report._figures.swimmer import (
    MONTH_DAYS,
    compact_lanes,
    group_quotas,
    swimmer_compact,
    swimmer_data,
    swimmer_figures,
)

RESPONSES = ("CR", "R", "NR", "NE")


def _cohort(n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` patients, follow-up 30 days × (i + 1), course 1 responses cycling CR, R, NR, NE;
    patient 0 has a second course, and responders a response of 20 days (patient 0's censored)."""
    patients = pd.DataFrame(
        {
            "center": ["TLS"] * n,
            "patient_id": [f"TLS-{i:03d}" for i in range(n)],
            "followup_days": [30.0 * (i + 1) for i in range(n)],
            "death_date": [pd.Timestamp("2024-01-01") if i == 1 else None for i in range(n)],
        }
    )
    response = [RESPONSES[i % 4] for i in range(n)]
    responded = [r in ("CR", "R") for r in response]
    courses = pd.DataFrame(
        {
            "center": ["TLS"] * (n + 1),
            "patient_id": [f"TLS-{i:03d}" for i in range(n)] + ["TLS-000"],
            "course_number": [1] * n + [2],
            "start_date": [pd.Timestamp("2020-01-01")] * n + [pd.Timestamp("2020-03-01")],
            "response": [*response, "NR"],
            "response_date": [pd.Timestamp("2020-01-11") if r else None for r in responded]
            + [None],
            "duration_days": [20.0 if r else None for r in responded] + [None],
            "duration_censored": pd.array(
                [i == 0 if r else None for i, r in enumerate(responded)] + [None], dtype="boolean"
            ),
            "cr_duration_days": [10.0 if r == "CR" else None for r in response] + [None],
        }
    )
    return patients, courses


def test_every_part_shares_one_time_axis_read_back_from_the_figure() -> None:
    patients, courses = _cohort(20)
    pages = swimmer_figures(patients, courses, None, Translator("en"), page_max=5)
    assert len(pages) == 4
    longest = 20 * 30 / MONTH_DAYS
    # the longest follow-up reaches past 12 months: it sets the axis of every part, even the
    # last part whose own lanes end before 6 months
    assert longest > 12
    assert len({page.x_limits for page in pages}) == 1  # the same limits, exactly
    assert pages[-1].x_limits == (0.0, pytest.approx(longest * 1.03))


def test_the_complete_plot_is_capped_in_lane_order() -> None:
    patients, courses = _cohort(20)
    pages = swimmer_figures(patients, courses, None, Translator("en"), page_max=2, max_lanes=5)
    shown = [patient for page in pages for patient in page.patients]
    assert [p for _, p in shown] == [f"TLS-{i:03d}" for i in (19, 18, 17, 16, 15)]
    assert [(page.part, page.parts) for page in pages] == [(1, 3), (2, 3), (3, 3)]
    assert len({page.x_limits for page in pages}) == 1
    assert pages[0].x_limits == (0.0, pytest.approx(20 * 30 / MONTH_DAYS * 1.03))


@pytest.mark.parametrize(
    ("sizes", "total", "quotas"),
    [
        ([5, 3, 2, 0], 30, [5, 3, 2, 0]),  # everyone fits
        ([100, 50, 30, 20], 30, [15, 8, 4, 3]),
        ([1000, 5, 1, 0], 30, [28, 1, 1, 0]),  # a small group keeps one lane
        ([10, 10, 10, 10], 30, [8, 8, 7, 7]),
    ],
)
def test_group_quotas_are_proportional_and_keep_small_groups(
    sizes: list[int], total: int, quotas: list[int]
) -> None:
    assert group_quotas(sizes, total) == quotas
    assert sum(quotas) == min(total, sum(sizes))


def test_the_compact_sample_is_grouped_by_course1_response_and_spans_the_followup() -> None:
    patients, courses = _cohort(40)
    lanes = compact_lanes(patients, courses, size=8)
    assert list(lanes["group"]) == ["CR", "CR", "R", "R", "NR", "NR", "NE", "NE"]
    # within a group: evenly spaced along the follow-up order, longest first
    cr = lanes.loc[lanes["group"] == "CR", "patient_id"].tolist()
    assert cr == ["TLS-028", "TLS-008"]  # CR patients 36, 32, ..., 0: the 3rd and the 8th
    assert compact_lanes(patients, courses, size=8).equals(lanes)  # the same data, same sample
    assert len(compact_lanes(patients, courses, size=100)) == 40  # a small cohort is drawn whole


def test_the_compact_figure_is_drawn_with_its_lanes() -> None:
    patients, courses = _cohort(40)
    page = swimmer_compact(compact_lanes(patients, courses, 8), courses, None, Translator("fr"))
    assert page is not None
    assert page.image.key == "swimmer"
    assert page.image.png.startswith(b"\x89PNG") and b"<svg" in page.image.svg
    assert len(page.patients) == 8
    empty = compact_lanes(patients.head(0), courses)
    assert swimmer_compact(empty, courses, None, Translator("en")) is None


def test_swimmer_data_lists_every_mark_of_every_patient() -> None:
    patients, courses = _cohort(9)
    events = pd.DataFrame(
        {
            "center": ["TLS"],
            "patient_id": ["TLS-000"],
            "event": ["rescue"],
            "days_from_course1": [MONTH_DAYS * 3],
        }
    )
    data = swimmer_data(patients, courses, events)
    assert data["lane"].max() == 9 and data["lane"].is_monotonic_increasing
    first = data[data["patient_id"] == "TLS-000"]
    assert first["lane"].unique().tolist() == [9]  # the shortest follow-up is the last lane
    month = 1 / MONTH_DAYS
    marks = [
        (row.mark, None if pd.isna(row.course) else int(row.course), row.from_month, row.to_month)
        for row in first.itertuples()
    ]
    expected = [
        ("followup", None, 0.0, round(30 * month, 2)),
        ("course", 1, 0.0, None),
        ("cr", 1, round(10 * month, 2), round(20 * month, 2)),
        ("r", 1, round(20 * month, 2), round(30 * month, 2)),
        ("censored", 1, round(30 * month, 2), None),
        ("course", 2, round(60 * month, 2), None),
        ("rescue", None, 3.0, None),
    ]
    assert [(m, c, f, None if pd.isna(t) else t) for m, c, f, t in marks] == [
        (m, c, pytest.approx(f, abs=0.006), None if t is None else pytest.approx(t, abs=0.006))
        for m, c, f, t in expected
    ]
    assert (data["mark"] == "death").sum() == 1
    assert (data["mark"] == "loss").sum() == 4  # responders 4, 5, 8 and 1 lose their response


def test_swimmer_data_of_a_cohort_without_death_or_response() -> None:
    """Kinds of marks nobody has leave no row (and no row without a lane)."""
    patients, courses = _cohort(5)
    patients["death_date"] = None
    courses["response_date"] = None
    courses["duration_days"] = None
    data = swimmer_data(patients, courses, None)
    assert sorted(set(data["mark"])) == ["course", "followup"]
    assert list(data.loc[data["mark"] == "followup", "lane"]) == [1, 2, 3, 4, 5]
    assert len(data) == 5 + len(courses)
