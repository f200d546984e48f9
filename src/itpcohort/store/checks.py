"""Every cast and rule of ``data-model.md`` as set-based SQL over the raw text tables.

For each table a ``checked_<table>`` is built from ``raw_<table>`` holding, per input column, the
text as given (``<col>__raw``), the typed value (``<col>__v``) and the reason it is wrong
(``<col>__err``, NULL when fine), plus a ``rejected`` flag and, for child rows whose patient was
rejected, a ``held_back`` reason. Problems are then one row per (file, line, column). Nothing here
guesses: a value is either read exactly by a data-model convention or reported.

Order of the rules, each giving at most one reason per cell:
1. cell rules (required, vocabulary, boolean, number, integer and range, date shapes);
2. row rules within a table (secondary cause, platelets after unit conversion, end before start,
   patient date order);
3. duplicates of ``(center, patient_id)``: every row of the key is rejected, naming the others;
4. patient lookup of child rows, then their date coherence with their patient.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from itpcohort.schema import (
    BOOLEAN_SPELLINGS,
    DRUG_CLASSES,
    PLATELET_MAX,
    PLATELET_UNITS,
    RESCUE_CLASSES,
    SINGLE_DAY_DRUGS,
    TABLES,
    TABLES_BY_NAME,
    Column,
    ColumnType,
    Table,
)
from itpcohort.store.staging import StagedFile, lit, q

NUMBER_PATTERN = r"[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?"
INTEGER_PATTERN = r"[+-]?[0-9]+"
ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
ISO_MONTH = r"[0-9]{4}-[0-9]{2}"
ISO_YEAR = r"[0-9]{4}"
SLASHED_DATE = r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{2,4})"
YEAR_MIN, YEAR_MAX = 1900, 2100

#: the spellings printed in messages for the platelet units (``data-model.md``)
PLATELET_UNIT_SPELLINGS = {
    "10^9/l": "10^9/L",
    "g/l": "G/L",
    "x10^9/l": "x10^9/L",
    "10^3/ul": "10^3/uL",
    "10^3/mm3": "10^3/mm3",
    "/ul": "/uL",
    "/mm3": "/mm3",
}
#: vocabularies stored upper-case; every other vocabulary is stored lower-case
UPPER_CASE_COLUMNS = {("patients", "sex"), ("investigator_assessments", "response")}
#: date columns of child tables, checked against their patient's dates
CHILD_DATE_COLUMNS = {
    "treatments": ("start_date", "end_date"),
    "platelet_counts": ("date",),
    "bleeding_events": ("date",),
    "adverse_events": ("onset_date",),
    "biomarkers": ("date",),
    "investigator_assessments": ("response_date", "loss_of_response_date"),
}
CHILD_TABLES = tuple(t.name for t in TABLES if t.name != "patients")


def _in_list(values: list[str]) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")"


def _fmt_date(expression: str) -> str:
    return f"strftime({expression}, '%Y-%m-%d')"


@dataclass(frozen=True)
class DateFormats:
    """The declared date format of each file that has one (``study.toml`` ``date_format``)."""

    by_format: dict[str, tuple[int, ...]]

    @classmethod
    def of(cls, files: list[StagedFile]) -> DateFormats:
        """Group the files by declared date format."""
        by_format: dict[str, list[int]] = {}
        for f in files:
            if f.date_format:
                by_format.setdefault(f.date_format, []).append(f.file_id)
        return cls({k: tuple(v) for k, v in sorted(by_format.items())})

    def parse(self, text: str) -> str:
        """SQL: ``text`` parsed with its file's declared format (NULL without one)."""
        if not self.by_format:
            return "NULL::DATE"
        cases = " ".join(
            f"WHEN file_id IN ({', '.join(map(str, ids))}) "
            f"THEN CAST(try_strptime({text}, {lit(fmt)}) AS DATE)"
            for fmt, ids in self.by_format.items()
        )
        return f"CASE {cases} END"

    def declared(self) -> str:
        """SQL: the declared format of the row's file (NULL without one)."""
        if not self.by_format:
            return "NULL::VARCHAR"
        cases = " ".join(
            f"WHEN file_id IN ({', '.join(map(str, ids))}) THEN {lit(fmt)}"
            for fmt, ids in self.by_format.items()
        )
        return f"CASE {cases} END"


# --- 1. cell rules -------------------------------------------------------------------------------


def _allowed(table: Table, column: Column) -> list[str]:
    if table.name == "platelet_counts" and column.name == "unit":
        return list(PLATELET_UNIT_SPELLINGS.values())
    return list(column.vocabulary)


def _parse_layer(table: Table, formats: DateFormats) -> list[str]:
    """First layer: the raw text of each column and its parse attempts."""
    out = ["file_id", "source_index", "line", "row_error"]
    for column in table.columns:
        c = q(column.name)
        name = column.name
        out.append(f"{c} AS {q(name + '__raw')}")
        kind = column.type
        if kind is ColumnType.VOCAB:
            if (table.name, name) in UPPER_CASE_COLUMNS:
                values = [v.upper() for v in column.vocabulary]
                out.append(
                    f"CASE WHEN upper({c}) IN {_in_list(values)} THEN upper({c}) END AS {q(name + '__v')}"
                )
            else:
                values = [v.lower() for v in column.vocabulary]
                out.append(
                    f"CASE WHEN lower({c}) IN {_in_list(values)} THEN lower({c}) END AS {q(name + '__v')}"
                )
        elif kind is ColumnType.BOOLEAN:
            cases = " ".join(
                f"WHEN {lit(k)} THEN {'TRUE' if v else 'FALSE'}"
                for k, v in BOOLEAN_SPELLINGS.items()
            )
            out.append(f"CASE lower({c}) {cases} END AS {q(name + '__v')}")
        elif kind is ColumnType.NUMBER:
            out.append(
                f"CASE WHEN regexp_full_match({c}, {lit(NUMBER_PATTERN)}) THEN TRY_CAST({c} AS DOUBLE) END "
                f"AS {q(name + '__v')}"
            )
        elif kind is ColumnType.INTEGER:
            out.append(
                f"CASE WHEN regexp_full_match({c}, {lit(INTEGER_PATTERN)}) THEN TRY_CAST({c} AS BIGINT) END "
                f"AS {q(name + '__v')}"
            )
        elif kind in (ColumnType.DATE, ColumnType.PARTIAL_DATE):
            out.append(
                f"CASE WHEN regexp_full_match({c}, {lit(ISO_DATE)}) THEN TRY_CAST({c} AS DATE) END "
                f"AS {q(name + '__iso')}"
            )
            out.append(f"regexp_full_match({c}, {lit(ISO_DATE)}) AS {q(name + '__isoshape')}")
            out.append(f"{formats.parse(c)} AS {q(name + '__decl')}")
            out.append(
                f"CASE WHEN regexp_full_match({c}, {lit(ISO_MONTH)}) THEN TRY_CAST({c} || '-01' AS DATE) END "
                f"AS {q(name + '__month')}"
            )
            out.append(f"regexp_full_match({c}, {lit(ISO_MONTH)}) AS {q(name + '__monthshape')}")
            out.append(
                f"CASE WHEN regexp_full_match({c}, {lit(ISO_YEAR)}) THEN make_date(CAST({c} AS INTEGER), 1, 1) END "
                f"AS {q(name + '__year')}"
            )
    if any(c.type in (ColumnType.DATE, ColumnType.PARTIAL_DATE) for c in table.columns):
        out.append(f"{formats.declared()} AS __declared_format")
    return out


def _plausible(expression: str) -> str:
    return f"CASE WHEN year({expression}) BETWEEN {YEAR_MIN} AND {YEAR_MAX} THEN {expression} END"


def _date_error(column: Column) -> str:
    n = column.name
    raw, iso, decl = q(n + "__raw"), q(n + "__iso"), q(n + "__decl")
    partial = column.type is ColumnType.PARTIAL_DATE
    month, year = q(n + "__month"), q(n + "__year")
    parsed_partial = f"coalesce({month}, {year})" if partial else "NULL::DATE"
    slashed = (
        f"regexp_full_match({raw}, {lit(SLASHED_DATE)}) AND "
        f"TRY_CAST(regexp_extract({raw}, {lit(SLASHED_DATE)}, 1) AS INTEGER) BETWEEN 1 AND 12 AND "
        f"TRY_CAST(regexp_extract({raw}, {lit(SLASHED_DATE)}, 2) AS INTEGER) BETWEEN 1 AND 12 AND "
        f"TRY_CAST(regexp_extract({raw}, {lit(SLASHED_DATE)}, 1) AS INTEGER) <> "
        f"TRY_CAST(regexp_extract({raw}, {lit(SLASHED_DATE)}, 2) AS INTEGER)"
    )
    allowed = "YYYY-MM-DD, YYYY-MM or YYYY" if partial else "YYYY-MM-DD"
    invalid_shape = q(n + "__isoshape") + (f" OR {q(n + '__monthshape')}" if partial else "")
    declare = "or declare this source's date_format in study.toml"
    missing = "'required value missing'" if column.required else "NULL"
    return f"""CASE
        WHEN {raw} IS NULL THEN {missing}
        WHEN {decl} IS NOT NULL AND {iso} IS NOT NULL AND {decl} <> {iso}
            THEN 'ambiguous date: reads as ' || {_fmt_date(iso)} || ' (ISO) and as ' || {_fmt_date(decl)}
                 || ' (declared format ' || __declared_format || ')'
        WHEN coalesce({decl}, {iso}, {parsed_partial}) IS NULL THEN CASE
            WHEN {invalid_shape} THEN 'not a valid date'
            WHEN NOT {"TRUE" if partial else "FALSE"}
                 AND (regexp_full_match({raw}, {lit(ISO_MONTH)}) OR regexp_full_match({raw}, {lit(ISO_YEAR)}))
                THEN 'partial date not allowed here: give the full date (YYYY-MM-DD)'
            WHEN __declared_format IS NOT NULL
                THEN 'not a date in the declared format ' || __declared_format || ' nor {allowed}'
            WHEN {slashed}
                THEN {lit(f"ambiguous date (day-first or month-first?): write {allowed} {declare}")}
            ELSE {lit(f"not a date: expected {allowed} {declare}")}
          END
        WHEN year(coalesce({decl}, {iso}, {parsed_partial})) NOT BETWEEN {YEAR_MIN} AND {YEAR_MAX}
            THEN 'implausible year (outside {YEAR_MIN}..{YEAR_MAX})'
    END"""


def _number_error(table: Table, column: Column) -> str:
    raw, value = q(column.name + "__raw"), q(column.name + "__v")
    missing = "'required value missing'" if column.required else "NULL"
    kind = "a whole number" if column.type is ColumnType.INTEGER else "a number"
    checks = [f"WHEN {raw} IS NULL THEN {missing}"]
    if column.type is ColumnType.NUMBER:
        checks.append(
            f"WHEN {value} IS NULL AND regexp_full_match({raw}, '[+-]?[0-9]+,[0-9]+') "
            f"THEN 'not a number: use a point as the decimal separator'"
        )
    checks.append(f"WHEN {value} IS NULL THEN 'not {kind}'")
    converted = table.name == "platelet_counts" and column.name == "platelets"
    if not converted:  # platelets are range-checked after unit conversion (row rule)
        low, high = column.minimum, column.maximum
        if low is not None and high is not None:
            checks.append(
                f"WHEN {value} NOT BETWEEN {low:g} AND {high:g} THEN 'outside {low:g}..{high:g}'"
            )
        elif low is not None:
            checks.append(f"WHEN {value} < {low:g} THEN 'below the minimum {low:g}'")
    return "CASE " + " ".join(checks) + " END"


def _cell_layer(table: Table) -> list[str]:
    """Second layer: typed values (dates at mid-period for partial ones) and cell errors."""
    out = ["*"]
    for column in table.columns:
        n = column.name
        raw = q(n + "__raw")
        missing = "'required value missing'" if column.required else "NULL"
        err = q(n + "__cellerr")
        kind = column.type
        if kind is ColumnType.TEXT:
            out.append(f"CASE WHEN {raw} IS NULL THEN {missing} END AS {err}")
        elif kind is ColumnType.VOCAB:
            allowed = ", ".join(_allowed(table, column))
            out.append(
                f"CASE WHEN {raw} IS NULL THEN {missing} WHEN {q(n + '__v')} IS NULL "
                f"THEN {lit('unknown value; allowed: ' + allowed)} END AS {err}"
            )
        elif kind is ColumnType.BOOLEAN:
            allowed = ", ".join(BOOLEAN_SPELLINGS)
            out.append(
                f"CASE WHEN {raw} IS NOT NULL AND {q(n + '__v')} IS NULL "
                f"THEN {lit('not a yes/no value; allowed: ' + allowed + ' (empty: default)')} END AS {err}"
            )
        elif kind in (ColumnType.NUMBER, ColumnType.INTEGER):
            out.append(f"{_number_error(table, column)} AS {err}")
        else:
            iso, decl = q(n + "__iso"), q(n + "__decl")
            day = f"coalesce({decl}, {iso})"
            if kind is ColumnType.PARTIAL_DATE:
                month, year = q(n + "__month"), q(n + "__year")
                value = (
                    f"CASE WHEN {day} IS NOT NULL THEN {day} WHEN {month} IS NOT NULL "
                    f"THEN {month} + 14 WHEN {year} IS NOT NULL THEN make_date(year({year}), 7, 1) END"
                )
                low = f"coalesce({day}, {month}, {year})"
                high = (
                    f"CASE WHEN {day} IS NOT NULL THEN {day} WHEN {month} IS NOT NULL "
                    f"THEN last_day({month}) WHEN {year} IS NOT NULL "
                    f"THEN make_date(year({year}), 12, 31) END"
                )
                precision = (
                    f"CASE WHEN {day} IS NOT NULL THEN 'day' WHEN {month} IS NOT NULL THEN 'month' "
                    f"WHEN {year} IS NOT NULL THEN 'year' END"
                )
            else:
                value = low = high = day
                precision = f"CASE WHEN {day} IS NOT NULL THEN 'day' END"
            out.append(f"{_date_error(column)} AS {err}")
            out.append(f"CAST({_plausible(value)} AS DATE) AS {q(n + '__value')}")
            out.append(f"CAST({_plausible(low)} AS DATE) AS {q(n + '__lo')}")
            out.append(f"CAST({_plausible(high)} AS DATE) AS {q(n + '__hi')}")
            out.append(f"{precision} AS {q(n + '__p')}")
    return out


def _ok(name: str) -> str:
    """SQL: the typed value of a date column, NULL when the cell is wrong."""
    return f"CASE WHEN {q(name + '__cellerr')} IS NULL THEN {q(name + '__value')} END"


# --- 2. row rules ------------------------------------------------------------------------------


def _row_rules(table: Table) -> dict[str, str]:
    """Column -> SQL reason of the row rules of ``table`` (evaluated on valid cells only)."""
    rules: dict[str, str] = {}
    if table.name == "patients":
        ok = {
            n: q(n + "__cellerr") + " IS NULL"
            for n in ("birth_date", "diagnosis_date", "last_followup_date", "death_date")
        }
        birth_lo, diag_lo, diag_hi = (
            q("birth_date__lo"),
            q("diagnosis_date__lo"),
            q("diagnosis_date__hi"),
        )
        birth_raw, diag_raw = q("birth_date__raw"), q("diagnosis_date__raw")
        lfu, death = q("last_followup_date__value"), q("death_date__value")
        rules["secondary_cause"] = (
            'CASE WHEN "itp_type__v" = \'secondary\' AND "secondary_cause__raw" IS NULL '
            "THEN 'required for a secondary ITP (itp_type = secondary)' END"
        )
        rules["diagnosis_date"] = (
            f"CASE WHEN {ok['birth_date']} AND {ok['diagnosis_date']} AND {diag_hi} < {birth_lo} "
            f"THEN 'before birth_date (' || {birth_raw} || ')' END"
        )
        rules["last_followup_date"] = (
            f"CASE WHEN {ok['last_followup_date']} AND {ok['diagnosis_date']} AND {lfu} < {diag_lo} "
            f"THEN 'before diagnosis_date (' || {diag_raw} || ')' "
            f"WHEN {ok['last_followup_date']} AND {ok['birth_date']} AND {lfu} < {birth_lo} "
            f"THEN 'before birth_date (' || {birth_raw} || ')' END"
        )
        rules["death_date"] = (
            f"CASE WHEN {ok['death_date']} AND {ok['diagnosis_date']} AND {death} < {diag_lo} "
            f"THEN 'before diagnosis_date (' || {diag_raw} || ')' "
            f"WHEN {ok['death_date']} AND {ok['birth_date']} AND {death} < {birth_lo} "
            f"THEN 'before birth_date (' || {birth_raw} || ')' END"
        )
    elif table.name == "treatments":
        rules["end_date"] = (
            'CASE WHEN "start_date__cellerr" IS NULL AND "end_date__cellerr" IS NULL '
            'AND "end_date__value" < "start_date__value" '
            "THEN 'before start_date (' || \"start_date__raw\" || ')' END"
        )
    elif table.name == "platelet_counts":
        rules["platelets"] = (
            'CASE WHEN "platelets__cellerr" IS NULL AND "unit__cellerr" IS NULL '
            f'AND "platelets__conv" NOT BETWEEN 0 AND {PLATELET_MAX:g} THEN '
            "CASE WHEN \"unit__v\" IS NULL OR \"unit__v\" IN ('10^9/l', 'g/l', 'x10^9/l', '10^3/ul', "
            "'10^3/mm3') THEN 'outside 0..2000 x10^9/L' || CASE WHEN \"platelets__v\" > 2000 "
            "THEN ' (a count per mm3 without its unit? then give unit = /mm3)' ELSE '' END "
            "ELSE 'outside 0..2000 x10^9/L after conversion from ' || \"unit__raw\" "
            "|| ' (' || \"platelets__conv\" || ')' END END"
        )
    return rules


def _conversion_column(table: Table) -> list[str]:
    if table.name != "platelet_counts":
        return []
    cases = " ".join(f"WHEN {lit(k)} THEN {v!r}" for k, v in PLATELET_UNITS.items())
    return [
        f'"platelets__v" * CASE coalesce("unit__v", \'10^9/l\') {cases} END AS "platelets__conv"'
    ]


def _typed_select(table: Table, formats: DateFormats) -> str:
    """SQL: raw rows of ``table`` with typed values, cell errors and row-rule errors."""
    parse = ",\n  ".join(_parse_layer(table, formats))
    cells = ",\n  ".join(_cell_layer(table) + _conversion_column(table))
    rules = _row_rules(table)
    errors = []
    for column in table.columns:
        n = column.name
        rule = rules.get(n, "NULL")
        errors.append(f"coalesce({q(n + '__cellerr')}, {rule}) AS {q(n + '__rowerr')}")
    return (
        f"SELECT *, {', '.join(errors)} FROM (SELECT {cells} FROM (SELECT {parse} "
        f"FROM raw_{table.name}))"
    )


# --- 3. patients: duplicates and the patient index -------------------------------------------------


def _patients_sql(formats: DateFormats) -> list[str]:
    table = TABLES_BY_NAME["patients"]
    typed = _typed_select(table, formats)
    errors = [
        f"CASE WHEN row_error IS NULL THEN {q(c + '__rowerr')} END AS {q(c + '__err')}"
        for c in table.column_names
        if c != "patient_id"
    ]
    return [
        f"CREATE OR REPLACE TEMP TABLE typed_patients AS {typed}",
        """CREATE OR REPLACE TEMP TABLE patient_duplicates AS
        SELECT a.file_id, a.line,
               string_agg(f.display || ':' || b.line, ', ' ORDER BY b.file_id, b.line) AS others
        FROM typed_patients a
        JOIN typed_patients b
          ON a.center__raw = b.center__raw AND a.patient_id__raw = b.patient_id__raw
         AND (a.file_id <> b.file_id OR a.line <> b.line)
        JOIN files f ON f.file_id = b.file_id
        GROUP BY a.file_id, a.line""",
        f"""CREATE OR REPLACE TEMP TABLE checked_patients_0 AS
        SELECT t.*,
          CASE WHEN t.row_error IS NULL THEN coalesce(t.patient_id__rowerr,
               'duplicate patient ' || t.center__raw || '/' || t.patient_id__raw || ': also at '
               || d.others) END AS patient_id__err,
          {", ".join(errors)}
        FROM typed_patients t
        LEFT JOIN patient_duplicates d ON d.file_id = t.file_id AND d.line = t.line""",
        f"""CREATE OR REPLACE TEMP TABLE checked_patients AS
        SELECT *, row_error IS NOT NULL OR coalesce({", ".join(q(c + "__err") for c in table.column_names)})
                  IS NOT NULL AS rejected,
               NULL::VARCHAR AS held_back
        FROM checked_patients_0""",
        "DROP TABLE checked_patients_0",
        # one row per (center, patient_id): is it loaded, and where was it rejected
        """CREATE OR REPLACE TEMP TABLE patient_keys AS
        SELECT p.center__raw AS center, p.patient_id__raw AS patient_id,
               count(*) = 1 AND bool_and(NOT p.rejected) AS ok,
               min_by(f.display || ':' || p.line, p.file_id * 4294967296 + p.line) AS first_row,
               any_value(p.birth_date__lo) AS birth_lo,
               any_value(p.birth_date__raw) AS birth_raw,
               any_value(p.death_date__value) AS death_date,
               any_value(p.last_followup_date__value) AS last_followup_date
        FROM checked_patients p JOIN files f ON f.file_id = p.file_id
        WHERE p.center__raw IS NOT NULL AND p.patient_id__raw IS NOT NULL
        GROUP BY ALL""",
        # patients of each source by patient_id (child rows without a center look here)
        """CREATE OR REPLACE TEMP TABLE patient_source_keys AS
        SELECT s.source_index, s.patient_id, s.n_centers, s.centers, k.center, k.ok, k.first_row,
               k.birth_lo, k.birth_raw, k.death_date, k.last_followup_date
        FROM (SELECT source_index, patient_id__raw AS patient_id,
                     count(DISTINCT center__raw) AS n_centers,
                     string_agg(DISTINCT center__raw, ', ' ORDER BY center__raw) AS centers,
                     min(center__raw) AS center
              FROM checked_patients
              WHERE center__raw IS NOT NULL AND patient_id__raw IS NOT NULL
              GROUP BY ALL) s
        LEFT JOIN patient_keys k
          ON s.n_centers = 1 AND k.center = s.center AND k.patient_id = s.patient_id""",
    ]


# --- 4. child tables: patient lookup and coherence ---------------------------------------------------


def _child_sql(table: Table, formats: DateFormats) -> list[str]:
    typed = _typed_select(table, formats)
    found = "resolution = 'found' AND patient_ok"
    coherence: dict[str, str] = {}
    for name in CHILD_DATE_COLUMNS[table.name]:
        value = q(name + "__value")
        checks = [
            f"WHEN {found} AND {value} < birth_lo THEN 'before the patient''s birth_date (' || birth_raw || ')'",
            f"WHEN {found} AND {value} > death_date THEN 'after the patient''s death_date (' || "
            f"{_fmt_date('death_date')} || ')'",
        ]
        if table.name == "platelet_counts":
            checks.append(
                f"WHEN {found} AND {value} > last_followup_date THEN 'after the patient''s "
                f"last_followup_date (' || {_fmt_date('last_followup_date')} || ')'"
            )
        if table.name == "treatments" and name == "end_date":
            # a planned end after last follow-up is allowed, an end after death is not
            checks = checks[1:]
        coherence[name] = "CASE " + " ".join(checks) + " END"
    lookup = (
        "CASE WHEN patient_id__raw IS NULL THEN 'unknown patient: patient_id is empty' "
        "WHEN resolution = 'unknown' AND center__raw IS NOT NULL THEN 'unknown patient: no row for ' "
        "|| center__raw || '/' || patient_id__raw || ' in patients' "
        "WHEN resolution = 'unknown' THEN 'unknown patient: no row for ' || patient_id__raw "
        "|| ' in the patients of this source' "
        "WHEN resolution = 'ambiguous' THEN 'ambiguous patient: ' || patient_id__raw "
        "|| ' is a patient of several centers of this source (' || centers || '); give center' END"
    )
    errors = []
    for column in table.columns:
        n = column.name
        parts = [q(n + "__rowerr")]
        if n == "patient_id":
            parts = [
                f"CASE WHEN patient_id__raw IS NULL THEN {q(n + '__rowerr')} ELSE {lookup} END"
            ]
        if n in coherence:
            parts.append(f"CASE WHEN {q(n + '__rowerr')} IS NULL THEN {coherence[n]} END")
        errors.append(
            f"CASE WHEN row_error IS NULL THEN coalesce({', '.join(parts)}) END AS {q(n + '__err')}"
        )
    any_error = (
        "row_error IS NOT NULL OR coalesce("
        + ", ".join(q(c + "__err") for c in table.column_names)
        + ") IS NOT NULL"
    )
    return [
        f"""CREATE OR REPLACE TEMP TABLE checked_{table.name} AS
        SELECT *,
          {any_error} OR held_back IS NOT NULL AS rejected
        FROM (
          SELECT *,
            CASE WHEN NOT ({any_error}) AND resolution = 'found' AND NOT patient_ok
                 THEN 'patient ' || patient_center || '/' || patient_id__raw || ' was rejected ('
                      || patient_first_row || ')' END AS held_back
          FROM (
            SELECT *, {", ".join(errors)}
            FROM (
              SELECT t.*,
                CASE WHEN t.center__raw IS NOT NULL THEN bc.center ELSE bs.center END AS patient_center,
                CASE WHEN t.patient_id__raw IS NULL THEN NULL
                     WHEN t.center__raw IS NOT NULL
                       THEN CASE WHEN bc.center IS NULL THEN 'unknown' ELSE 'found' END
                     WHEN bs.n_centers IS NULL THEN 'unknown'
                     WHEN bs.n_centers > 1 THEN 'ambiguous'
                     ELSE 'found' END AS resolution,
                CASE WHEN t.center__raw IS NOT NULL THEN bc.ok ELSE bs.ok END AS patient_ok,
                CASE WHEN t.center__raw IS NOT NULL THEN bc.first_row ELSE bs.first_row END
                  AS patient_first_row,
                CASE WHEN t.center__raw IS NOT NULL THEN bc.birth_lo ELSE bs.birth_lo END AS birth_lo,
                CASE WHEN t.center__raw IS NOT NULL THEN bc.birth_raw ELSE bs.birth_raw END AS birth_raw,
                CASE WHEN t.center__raw IS NOT NULL THEN bc.death_date ELSE bs.death_date END
                  AS death_date,
                CASE WHEN t.center__raw IS NOT NULL THEN bc.last_followup_date
                     ELSE bs.last_followup_date END AS last_followup_date,
                bs.centers
              FROM ({typed}) t
              LEFT JOIN patient_keys bc
                ON bc.center = t.center__raw AND bc.patient_id = t.patient_id__raw
              LEFT JOIN patient_source_keys bs
                ON bs.source_index = t.source_index AND bs.patient_id = t.patient_id__raw
            )
          )
        )"""
    ]


def create_files_table(con: duckdb.DuckDBPyConnection, files: list[StagedFile]) -> None:
    """The temporary ``files`` table: id, table, printed path, relative path, source of each file."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE files (file_id INTEGER, table_name VARCHAR, display VARCHAR, "
        "relative VARCHAR, source_index INTEGER, source_name VARCHAR, date_format VARCHAR)"
    )
    if files:
        con.executemany(
            "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    f.file_id,
                    f.table,
                    f.display,
                    f.relative,
                    f.source_index,
                    f.source_name,
                    f.date_format,
                )
                for f in files
            ],
        )


def run_checks(con: duckdb.DuckDBPyConnection, files: list[StagedFile]) -> None:
    """Build ``checked_<table>`` for every table and the ``problems`` table (one row per problem).

    ``problems`` has kind ``problem`` (an input error) or ``held_back`` (a row rejected because its
    patient's row was), and ``column_order`` to sort problems of a row in data-model order.
    """
    create_files_table(con, files)
    formats = DateFormats.of(files)
    for statement in _patients_sql(formats):
        con.execute(statement)
    for name in CHILD_TABLES:
        for statement in _child_sql(TABLES_BY_NAME[name], formats):
            con.execute(statement)
    parts = []
    for table in TABLES:
        source = f"checked_{table.name}"
        parts.append(
            f"SELECT file_id, line, -1 AS column_order, NULL::VARCHAR AS column_name, NULL::VARCHAR AS value, "
            f"row_error AS reason, {lit(table.name)} AS table_name, 'problem' AS kind "
            f"FROM {source} WHERE row_error IS NOT NULL"
        )
        for order, column in enumerate(table.columns):
            n = column.name
            parts.append(
                f"SELECT file_id, line, {order}, {lit(n)}, {q(n + '__raw')}, {q(n + '__err')}, "
                f"{lit(table.name)}, 'problem' FROM {source} WHERE {q(n + '__err')} IS NOT NULL"
            )
        parts.append(
            f"SELECT file_id, line, 0, 'patient_id', patient_id__raw, held_back, {lit(table.name)}, "
            f"'held_back' FROM {source} WHERE held_back IS NOT NULL"
        )
    con.execute("CREATE OR REPLACE TEMP TABLE problems AS " + " UNION ALL ".join(parts))


def drug_class_sql(expression: str) -> str:
    """SQL: the class of a drug (``schema.DRUG_CLASSES``)."""
    cases = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in DRUG_CLASSES.items())
    return f"CASE {expression} {cases} END"


#: SQL over a canonical ``treatments`` row ``t``: an exposure whose empty end_date means a single
#: day (administrations, procedures, classes ivig and supportive; ``data-model.md``)
SINGLE_DAY_SQL = (
    "t.drug IN "
    + _in_list(list(SINGLE_DAY_DRUGS))
    + " OR t.drug_class IN "
    + _in_list(list(RESCUE_CLASSES))
)
