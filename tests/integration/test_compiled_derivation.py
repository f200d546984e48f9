"""The derivation compiled ahead of the data (``store.compile_derivation``) is the derivation.

``derive_marts`` runs the statements compiled from unbound tables (``derive`` and ``run`` compile
them in a forked child while the import loads the data); the Ibis path it replaced (each model
built over the study database's own tables and materialised by Ibis's ``create_table``) is kept
here as the yardstick: both must give the same marts, value for value and type for type, under
the default criteria and under overrides.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from itpcohort import pipeline
from itpcohort.criteria import Criteria, criteria_from_config
from itpcohort.derivation import compile_derivation, sharing, temp_table
from itpcohort.derive import MARTS, MODELS, RELEASED_AFTER, TABLE_MODELS, derive_all
from itpcohort.io import resolve_config
from itpcohort.outputs import OutputFolder
from itpcohort.schema import CANONICAL_COLUMNS
from itpcohort.store import (
    connect_ibis,
    drop_temp,
    execute_to_arrow,
    materialize_temp,
)
from itpcohort.synth import generate_study


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("compiled-derivation")
    study = root / "study"
    generate_study(study, patients=150, centers=3, seed=11)
    config = resolve_config([study], None)
    out = root / "out"
    pipeline.import_inputs([study], config, out, criteria_from_config(config), command="derive")
    return out / pipeline.DATABASE_NAME


def _marts_through_ibis(db: Path, criteria: Criteria) -> dict[str, pa.Table]:
    """The marts as Ibis builds and materialises them over the study database's own tables."""
    backend = connect_ibis(db)
    try:
        canonical = {name: backend.table(name) for name in CANONICAL_COLUMNS}

        def materialize(name: str, expression: Any) -> Any:
            return materialize_temp(backend, f"_ibis_{name}", expression)

        marts = derive_all(
            canonical, criteria, materialize, lambda name: drop_temp(backend, f"_ibis_{name}")
        )
        return {name: execute_to_arrow(marts[name]) for name in MARTS}
    finally:
        backend.disconnect()


@pytest.mark.parametrize(
    "criteria",
    [
        Criteria(),
        Criteria().with_overrides(course_gap_days=30, confirm_days=14, r_fold=3.0),
        Criteria().with_overrides(response_window_days=90, baseline_days=10),
    ],
    ids=["iwg2009", "gap30-confirm14-fold3", "window90-baseline10"],
)
def test_the_compiled_derivation_gives_the_marts_of_the_ibis_path(
    database: Path, criteria: Criteria
) -> None:
    expected = _marts_through_ibis(database, criteria)
    got = pipeline.derive_marts(database, criteria, compiled=compile_derivation(criteria)).marts
    assert list(got) == list(MARTS)
    for name in MARTS:
        assert got[name].schema == expected[name].schema, name
        assert got[name].to_pylist() == expected[name].to_pylist(), name
    assert got["courses"].num_rows > 100  # a study with courses, not an empty comparison


def test_every_materialised_model_is_compiled_once_in_dependency_order() -> None:
    compiled = compile_derivation(Criteria())
    names = [model.name for model in compiled.models]
    assert names == [m.name for m in MODELS if m.name in TABLE_MODELS]
    for model in compiled.models:
        create, insert = model.statements
        assert create.startswith(f'CREATE TEMPORARY TABLE "temp"."main"."{temp_table(model.name)}"')
        assert insert.startswith(f'INSERT INTO "temp"."main"."{temp_table(model.name)}"')
        assert model.released == RELEASED_AFTER.get(model.name, ())
        # a model reads the canonical tables and earlier models only, never a released one
        built_before = {m.name for m in compiled.models[: names.index(model.name)]}
        released_before = {
            r for m in compiled.models[: names.index(model.name)] for r in m.released
        }
        for other in TABLE_MODELS - built_before - {model.name}:
            assert f'"{temp_table(other)}"' not in insert, (model.name, other)
        for gone in released_before:
            assert f'"{temp_table(gone)}"' not in insert, (model.name, gone)


def test_the_criteria_are_compiled_in_and_checked() -> None:
    default = compile_derivation(Criteria())
    longer = compile_derivation(Criteria().with_overrides(response_window_days=365))
    assert default.models != longer.models
    with pytest.raises(ValueError, match="not that of these criteria"):
        pipeline.derive_marts(Path("unused.duckdb"), Criteria(), compiled=longer)


def test_derive_compiles_the_derivation_in_a_child_process_and_derives_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``derive`` compiles the derivation in a forked child while it imports (as ``run`` does),
    and derives the marts from what the child compiled."""
    study = tmp_path / "study"
    generate_study(study, patients=40, centers=2, seed=5)
    config = resolve_config([study], None)
    pids = tmp_path / "compiled-by.txt"

    def recording(criteria: Criteria, compiled_before: Any = None) -> Any:
        with pids.open("a") as record:
            record.write(f"{os.getpid()}\n")
        return compile_derivation(criteria, compiled_before)

    monkeypatch.setattr(pipeline, "compile_derivation", recording)
    with OutputFolder(tmp_path / "out") as folder:
        _, derived = pipeline.derive_study([study], config, Criteria(), folder)
    (compiled_by,) = pids.read_text().split()
    assert int(compiled_by) != os.getpid()
    direct = pipeline.derive_marts(tmp_path / "out" / pipeline.DATABASE_NAME, Criteria())
    assert derived.marts == direct.marts


def test_sensitivity_runs_that_share_the_primary_models_give_the_marts_derived_alone(
    database: Path,
) -> None:
    base = compile_derivation(Criteria())
    runs = {
        "confirm28": Criteria().with_overrides(confirm_days=28),
        "window90": Criteria().with_overrides(response_window_days=90),
        "gap30": Criteria().with_overrides(course_gap_days=30),
        "baseline10-fold3": Criteria().with_overrides(baseline_days=10, r_fold=3.0),
    }
    compiled = {name: compile_derivation(criteria) for name, criteria in runs.items()}
    shared = {name: sharing(base, c, f"{name}__").shared for name, c in compiled.items()}
    # the overrides change the responses only: the courses and their platelet counts are shared
    assert {"stg_treatments", "int_courses_baselined"} <= set(shared["confirm28"])
    assert "int_courses_responses" not in shared["confirm28"]
    assert "int_courses_windowed" not in shared["window90"]
    # the course gap changes the courses themselves: nothing read from the treatments is shared
    assert "int_infusions_grouped_to_courses" not in shared["gap30"]
    primary = pipeline.derive_marts(database, Criteria(), compiled=base, sensitivity=compiled)
    assert list(primary.sensitivity) == list(runs)
    for name, criteria in runs.items():
        alone = pipeline.derive_marts(database, criteria).marts
        got = primary.sensitivity[name]
        assert got.criteria == criteria
        assert list(got.marts) == list(alone)
        for mart, table in alone.items():
            assert got.marts[mart].schema == table.schema, (name, mart)
            assert got.marts[mart].to_pylist() == table.to_pylist(), (name, mart)
        assert got.marts["courses"].column("response").null_count < got.marts["courses"].num_rows
        # a mart the run shares is the primary's own table, not fetched again
        reused = [mart for mart in got.marts if got.marts[mart] is primary.marts[mart]]
        assert reused == [mart for mart in got.marts if mart in shared[name]], name
    assert "patient_baseline" in shared["confirm28"]  # one at least is reused
    # the primary's own marts are those derived without sensitivity runs
    assert primary.marts == pipeline.derive_marts(database, Criteria(), compiled=base).marts


def test_compiling_several_criteria_sets_reuses_equal_models_and_gives_the_same_sql() -> None:
    """``pipeline.compile_derivations`` compiles a model an earlier criteria set built the same
    only once (``compile_derivation``'s ``compiled_before``): every derivation is statement for
    statement the one compiled alone, and the reused models are the ones the runs share."""
    sets = [
        Criteria(),
        Criteria().with_overrides(confirm_days=28),
        Criteria().with_overrides(response_window_days=90),
    ]
    together = pipeline.compile_derivations(sets)
    alone = [compile_derivation(criteria) for criteria in sets]
    for got, expected in zip(together, alone, strict=True):
        assert got.criteria == expected.criteria
        assert got.models == expected.models
    compiled_before: dict[tuple[str, Any], tuple[str, ...]] = {}
    compile_derivation(sets[0], compiled_before)
    known = len(compiled_before)
    compile_derivation(sets[1], compiled_before)
    # the confirmation run compiles only the models whose SQL its override changes (one)
    primary = {model.name: model.statements for model in alone[0].models}
    differ = [m.name for m in alone[1].models if m.statements != primary[m.name]]
    assert len(compiled_before) - known == len(differ) == 1
