"""Exposure courses give the same rows on DuckDB, PostgreSQL and Spark (``protocols.md``).

One batch per rule set of ``tests/unit/test_hand_worked_exposure_timelines.py``; the default batch
also holds every hand-worked timeline of the infusion tests read under the TPO-RA protocol (their
eltrombopag and romiplostim rows become courses, their rituximab a line agent). Each engine derives
the exposure marts once per batch (``derive_exposure``, its shared models materialised on the
engine); every mart must equal DuckDB's row for row, and the hand-worked expectations must hold on
each engine itself.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from itpcohort.criteria import Criteria
from itpcohort.derive.exposure import EXPOSURE_MARTS, ExposureRules, derive_exposure
from itpcohort.engines import ENGINES, _Engine, _mart_arrow
from tests.engines.test_engine_parity import _canonical_only
from tests.reference.canonical import arrow_tables
from tests.unit import test_hand_worked_timelines as infusion
from tests.unit.test_hand_worked_exposure_timelines import CASES, DEFAULT, Rules
from tests.unit.timeline_builders import merge

pytestmark = pytest.mark.engines


def _batches() -> dict[Rules, dict[str, pa.Table]]:
    by_rules: dict[Rules, list[Any]] = {}
    for rules, rows, _ in CASES.values():
        by_rules.setdefault(rules, []).append(rows)
    by_rules[DEFAULT].extend(rows for rows, _ in infusion.CASES.values())
    return {
        rules: _canonical_only(arrow_tables(merge(*parts))) for rules, parts in by_rules.items()
    }


def _derive(backend: Any, tables: dict[str, pa.Table], rules: Rules) -> dict[str, list[Any]]:
    engine = _Engine(backend)
    try:
        loaded = {name: engine.load(name, table) for name, table in tables.items()}
        marts = derive_exposure(
            loaded,
            ExposureRules(rules.agents, rules.era_gap_days, rules.exposure_effect_days),
            Criteria(),
            engine.materialize,
        )
        return {
            name: sorted(
                _mart_arrow(backend, marts[name]).to_pylist(),
                key=lambda r: [(v is None, repr(v)) for v in r.values()],
            )
            for name in EXPOSURE_MARTS
        }
    finally:
        engine.close()


@pytest.fixture(scope="module")
def derived(engine_backends: dict[str, Any]) -> dict[str, list[dict[str, list[Any]]]]:
    """Per engine: the exposure marts of each batch."""
    batches = _batches()
    return {
        engine: [_derive(backend, tables, rules) for rules, tables in batches.items()]
        for engine, backend in engine_backends.items()
    }


@pytest.mark.parametrize("engine", [e for e in ENGINES if e != "duckdb"])
def test_exposure_marts_equal_duckdb_rows(
    derived: dict[str, list[dict[str, list[Any]]]], engine: str
) -> None:
    for batch, expected in zip(derived[engine], derived["duckdb"], strict=True):
        for name in EXPOSURE_MARTS:
            assert batch[name] == expected[name], (engine, name)
    assert sum(len(b["courses"]) for b in derived["duckdb"]) > 60


@pytest.mark.parametrize("engine", list(ENGINES))
def test_hand_worked_exposure_courses_on_every_engine(
    derived: dict[str, list[dict[str, list[Any]]]], engine: str
) -> None:
    rows = [r for batch in derived[engine] for r in batch["courses"]]
    for pid, (_, _, expected) in CASES.items():
        got = sorted((r for r in rows if r["patient_id"] == pid), key=lambda r: r["course_number"])
        assert got == expected, (engine, pid)
