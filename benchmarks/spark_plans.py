"""Spark's physical plan of every materialised model: shuffles, join kinds, window keys.

    python -m benchmarks.spark_plans STUDY_DIR [OMOP_PARQUET_DIR]

``STUDY_DIR`` holds an imported study (``itpcohort import ... --out STUDY_DIR``); its canonical
tables are loaded into a local Spark session as ``engines.derive_on`` does, and every table model
of ``derive.TABLE_MODELS`` is planned, then computed (a checkpointed view), in dependency order.
With ``OMOP_PARQUET_DIR`` (the ``parquet/`` folder of ``itpcohort export --format omop``), the
tables the OMOP reader computes on the engine (``omop.reader.read_cdm``'s ``keep``) are planned
first, from Parquet, as ``itpcohort derive omop:pyspark:///...`` reads them.

Each model is printed twice (one line each):

* ``scale``: the plan Spark compiles with adaptive execution off and no broadcast join
  (``autoBroadcastJoinThreshold=-1``): every join and every window's shuffle shows, as it would
  at a warehouse's size where no input is under the broadcast threshold;
* ``local``: the plan Spark ran here (adaptive execution on, its final plan): which joins it
  broadcast once it saw the small tables of a synthetic study.

Columns: Exchange (shuffle) nodes, broadcast exchanges, sort-merge / broadcast-hash / other
joins, then the hash-partitioning keys of the shuffles and the partition keys of the windows,
the model's rows here and the size Spark estimates for its checkpoint (what a later model's join
planning sees: the estimate of the plan that computed it, not the checkpoint's real size). Used by ``docs/running-at-scale.md``; not part of ``make bench``.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

_KEY = re.compile(r"#\d+L?")
_HASH = re.compile(r"hashpartitioning\((.*?), \d+\)")
_WINDOW = re.compile(r"Window \[.*\], \[([^\[\]]*)\], \[[^\[\]]*\]\s*$")
_JOINS = ("SortMergeJoin", "BroadcastHashJoin", "ShuffledHashJoin", "BroadcastNestedLoopJoin")


def _keys(text: str) -> str:
    """Attribute references without Spark's expression ids (``person_id#12L`` -> ``person_id``)."""
    return _KEY.sub("", text).replace(" ", "")


def plan_counts(plan: str) -> dict[str, Any]:
    """Shuffles, joins and windows of one physical plan's text (the final plan when adaptive)."""
    plan = plan.split("== Initial Plan ==")[0]
    lines = plan.splitlines()
    counts: Counter[str] = Counter()
    shuffle_keys: Counter[str] = Counter()
    window_keys: Counter[str] = Counter()
    for line in lines:
        node = line.lstrip(" :+-*()0123456789")
        if node.startswith("Exchange "):
            counts["exchange"] += 1
            found = _HASH.search(node)
            key = _keys(found.group(1)) if found else node.split()[1].split("(")[0]
            shuffle_keys[key] += 1
        elif node.startswith("BroadcastExchange"):
            counts["broadcast"] += 1
        elif node.startswith(_JOINS):
            counts[node.split()[0]] += 1
        elif node.startswith("CartesianProduct"):
            counts["BroadcastNestedLoopJoin"] += 1
        elif node.startswith("Window "):
            found = _WINDOW.search(node)
            window_keys[_keys(found.group(1)) if found and found.group(1) else "(none)"] += 1
    return {"counts": counts, "shuffle_keys": shuffle_keys, "window_keys": window_keys}


def _size(estimate: int) -> str:
    """A byte count in three significant digits (Spark's estimates overflow a float)."""
    digits = str(estimate)
    if len(digits) <= 3:
        return digits
    return f"{digits[0]}.{digits[1:3]}e{len(digits) - 1}"


def _line(
    layer: str, model: str, variant: str, found: dict[str, Any], rows: int, estimate: int
) -> str:
    c = found["counts"]
    other = c["ShuffledHashJoin"] + c["BroadcastNestedLoopJoin"]

    def keys(counter: Counter[str]) -> str:
        return "; ".join(f"{k} x{n}" if n > 1 else k for k, n in sorted(counter.items())) or "-"

    return (
        f"{layer}\t{model}\t{variant}\t{c['exchange']}\t{c['broadcast']}\t{c['SortMergeJoin']}"
        f"\t{c['BroadcastHashJoin']}\t{other}\t{keys(found['shuffle_keys'])}"
        f"\t{keys(found['window_keys'])}\t{rows}\t{_size(estimate)}"
    )


class Planner:
    """A ``materialize(name, expression)`` for ``derive_models``/``read_cdm`` that prints both
    plans of each expression, then computes it once as ``engines`` does (a local checkpoint)."""

    def __init__(self, backend: Any, layer: Callable[[str], str]) -> None:
        self.backend = backend
        self.session = backend._session
        self.layer = layer
        self.inner = _workspace(backend)

    def _plan(self, sql: str, scale: bool) -> str:
        conf = self.session.conf
        saved = {
            k: conf.get(k)
            for k in ("spark.sql.adaptive.enabled", "spark.sql.autoBroadcastJoinThreshold")
        }
        if scale:
            conf.set("spark.sql.adaptive.enabled", "false")
            conf.set("spark.sql.autoBroadcastJoinThreshold", "-1")
        try:
            frame = self.session.sql(sql)
            return str(frame._jdf.queryExecution().executedPlan().toString())
        finally:
            for key, value in saved.items():
                conf.set(key, value)

    def materialize(self, name: str, expression: Any) -> Any:
        sql = self.backend.compile(expression)
        scale = plan_counts(self._plan(sql, scale=True))
        frame = self.session.sql(sql)
        checkpoint = frame.localCheckpoint(eager=True)
        local = plan_counts(str(frame._jdf.queryExecution().executedPlan().toString()))
        rows = checkpoint.count()
        target = self.inner.name(name)
        self.inner.created.append(target)
        checkpoint.createOrReplaceTempView(target)
        stats = self.session.table(target)._jdf.queryExecution().optimizedPlan().stats()
        estimate = int(stats.sizeInBytes())
        print(_line(self.layer(name), name, "scale", scale, rows, estimate), flush=True)
        print(_line(self.layer(name), name, "local", local, rows, estimate), flush=True)
        return self.backend.table(target)

    def load(self, name: str, table: pa.Table) -> Any:
        return self.inner.load(name, table)

    def release(self, name: str) -> None:
        self.inner.release(name)


def _workspace(backend: Any) -> Any:
    from itpcohort.engines import workspace

    return workspace(backend)


def main(argv: list[str]) -> int:
    """Print the plan counts of the OMOP reading (optional) and of every table model."""
    if len(argv) not in (1, 2):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    from itpcohort.criteria import Criteria
    from itpcohort.derive import TABLE_MODELS, derive_models
    from itpcohort.derive._models import MODELS
    from itpcohort.engines import connect_engine, spark_session
    from itpcohort.schema import CANONICAL_COLUMNS
    from itpcohort.store.connection import _install_ibis_compat

    _install_ibis_compat()
    session = spark_session()
    session.conf.set("spark.sql.debug.maxToStringFields", "1000")
    backend = connect_engine("spark", session=session)
    layers = {m.name: m.layer for m in MODELS}
    print(
        "layer\tmodel\tplan\texchanges\tbroadcasts\tsort_merge\tbroadcast_hash\tother_joins"
        "\tshuffle_keys\twindow_partition_keys\trows\testimated_bytes"
    )
    if len(argv) == 2:
        from itpcohort.omop.mapping import load_mapping
        from itpcohort.omop.reader import read_cdm
        from itpcohort.omop.source import cdm_tables, connect_source, parse_source

        source = parse_source(f"omop:pyspark://{Path(argv[1]).resolve()}")
        omop = connect_source(source, session)
        reader = Planner(omop, lambda _name: "omop")
        tables, _notes = cdm_tables(omop, source)
        read_cdm(tables, load_mapping(source.mapping), source.name, reader.materialize, reader.load)
    with duckdb.connect(str(Path(argv[0]) / "study.duckdb"), read_only=True) as con:
        canonical = {
            name: con.sql(f'SELECT * FROM main."{name}"').to_arrow_table()
            for name in CANONICAL_COLUMNS
        }
    planner = Planner(backend, lambda name: layers.get(name, "?"))
    loaded = {name: planner.load(name, table) for name, table in canonical.items()}
    assert TABLE_MODELS  # every table model passes through planner.materialize
    derive_models(loaded, Criteria(), planner.materialize, planner.release)
    session.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
