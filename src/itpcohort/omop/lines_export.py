"""``itpcohort export STUDY --format omop --out DIR``: an imported study written as an OMOP CDM
v5.4 subset (``omop.md``, Test data), so that the CSV input and the OMOP input of one cohort can be
compared course by course.

Writes ``DIR/cdm.duckdb`` (schema ``cdm``) and ``DIR/parquet/<table>/part-0.parquet`` (one folder
per table, for Spark): person, observation_period, death, care_site, condition_occurrence,
drug_exposure, procedure_occurrence, measurement, and the vocabulary rows they use (concept,
concept_relationship, concept_ancestor, drug_strength). The vocabulary is synthetic but shaped as
OHDSI's: ICD10 source codes 'Maps to' standard SNOMED concepts, the ITP diagnosis is a SNOMED
descendant of the concept D69.3 maps to, drugs are RxNorm clinical drugs below their Ingredient in
concept_ancestor with a drug_strength row, counts are LOINC 777-3 with UCUM units, sex is the
Gender vocabulary's F / M. Every code comes from the mapping file (``mapping.toml``); concept ids
are numbered from 2,000,000,001 (OMOP's range for local concepts) in a fixed order.

What OMOP cannot hold is not written (``omop.md``): rescue flags, bleeding grades, CTCAE grades,
weight- or body-surface-based doses, biomarkers, investigator assessments, and events or causes
with no concept set in the mapping. Rows are written in a fixed order: two exports are identical.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from itpcohort.crf.export import read_canonical, study_database
from itpcohort.errors import UsageError
from itpcohort.omop.cdm import CDM_TABLES, create_table_sql
from itpcohort.omop.mapping import Mapping, load_mapping
from itpcohort.omop.vocabulary import VocabularyWriter, first_code
from itpcohort.schema import DRUG_CLASSES, RESCUE_CLASSES, SINGLE_DAY_DRUGS

CDM_FILE = "cdm.duckdb"
PARQUET_DIR = "parquet"
SCHEMA = "cdm"
#: canonical platelet unit -> UCUM code written in the CDM (empty unit: 10^9/L)
UCUM_OF_UNIT = {
    None: "10*9/L",
    "10^9/l": "10*9/L",
    "g/l": "10*9/L",
    "x10^9/l": "10*9/L",
    "10^3/ul": "10*3/uL",
    "10^3/mm3": "10*3/mm3",
    "/ul": "/uL",
    "/mm3": "/mm3",
}
Row = dict[str, Any]


def _birth(patient: Row) -> tuple[int, int | None, int | None]:
    value: dt.date = patient["birth_date"]
    precision = patient["birth_date_precision"]
    return (
        value.year,
        value.month if precision in ("day", "month") else None,
        value.day if precision == "day" else None,
    )


def cdm_rows(canonical: dict[str, list[Row]], mapping: Mapping) -> dict[str, list[Row]]:
    """The CDM tables (rows by table name) of a study's canonical rows (``read_canonical``)."""
    writer = VocabularyWriter(mapping)
    tables: dict[str, list[Row]] = {name: [] for name in CDM_TABLES}
    centers = sorted({p["center"] for p in canonical["patients"]})
    site = {center: number for number, center in enumerate(centers, start=1)}
    tables["care_site"] = [
        {"care_site_id": site[c], "care_site_name": c, "care_site_source_value": c} for c in centers
    ]
    patients = sorted(canonical["patients"], key=lambda p: (p["center"], p["patient_id"]))
    person = {(p["center"], p["patient_id"]): n for n, p in enumerate(patients, start=1)}
    dates: dict[tuple[str, str], list[dt.date]] = {key: [] for key in person}
    itp_concept, itp_source = writer.itp()
    secondary = mapping.document["secondary_causes"]
    for patient in patients:
        key = (patient["center"], patient["patient_id"])
        year, month, day = _birth(patient)
        tables["person"].append(
            {
                "person_id": person[key],
                "gender_concept_id": writer.gender(patient["sex"]),
                "year_of_birth": year,
                "month_of_birth": month,
                "day_of_birth": day,
                "race_concept_id": 0,
                "ethnicity_concept_id": 0,
                "care_site_id": site[patient["center"]],
                "person_source_value": patient["patient_id"],
                "gender_source_value": patient["sex"],
            }
        )
        tables["condition_occurrence"].append(
            _condition(person[key], itp_concept, patient["diagnosis_date"], itp_source, "D69.3")
        )
        cause = patient["secondary_cause"]
        if patient["itp_type"] == "secondary" and cause in secondary:
            code = first_code(secondary[cause]["codes"])
            tables["condition_occurrence"].append(
                _condition(
                    person[key], writer.condition(code), patient["diagnosis_date"], None, code
                )
            )
        if patient["death_date"] is not None:
            tables["death"].append(
                {
                    "person_id": person[key],
                    "death_date": patient["death_date"],
                    "death_type_concept_id": 0,
                    "cause_source_value": patient["death_cause"],
                }
            )
        dates[key].append(patient["diagnosis_date"])
    follow_up = {(p["center"], p["patient_id"]): p["last_followup_date"] for p in patients}
    for row in canonical["treatments"]:
        key = (row["center"], row["patient_id"])
        dates[key].append(row["start_date"])
        if row["drug"] in mapping.document["treatments"]["procedures"]:
            tables["procedure_occurrence"].append(
                {
                    "person_id": person[key],
                    "procedure_concept_id": writer.procedure(row["drug"]),
                    "procedure_date": row["start_date"],
                    "procedure_end_date": row["end_date"],
                    "procedure_type_concept_id": 0,
                    "procedure_source_value": row["drug"],
                }
            )
            continue
        if row["drug"] == "other":
            continue  # no ingredient: not carried
        single_day = row["drug"] in SINGLE_DAY_DRUGS or DRUG_CLASSES[row["drug"]] in RESCUE_CLASSES
        end = row["end_date"] or (
            row["start_date"] if single_day else max(row["start_date"], follow_up[key])
        )
        tables["drug_exposure"].append(
            {
                "person_id": person[key],
                "drug_concept_id": writer.drug(row["drug"]),
                "drug_exposure_start_date": row["start_date"],
                "drug_exposure_end_date": end,
                "verbatim_end_date": row["end_date"],
                "drug_type_concept_id": 0,
                "quantity": row["dose"] if row["dose_unit"] == "mg" else None,
                "drug_source_value": row["drug"],
                "dose_unit_source_value": row["dose_unit"],
            }
        )
    bleeding = mapping.document["bleeding_events"]
    for row in canonical["bleeding_events"]:
        if row["site"] in bleeding:
            code = first_code(bleeding[row["site"]]["codes"])
            key = (row["center"], row["patient_id"])
            tables["condition_occurrence"].append(
                _condition(person[key], writer.condition(code), row["date"], None, code)
            )
    events = mapping.document["adverse_events"]
    for row in canonical["adverse_events"]:
        if row["event"] in events:
            code = _ae_code(events[row["event"]])
            key = (row["center"], row["patient_id"])
            tables["condition_occurrence"].append(
                _condition(person[key], writer.condition(code), row["onset_date"], None, code)
            )
    platelets = writer.platelets()
    for row in canonical["platelet_counts"]:
        key = (row["center"], row["patient_id"])
        dates[key].append(row["date"])
        value, ucum = _count_as_given(row)
        tables["measurement"].append(
            {
                "person_id": person[key],
                "measurement_concept_id": platelets,
                "measurement_date": row["date"],
                "measurement_type_concept_id": 0,
                "value_as_number": value,
                "unit_concept_id": writer.unit(ucum),
                "unit_source_value": row["unit"],
            }
        )
    for patient in patients:
        key = (patient["center"], patient["patient_id"])
        tables["observation_period"].append(
            {
                "observation_period_id": person[key],
                "person_id": person[key],
                "observation_period_start_date": min(dates[key]),
                "observation_period_end_date": max(patient["last_followup_date"], min(dates[key])),
                "period_type_concept_id": 0,
            }
        )
    _number(tables)
    tables["concept"] = writer.vocab.concepts
    tables["concept_relationship"] = writer.vocab.relationships
    tables["concept_ancestor"] = writer.vocab.ancestors
    tables["drug_strength"] = writer.vocab.strengths
    return tables


def _ae_code(concepts: dict[str, Any]) -> str:
    excluded = set(concepts.get("except", ()))
    for code in concepts["codes"]:
        low = first_code([code])
        if low not in excluded:
            return "A49.9" if low == "A00" else low  # an infection that is no secondary cause
    return first_code(concepts["codes"])


def _count_as_given(row: Row) -> tuple[float, str]:
    """The count as the center gave it, with the UCUM code of its unit."""
    ucum = UCUM_OF_UNIT.get(row["unit"])
    given = row["platelets_as_given"]
    if ucum is not None and given is not None:
        try:
            return float(given), ucum
        except ValueError:
            pass
    return float(row["platelets"]), "10*9/L"


def _condition(person: int, concept: int, date: dt.date, source: int | None, code: str) -> Row:
    return {
        "person_id": person,
        "condition_concept_id": concept,
        "condition_start_date": date,
        "condition_type_concept_id": 0,
        "condition_source_value": code,
        "condition_source_concept_id": source,
    }


def _event_order(date: str) -> Callable[[Row], tuple[Any, Any]]:
    def key(row: Row) -> tuple[Any, Any]:
        return row["person_id"], row[date]

    return key


def _number(tables: dict[str, list[Row]]) -> None:
    """Give each row of an event table its id (1.. in person, date order)."""
    for table, date in (
        ("condition_occurrence", "condition_start_date"),
        ("drug_exposure", "drug_exposure_start_date"),
        ("procedure_occurrence", "procedure_date"),
        ("measurement", "measurement_date"),
    ):
        rows = sorted(tables[table], key=_event_order(date))  # stable
        for number, row in enumerate(rows, start=1):
            row[f"{table}_id"] = number
        tables[table] = rows


def _arrow(table: str, rows: list[Row]) -> pa.Table:
    types = {
        "BIGINT": pa.int64(),
        "INTEGER": pa.int32(),
        "DOUBLE": pa.float64(),
        "DATE": pa.date32(),
        "TIMESTAMP": pa.timestamp("us"),
        "VARCHAR": pa.string(),
    }
    columns = CDM_TABLES[table]
    return pa.table(
        {name: pa.array([r.get(name) for r in rows], type=types[kind]) for name, kind, _ in columns}
    )


def write_cdm(tables: dict[str, list[Row]], out_dir: Path) -> None:
    """Write ``tables`` as ``out_dir/cdm.duckdb`` (schema ``cdm``, the v5.4 DDL) and as Parquet."""
    staging = out_dir.with_name(f".{out_dir.name}.omop-staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        with duckdb.connect() as con:
            # attached under its own name: a file cdm.duckdb holding a schema cdm is ambiguous
            con.execute(f"ATTACH '{staging / CDM_FILE}' AS omop_out")
            con.execute(f"CREATE SCHEMA omop_out.{SCHEMA}")
            for table, rows in tables.items():
                con.execute(create_table_sql(table, f"omop_out.{SCHEMA}"))
                con.register("_rows", _arrow(table, rows))
                con.execute(f'INSERT INTO omop_out.{SCHEMA}."{table}" SELECT * FROM _rows')
                con.unregister("_rows")
                folder = staging / PARQUET_DIR / table
                folder.mkdir(parents=True)
                con.execute(
                    f"COPY (SELECT * FROM omop_out.{SCHEMA}.\"{table}\") TO '{folder / 'part-0.parquet'}' (FORMAT parquet)"
                )
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def export_omop(study: Path, out_dir: Path, mapping: Mapping | None = None) -> dict[str, int]:
    """Write the study database of ``study`` as an OMOP CDM in ``out_dir``; rows per CDM table.

    ``out_dir`` is replaced whole when the export is done; nothing is left there when it fails.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir}: exists and is not a folder")
    tables = cdm_rows(read_canonical(study_database(study)), mapping or load_mapping())
    write_cdm(tables, out_dir)
    return {name: len(rows) for name, rows in tables.items()}


def export_omop_lines(study: Path, out_dir: Path) -> list[str]:
    """Implements ``itpcohort export STUDY --format omop --out DIR``; returns the lines to print."""
    try:
        counts = export_omop(study, out_dir)
    except OSError as error:
        raise UsageError(f"cannot write {out_dir}: {error.strerror or error}") from error
    written = ", ".join(f"{name} {n}" for name, n in counts.items())
    return [
        f"wrote an OMOP CDM v5.4 to {out_dir}: {CDM_FILE} (schema {SCHEMA}) and "
        f"{PARQUET_DIR}/<table>/ (rows: {written})"
    ]
