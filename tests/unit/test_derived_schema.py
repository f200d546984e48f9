"""One declaration per mart (``derived_schema``) serves the derivation, the CSV layout and the
analysis (``response-criteria.md``, derived tables)."""

from __future__ import annotations

import ibis
import pytest

from itpcohort.analysis.tables import TABLE_COLUMNS
from itpcohort.criteria import Criteria
from itpcohort.derive import MARTS, derive_all
from itpcohort.derive._common import canonical_schema
from itpcohort.derive.serialize import MART_LAYOUTS
from itpcohort.derived_schema import MARTS as DECLARED
from itpcohort.derived_schema import MARTS_BY_NAME, Mart
from itpcohort.schema import CANONICAL_COLUMNS


def test_the_derivation_returns_the_declared_marts_in_order() -> None:
    assert tuple(m.name for m in DECLARED) == MARTS


@pytest.mark.parametrize("mart", DECLARED, ids=lambda m: m.name)
def test_each_mart_expression_has_the_declared_columns_types_and_order(mart: Mart) -> None:
    tables = {n: ibis.table(canonical_schema(n), name=n) for n in CANONICAL_COLUMNS}
    built = derive_all(tables, Criteria())
    schema = built[mart.name].schema()
    assert [(name, str(kind)) for name, kind in schema.items()] == list(mart.columns)


def test_the_csv_layout_is_the_declaration() -> None:
    assert {m.name: (m.names, m.sort_by) for m in DECLARED} == MART_LAYOUTS
    for mart in DECLARED:
        assert set(mart.sort_by) <= set(mart.names) and mart.spec.startswith(
            ("response-criteria.md", "flagship-study.md")
        )


def test_the_analysis_reads_only_declared_columns() -> None:
    assert set(TABLE_COLUMNS) == set(MARTS)
    for name, kinds in TABLE_COLUMNS.items():
        assert set(kinds) <= set(MARTS_BY_NAME[name].names), name
