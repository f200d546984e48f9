"""Rules of the figures that are not pixels: swimmer lane selection, forest-plot ticks."""

from __future__ import annotations

import pandas as pd

from itpcohort.report._figures.forest import MAX_TICKS, axis_ticks, tick_decimals
from itpcohort.report._figures.swimmer import MAX_PATIENTS, lane_label, swimmer_lanes


def test_swimmer_keeps_the_longest_followup_first_ties_by_center_and_patient() -> None:
    n = MAX_PATIENTS + 10
    patients = pd.DataFrame(
        {
            "center": ["B", "A"] * (n // 2),
            "patient_id": [f"P{i:03d}" for i in range(n)],
            "followup_days": [100.0 if i < 4 else float(i) for i in range(n)],
            "death_date": [None] * n,
        }
    )
    lanes = swimmer_lanes(patients, pd.DataFrame())
    assert len(lanes) == MAX_PATIENTS
    assert lanes["followup_days"].is_monotonic_decreasing
    # the four patients tied at 100 days come center A first, then by patient id
    tied = lanes[lanes["followup_days"] == 100.0]
    assert list(zip(tied["center"], tied["patient_id"], strict=True)) == [
        ("A", "P001"),
        ("A", "P003"),
        ("B", "P000"),
        ("B", "P002"),
    ]
    assert lanes["followup_days"].min() > patients["followup_days"].nsmallest(11).max() - 1


def test_lane_labels_do_not_repeat_the_center() -> None:
    assert lane_label("TLS", "TLS-097") == "TLS-097"
    assert lane_label("TLS", "0097") == "TLS 0097"


def test_forest_ticks_stay_legible() -> None:
    assert axis_ticks(0.6, 55.0) == [1.0, 2.0, 5.0, 10.0, 20.0, 50.0]
    assert axis_ticks(0.05, 210.0) == [0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0]
    for low, high in ((0.6, 55.0), (0.05, 210.0), (0.02, 5000.0)):
        assert 1 <= len(axis_ticks(low, high)) <= MAX_TICKS
    assert [tick_decimals(v) for v in (0.01, 0.05, 0.3, 1.0, 20.0)] == [2, 2, 1, 0, 0]
