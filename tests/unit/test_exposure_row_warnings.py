"""The data-quality warning of ``protocols.md`` "Exposure courses": an open-ended row of an agent
followed by a later row of the same agent. Expected rows written by hand."""

from __future__ import annotations

from typing import Any

import ibis

from itpcohort.derive import ExposureRules
from itpcohort.derive.exposure import exposure_row_warnings
from itpcohort.store.connection import _install_ibis_compat
from tests.reference.canonical import arrow_tables
from tests.unit.test_hand_worked_exposure_timelines import CASES, TPO_RA, ex, timeline
from tests.unit.timeline_builders import d, merge


def _warnings(rows: Any) -> list[dict[str, Any]]:
    _install_ibis_compat()
    con = ibis.duckdb.connect(threads=1)
    tables = {name: con.create_table(name, t) for name, t in arrow_tables(rows).items()}
    return con.to_pyarrow(exposure_row_warnings(tables, ExposureRules(TPO_RA))).to_pylist()


def test_open_rows_followed_by_a_later_row_of_their_agent() -> None:
    rows = merge(
        # E open from day 0, E again on day 200: a warning dated 0, later 200
        CASES["open_row_absorbs"][1],
        # E open then R (another agent): no warning
        CASES["open_row_cut"][1],
        # a single open row: no warning
        CASES["open_until_followup"][1],
        # two open rows of R on days 0 and 0 (a dose split) and one on day 50: one warning per
        # open start (0 -> 50) and none for the last open row
        timeline(
            "open_splits",
            ex("open_splits", "R", 0),
            ex("open_splits", "R", 0),
            ex("open_splits", "R", 50),
        ),
        # an open rescue row of E before a later E row is not a course row: no warning
        timeline(
            "open_rescue", ex("open_rescue", "E", 0, rescue=True), ex("open_rescue", "E", 40, 80)
        ),
    )
    assert _warnings(rows) == [
        {"center": "TLS", "patient_id": "open_row_absorbs", "agent": "eltrombopag", "start_date": d(0), "later_start_date": d(200)},
        {"center": "TLS", "patient_id": "open_splits", "agent": "romiplostim", "start_date": d(0), "later_start_date": d(50)},
    ]  # fmt: skip
