"""Freeing the derivation's tables early (``derive.RELEASED_AFTER``) never frees one still to be read.

Each materialised model is replaced by a placeholder table named after it; a released placeholder
must not appear in any expression built afterwards, nor in the marts, and every intermediate
table must be released once (so that none holds its memory to the end).
"""

from __future__ import annotations

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive import MARTS, TABLE_MODELS, derive_models
from itpcohort.derive._common import canonical_schema
from itpcohort.schema import CANONICAL_COLUMNS


def _tables_read(expression: ir.Table) -> set[str]:
    return {op.name for op in expression.op().find(ops.UnboundTable)}


def test_no_released_table_is_read_afterwards_and_every_intermediate_is_released() -> None:
    canonical = {name: ibis.table(canonical_schema(name), name=name) for name in CANONICAL_COLUMNS}
    released: list[str] = []
    violations: list[str] = []

    def materialize(name: str, expression: ir.Table) -> ir.Table:
        for table in sorted(_tables_read(expression) & set(released)):
            violations.append(f"{name} reads {table}, released before it was built")
        return ibis.table(expression.schema(), name=name)

    built = derive_models(canonical, Criteria(), materialize, released.append)

    assert violations == []
    for mart in MARTS:
        assert not _tables_read(built[mart]) & set(released)
    assert sorted(released) == sorted(TABLE_MODELS - set(MARTS))
    assert len(released) == len(set(released))
