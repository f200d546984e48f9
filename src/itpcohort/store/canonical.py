"""Write the canonical tables and ``rejected_rows`` from the checked rows; find the warnings.

Canonical values follow ``schema.CANONICAL_COLUMNS``: vocabularies lower-case (``sex`` and
``response`` upper-case), booleans typed with the data model's defaults (``rescue`` empty -> false;
``severe`` empty -> ``who_grade >= 3`` or site ``intracranial``, false when neither is known;
``serious`` empty -> NULL), platelets in 10^9/L with the value and unit as given kept beside,
partial dates at mid-period with their precision. Child rows take their patient's center.
"""

from __future__ import annotations

import re

import duckdb

from itpcohort.errors import Problem
from itpcohort.protocols import CourseRules
from itpcohort.schema import CANONICAL_COLUMNS, PROVENANCE_COLUMNS, REJECTED_ROWS_COLUMNS, TABLES
from itpcohort.store.checks import SINGLE_DAY_SQL, drug_class_sql
from itpcohort.store.staging import StagedFile, lit, q


def _expressions(table: str) -> dict[str, str]:
    """Canonical column -> SQL over ``checked_<table>``."""
    center = "center__raw" if table == "patients" else "patient_center"
    common = {"center": center, "patient_id": "patient_id__raw"}
    if table == "patients":
        return common | {
            "sex": "sex__v",
            "birth_date": "birth_date__value",
            "birth_date_precision": "birth_date__p",
            "diagnosis_date": "diagnosis_date__value",
            "diagnosis_date_precision": "diagnosis_date__p",
            "itp_type": "itp_type__v",
            "secondary_cause": "secondary_cause__v",
            "last_followup_date": "last_followup_date__value",
            "death_date": "death_date__value",
            "death_cause": "death_cause__raw",
        }
    if table == "treatments":
        return common | {
            "drug": "drug__v",
            "drug_class": drug_class_sql("drug__v"),
            "drug_detail": "drug_detail__raw",
            "start_date": "start_date__v",
            "end_date": "end_date__v",
            "dose": "dose__v",
            "dose_unit": "dose_unit__v",
            "rescue": "coalesce(rescue__v, FALSE)",
        }
    if table == "platelet_counts":
        return common | {
            "date": "date__v",
            "platelets": "platelets__conv",
            "platelets_as_given": "platelets__raw",
            "unit": "unit__v",
        }
    if table == "bleeding_events":
        return common | {
            "date": "date__v",
            "site": "site__v",
            "who_grade": "who_grade__v",
            "severe": "coalesce(severe__v, coalesce(who_grade__v >= 3, FALSE) OR site__v = 'intracranial')",
        }
    if table == "adverse_events":
        return common | {
            "onset_date": "onset_date__v",
            "event": "event__v",
            "ctcae_grade": "ctcae_grade__v",
            "serious": "serious__v",
            "description": "description__raw",
        }
    if table == "biomarkers":
        return common | {
            "date": "date__v",
            "test": "test__v",
            "value": "value__raw",
            "unit": "unit__raw",
        }
    if table == "investigator_assessments":
        return common | {
            "course_number": "course_number__v",
            "response": "response__v",
            "response_date": "response_date__v",
            "loss_of_response_date": "loss_of_response_date__v",
        }
    raise KeyError(table)


def canonical_inputs(table: str, checked_columns: list[str]) -> list[str]:
    """The columns of ``checked_columns`` that the canonical values of ``table`` are made from."""
    text = " ".join(_expressions(table).values())
    return [c for c in checked_columns if re.search(rf"(?<!\w){re.escape(c)}(?!\w)", text)]


def create_canonical_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) every canonical table, empty, in the current transaction."""
    for table in TABLES:
        columns = CANONICAL_COLUMNS[table.name] + PROVENANCE_COLUMNS
        definition = ", ".join(f"{q(c)} {t}" for c, t in columns)
        con.execute(f"CREATE OR REPLACE TABLE main.{q(table.name)} ({definition})")


def insert_canonical(
    con: duckdb.DuckDBPyConnection, table: str, source: str, file: StagedFile
) -> None:
    """Insert the accepted rows of ``file`` found in the checked rows ``source``, in line order.

    The printed path is a constant of the insert (cheaper than a join on 50 million rows).
    """
    expressions = _expressions(table)
    select = [f"CAST({expressions[c]} AS {t}) AS {q(c)}" for c, t in CANONICAL_COLUMNS[table]]
    con.execute(
        f"INSERT INTO main.{q(table)} SELECT {', '.join(select)}, "
        f"{lit(file.display)} AS source_file, line AS source_row "
        f"FROM {source} WHERE file_id = {file.file_id} AND NOT rejected ORDER BY line"
    )


def write_rejected_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) ``rejected_rows`` from ``problems``, in file and line order."""
    definition = ", ".join(f"{q(c)} {t}" for c, t in REJECTED_ROWS_COLUMNS)
    con.execute(f"CREATE OR REPLACE TABLE main.rejected_rows ({definition})")
    con.execute(
        "INSERT INTO main.rejected_rows SELECT f.display, p.line, p.column_name, p.value, p.reason, "
        "p.table_name FROM problems p JOIN files f ON f.file_id = p.file_id "
        "ORDER BY f.file_order, p.line, p.file_id, p.column_order, p.kind"
    )


def find_warnings(
    con: duckdb.DuckDBPyConnection,
    relative_of: dict[str, str],
    course_gap_days: int,
    baseline_days: int,
    courses: CourseRules,
) -> list[Problem]:
    """The data-model warnings, found in the canonical tables (``data-model.md``, Warnings).

    * a non-rescue exposure with an empty ``end_date`` (taken as ongoing until last follow-up)
      that is still ongoing at a later course start: usually a missing end date;
    * a course with no platelet count in the ``baseline_days`` before its start;
    * a ``secondary_cause`` given for a primary ITP (the cause is kept, the type is not changed);
    * a ``last_followup_date`` after ``death_date``.

    A course starts at the first administration of one of the protocol's agents (``courses``) and
    at every administration more than ``course_gap_days`` after the previous one
    (``response-criteria.md`` section 1; ``protocols.md``, Infusion courses); the messages name the
    agents. Exposure courses are not built by these rules, so their protocols get no course warning
    here (the two course warnings are for infusion protocols).
    """
    single_day = SINGLE_DAY_SQL
    named = courses.agents_phrase("en").replace("'", "''")
    agent_list = ", ".join(lit(agent) for agent in courses.agents)
    infusions = "TRUE" if courses.kind == "infusions" else "FALSE"
    query = f"""
    WITH rtx AS (
        SELECT center, patient_id, start_date, source_file, source_row,
               lag(start_date) OVER (PARTITION BY center, patient_id
                                     ORDER BY start_date, source_file, source_row) AS previous
        FROM main.treatments WHERE drug IN ({agent_list}) AND {infusions}
    ),
    course_starts AS (
        SELECT * FROM rtx WHERE previous IS NULL OR start_date - previous > {int(course_gap_days)}
    ),
    ongoing AS (
        SELECT 'treatments' AS table_name, t.source_file, t.source_row,
               'end_date' AS column_name, NULL::VARCHAR AS value,
               'empty end_date: ' || t.drug || ' started ' || strftime(t.start_date, '%Y-%m-%d')
               || ' is taken as ongoing at the {named} course of '
               || strftime(min(s.start_date), '%Y-%m-%d')
               || ' (until last follow-up), so it can never count as a new treatment; '
               || 'a missing end date?' AS reason
        FROM main.treatments t
        JOIN main.patients p ON p.center = t.center AND p.patient_id = t.patient_id
        JOIN course_starts s ON s.center = t.center AND s.patient_id = t.patient_id
        WHERE t.end_date IS NULL AND NOT t.rescue AND NOT ({single_day})
          AND s.start_date > t.start_date AND s.start_date <= p.last_followup_date
        GROUP BY t.source_file, t.source_row, t.drug, t.start_date
    ),
    no_baseline AS (
        SELECT 'treatments', s.source_file, s.source_row, 'start_date', strftime(s.start_date, '%Y-%m-%d'),
               'no platelet count in the {int(baseline_days)} days before this {named} course '
               || '(baseline missing)'
        FROM course_starts s
        WHERE NOT EXISTS (
            SELECT 1 FROM main.platelet_counts c
            WHERE c.center = s.center AND c.patient_id = s.patient_id
              AND c.date BETWEEN s.start_date - {int(baseline_days)} AND s.start_date)
    ),
    cause_of_primary AS (
        SELECT 'patients', source_file, source_row, 'secondary_cause', secondary_cause,
               'secondary_cause given for a primary ITP (kept as given)'
        FROM main.patients WHERE itp_type = 'primary' AND secondary_cause IS NOT NULL
    ),
    followup_after_death AS (
        SELECT 'patients', source_file, source_row, 'last_followup_date',
               strftime(last_followup_date, '%Y-%m-%d'),
               'after death_date (' || strftime(death_date, '%Y-%m-%d') || ')'
        FROM main.patients WHERE last_followup_date > death_date
    ),
    warned AS (
        SELECT * FROM ongoing UNION ALL SELECT * FROM no_baseline
        UNION ALL SELECT * FROM cause_of_primary UNION ALL SELECT * FROM followup_after_death
    )
    -- a column is named as its file names it (the fields of a REDCap export: file_columns)
    SELECT w.source_file, w.source_row, coalesce(c.shown_name, w.column_name), w.value, w.reason
    FROM warned w
    LEFT JOIN files f ON f.display = w.source_file AND f.table_name = w.table_name
    LEFT JOIN file_columns c ON c.file_id = f.file_id AND c.column_name = w.column_name
    ORDER BY 1, 2, 3
    """
    return [
        Problem(file, row, column, value, reason, relative_file=relative_of.get(file))
        for file, row, column, value, reason in con.execute(query).fetchall()
    ]


def rejected_problems(
    con: duckdb.DuckDBPyConnection, kind: str | None, relative_of: dict[str, str]
) -> list[Problem]:
    """The problems (``kind`` = ``problem``), held-back rows (``held_back``) or both (None), in
    file and line order."""
    where = "" if kind is None else f"WHERE p.kind = {lit(kind)}"
    rows = con.execute(
        "SELECT f.display, p.line, p.column_name, p.value, p.reason FROM problems p "
        f"JOIN files f ON f.file_id = p.file_id {where} "
        "ORDER BY f.file_order, p.line, p.file_id, p.column_order, p.kind"
    ).fetchall()
    return [
        Problem(file, line, column, value, reason, relative_file=relative_of.get(file))
        for file, line, column, value, reason in rows
    ]
