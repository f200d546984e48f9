"""The contract other layers rely on: mart names, columns, types; absent optional tables; layering."""

from __future__ import annotations

import ast
from pathlib import Path

import ibis
import pytest

from itpcohort.criteria import Criteria
from itpcohort.derive import MARTS, MODELS, TABLE_MODELS, derive_all
from itpcohort.derive.serialize import MART_LAYOUTS
from tests.reference.canonical import arrow_tables, run_engine
from tests.unit.timeline_builders import bleed, merge, rtx, standard, tx

DERIVE = Path(__file__).parents[2] / "src" / "itpcohort" / "derive"

EXPECTED_TYPES = {
    "courses": {
        "center": "string",
        "patient_id": "string",
        "course_number": "int64",
        "start_date": "date",
        "end_date": "date",
        "n_infusions": "int64",
        "regimen": "string",
        "age_at_course": "int64",
        "itp_phase": "string",
        "prior_lines": "int64",
        "splenectomy_before": "boolean",
        "baseline_platelets": "float64",
        "response": "string",
        "response_date": "date",
        "time_to_response_days": "int64",
        "duration_days": "int64",
        "duration_censored": "boolean",
        "cr_duration_days": "int64",
        "cr_duration_censored": "boolean",
        "flags": "string",
    },
    "patient_baseline": {
        "center": "string",
        "patient_id": "string",
        "sex": "string",
        "itp_type": "string",
        "secondary_cause": "string",
        "birth_date": "date",
        "diagnosis_date": "date",
        "age_at_diagnosis": "int64",
        "first_rtx_date": "date",
        "age_at_first_rtx": "int64",
        "n_courses": "int64",
        "has_count_after_course1": "boolean",
        "last_followup_date": "date",
        "death_date": "date",
        "followup_days": "int64",
    },
    "retreatment": {
        "center": "string",
        "patient_id": "string",
        "response_course1": "string",
        "response_course2": "string",
        "response_similar_or_better": "boolean",
        "duration_course1_days": "int64",
        "duration_course1_censored": "boolean",
        "duration_course2_days": "int64",
        "duration_course2_censored": "boolean",
        "duration_similar_or_longer": "boolean",
    },
    "ae_by_course": {
        "center": "string",
        "patient_id": "string",
        "onset_date": "date",
        "event": "string",
        "ctcae_grade": "int32",
        "serious": "boolean",
        "course_number": "int64",
        "days_from_last_infusion": "int64",
    },
    "investigator_comparison": {
        "center": "string",
        "patient_id": "string",
        "course_number": "int64",
        "investigator_response": "string",
        "derived_response": "string",
        "agrees": "boolean",
    },
    "patient_treatment_events": {
        "center": "string",
        "patient_id": "string",
        "event_date": "date",
        "event": "string",
        "days_from_course1": "int64",
        "course_number": "int64",
    },
}


def _memtables(rows: dict) -> dict[str, ibis.Table]:
    return {name: ibis.memtable(table) for name, table in arrow_tables(rows).items()}


def test_marts_have_the_contract_columns_in_order_with_their_types() -> None:
    marts = derive_all(_memtables({"patients": [{"patient_id": "P"}]}), Criteria())
    assert tuple(marts) == MARTS == tuple(EXPECTED_TYPES)
    for name, expr in marts.items():
        schema = expr.schema()
        assert list(schema.names) == list(EXPECTED_TYPES[name]), name
        assert {c: str(t).rstrip("!") for c, t in schema.items()} == EXPECTED_TYPES[name], name
        assert MART_LAYOUTS[name][0] == tuple(EXPECTED_TYPES[name]), name


def test_absent_optional_tables_mean_none_recorded() -> None:
    rows = standard("P", {10: 150.0, 20: 150.0})
    required_only = {
        name: table
        for name, table in _memtables(rows).items()
        if name in ("patients", "treatments", "platelet_counts")
    }
    con = ibis.duckdb.connect()
    courses = con.to_pyarrow(derive_all(required_only, Criteria())["courses"]).to_pylist()
    assert [r["response"] for r in courses] == ["CR"]


def test_a_missing_required_table_or_column_is_refused() -> None:
    tables = _memtables({"patients": [{"patient_id": "P"}]})
    with pytest.raises(KeyError, match="platelet_counts"):
        derive_all({k: v for k, v in tables.items() if k != "platelet_counts"}, Criteria())
    tables["treatments"] = tables["treatments"].drop("drug_class")
    with pytest.raises(KeyError, match="drug_class"):
        derive_all(tables, Criteria())


def test_canonical_columns_of_other_types_are_cast_and_keep_their_names() -> None:
    """A source on another engine may hand over ``who_grade`` as a double or a count as an
    integer: the derivation casts each to the canonical type under its own name (an unnamed cast
    was called ``Cast(who_grade, int32)`` and the staging model could not find its column)."""
    rows = merge(standard("P", {10: 150.0, 20: 150.0, 40: 20.0, 45: 10.0}), bleed("P", 30, 3))
    tables = _memtables(rows)
    con = ibis.duckdb.connect()
    as_canonical = con.to_pyarrow(derive_all(tables, Criteria())["courses"])
    tables["bleeding_events"] = tables["bleeding_events"].mutate(
        who_grade=tables["bleeding_events"].who_grade.cast("float64")
    )
    tables["platelet_counts"] = tables["platelet_counts"].mutate(
        platelets=tables["platelet_counts"].platelets.cast("int64")
    )
    courses = con.to_pyarrow(derive_all(tables, Criteria())["courses"])
    assert courses.equals(as_canonical)
    assert [(r["response"], r["duration_days"]) for r in courses.to_pylist()] == [("CR", 20)]


def test_materialised_and_single_query_runs_agree() -> None:
    rows = merge(
        standard("A", {10: 150.0, 20: 150.0, 40: 20.0, 45: 10.0}),
        tx("A", "ivig", 30),
        rtx("A", 120),
        standard("B", {10: 40.0, 20: 45.0}),
        bleed("B", 60, 3),
    )
    assert run_engine(rows, materialize=True) == run_engine(rows, materialize=False)


def test_table_models_are_the_reused_models_and_the_marts() -> None:
    assert set(MARTS) <= TABLE_MODELS
    assert "int_platelet_counts_placed_in_segments" in TABLE_MODELS
    assert "int_usable_counts_grouped_to_runs" not in TABLE_MODELS


def _sources() -> list[Path]:
    return sorted(p for p in DERIVE.rglob("*.py") if p.name != "__init__.py")


@pytest.mark.parametrize("path", _sources(), ids=lambda p: p.name)
def test_derive_never_executes_nor_imports_a_backend(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            )
            assert not any(m and m.split(".")[0] == "duckdb" for m in modules), path
        if isinstance(node, ast.Attribute):
            assert node.attr not in {"execute", "to_pyarrow", "to_pandas", "raw_sql", "sql"}, path


def test_every_model_is_one_file_with_grain_and_spec_section() -> None:
    for model in MODELS:
        layer_dir = DERIVE / model.layer
        path = layer_dir / f"{model.name}.py"
        assert path.exists(), model.name
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        assert "Grain:" in doc, model.name
        assert ".md" in doc, model.name
