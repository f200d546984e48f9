"""The OMOP mapping file (``omop.md``, Mapping): shipped in the package, overridable per study,
its concept sets turned into code rows that the CDM's vocabulary resolves."""

from __future__ import annotations

from pathlib import Path

import duckdb
import ibis
import pyarrow as pa
import pytest

from itpcohort.errors import UsageError
from itpcohort.omop.cdm import CDM_TABLES
from itpcohort.omop.mapping import CODE_COLUMNS, code_rows, load_mapping, resolve_all


def test_the_default_mapping_names_codes_never_concept_ids() -> None:
    mapping = load_mapping()
    itp = mapping.concept_set("scope", "itp")
    assert itp.codes == ("D69.3",) and itp.descendants
    assert mapping.concept_set("platelet_counts", "concepts").codes == (
        "777-3",
        "26515-7",
        "49497-1",
    )
    assert "no rescue flag in OMOP" in mapping.document["not_carried"]["rescue"]
    text = mapping.text()
    assert "D69.3" in text and "[platelet_counts]" in text
    assert "concept_id =" not in text


def test_a_study_mapping_replaces_the_sections_it_names(tmp_path: Path) -> None:
    override = tmp_path / "mapping.toml"
    override.write_text(
        '[scope]\nitp = { vocabularies = ["ICD10"], codes = ["D69.4"] }\nagents = ["eltrombopag"]\n'
    )
    mapping = load_mapping(override)
    assert mapping.document["scope"]["agents"] == ["eltrombopag"]
    assert mapping.concept_set("scope", "itp").codes == ("D69.4",)
    assert mapping.concept_set("platelet_counts", "concepts").codes[0] == "777-3"  # kept
    assert "mapping.toml" in mapping.origin
    override.write_text("[nonsense]\nx = 1\n")
    with pytest.raises(UsageError, match="unknown section"):
        load_mapping(override)


def _vocabulary(con: duckdb.DuckDBPyConnection) -> dict[str, ibis.Table]:
    """A tiny vocabulary: ICD10 D69.3 maps to SNOMED ITP, which has a chronic ITP descendant;
    ICD10 C83.3 (a lymphoma, in range C81-C96) maps to its own standard concept."""
    concepts = [
        (1, "ICD10", "D69.3", None),
        (2, "SNOMED", "32273002", "S"),
        (3, "SNOMED", "chronic", "S"),
        (4, "ICD10", "C83.3", None),
        (5, "SNOMED", "lymphoma", "S"),
        (6, "ICD10", "D69.30", None),
    ]
    con.execute(
        "CREATE TABLE concept (concept_id INTEGER, vocabulary_id VARCHAR, concept_code VARCHAR, standard_concept VARCHAR)"
    )
    con.executemany("INSERT INTO concept VALUES (?, ?, ?, ?)", concepts)
    con.execute(
        "CREATE TABLE concept_relationship (concept_id_1 INTEGER, concept_id_2 INTEGER, relationship_id VARCHAR)"
    )
    con.executemany(
        "INSERT INTO concept_relationship VALUES (?, ?, ?)",
        [(1, 2, "Maps to"), (2, 1, "Mapped from"), (4, 5, "Maps to"), (6, 3, "Maps to")],
    )
    con.execute(
        "CREATE TABLE concept_ancestor (ancestor_concept_id INTEGER, descendant_concept_id INTEGER)"
    )
    con.executemany("INSERT INTO concept_ancestor VALUES (?, ?)", [(2, 2), (2, 3), (3, 3), (5, 5)])
    backend = ibis.duckdb.from_connection(con)
    return {
        name: backend.table(name)
        for name in ("concept", "concept_relationship", "concept_ancestor")
    }


def test_concept_sets_resolve_through_maps_to_and_descendants() -> None:
    mapping = load_mapping()
    sections = {
        "scope": {"itp": mapping.concept_set("scope", "itp")},
        "secondary_causes": mapping.sets("secondary_causes"),
    }
    rows = code_rows(sections)
    assert {"section", "value", "exact", "prefix", "low"} <= set(rows[0])
    with duckdb.connect() as con:
        vocab = _vocabulary(con)
        codes = ibis.memtable(
            pa.Table.from_pylist(rows, schema=ibis.schema(CODE_COLUMNS).to_pyarrow())
        )
        resolved = resolve_all(vocab, codes).to_pyarrow().to_pylist()
    found = sorted((r["section"], r["value"], r["concept_id"]) for r in resolved)
    # D69.3 and its sub-code D69.30 map to 2 and 3; 2's descendant 3 once; C83.3 in C81-C96
    assert found == [
        ("scope", "itp", 2),
        ("scope", "itp", 3),
        ("secondary_causes", "lymphoproliferative", 5),
    ]


def test_the_cdm_tables_read_are_those_of_the_v54_ddl() -> None:
    assert CDM_TABLES["measurement"][0] == ("measurement_id", "BIGINT", True)
    assert ("unit_concept_id", "INTEGER", False) in CDM_TABLES["measurement"]
    assert ("drug_exposure_end_date", "DATE", True) in CDM_TABLES["drug_exposure"]
