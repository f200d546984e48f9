"""Every cast and rule of ``data-model.md`` as set-based SQL over the text of the input rows.

``patients`` are checked first (``checked_patients``, then ``patient_keys`` and
``patient_source_keys`` for the lookup of child rows). Each child file is then checked in one pass
straight from its text rows (``staging.file_rows``) into ``checked_<table>``: cells cast, row rules, patient lookup and
date coherence together. A checked table holds, per input column, the typed value ``<col>__v``,
the reason it is wrong ``<col>__err`` (NULL when fine) and the text as given ``<col>__raw``
(always for free-text columns and platelets, otherwise only where there is a problem), plus
``rejected`` and, for a child row whose patient was rejected, ``held_back``. Nothing here guesses:
a value is either read exactly by a data-model convention or reported.

Order of the rules, each giving at most one reason per cell:
1. cell rules (required, vocabulary, boolean, number, integer and range, date shapes);
2. row rules within a table (secondary cause, platelets after unit conversion, end before start,
   patient date order);
3. duplicates of ``(center, patient_id)``: every row of the key is rejected, naming the others;
4. patient lookup of child rows, then their date coherence with their patient.

A reason reads after the value it refuses (``is not a number``, ``is before start_date (...)``):
``create_problems_table`` puts the value as written in front of it, once the checks are done and
for the rejected cells only (``problem_reason``), so that the line, ``rejected_rows`` and
``rejected_rows.csv`` say ``'<10' is not a number`` (``data-model.md``, Nothing is lost).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from itpcohort.errors import ELLIPSIS, SHOWN_MAX, escape_controls, shown
from itpcohort.schema import (
    BOOLEAN_SPELLINGS,
    DRUG_CLASSES,
    PLATELET_MAX,
    PLATELET_UNIT_SPELLINGS,
    PLATELET_UNITS,
    TABLES,
    TABLES_BY_NAME,
    Column,
    ColumnType,
    Table,
)
from itpcohort.store.intake import StagedFile, has_content, lit, q, trimmed

INTEGER_PATTERN = r"[+-]?[0-9]+"
ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
ISO_MONTH = r"[0-9]{4}-[0-9]{2}"
ISO_YEAR = r"[0-9]{4}"
SLASHED_DATE = r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{2,4})"
YEAR_MIN, YEAR_MAX = 1900, 2100

CHILD_TABLES = tuple(t.name for t in TABLES if t.name != "patients")
DATE_TYPES = (ColumnType.DATE, ColumnType.PARTIAL_DATE)


def _cut_sql(expression: str) -> str:
    """SQL: a text put inside a reason, cut like ``errors.cut`` (its control characters are
    escaped with the whole reason, by ``create_problems_table``)."""
    return (
        f"CASE WHEN length({expression}) > {SHOWN_MAX} "
        f"THEN left({expression}, {SHOWN_MAX - 1}) || {lit(ELLIPSIS)} ELSE {expression} END"
    )


def _in_list(values: list[str]) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")"


def _fmt_date(expression: str) -> str:
    return f"strftime({expression}, '%Y-%m-%d')"


def drug_class_sql(expression: str) -> str:
    """SQL: the class of a drug (``schema.DRUG_CLASSES``)."""
    cases = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in DRUG_CLASSES.items())
    return f"CASE {expression} {cases} END"


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
        return self._by_file("CAST(try_strptime(" + text + ", {}) AS DATE)", "NULL::DATE")

    def declared(self) -> str:
        """SQL: the declared format of the row's file (NULL without one)."""
        return self._by_file("{}", "NULL::VARCHAR")

    def _by_file(self, template: str, none: str) -> str:
        """SQL: ``template`` with the row's file's declared format in it (``none`` without)."""
        cases = " ".join(
            f"WHEN file_id IN ({', '.join(map(str, ids))}) THEN {template.format(lit(fmt))}"
            for fmt, ids in self.by_format.items()
        )
        return f"CASE {cases} END" if cases else none


# --- 1. cell rules -------------------------------------------------------------------------------


def _allowed(table: Table, column: Column) -> list[str]:
    if table.name == "platelet_counts" and column.name == "unit":
        return list(PLATELET_UNIT_SPELLINGS.values())
    return list(column.vocabulary)


def _parse_layer(table: Table, formats: DateFormats) -> list[str]:
    """First layer: the text of each column (``<col>__raw``) and its parse attempts."""
    out = ["file_id", "source_index", "line", "row_error", "row_error_column", "row_error_value"]
    for column in table.columns:
        c = q(column.name)
        kind = column.type
        parsed = {"__raw": c}  # suffix of the layer's column -> its SQL
        if kind is ColumnType.VOCAB:
            # stored as the vocabulary spells it: upper-case (sex, response) or lower-case
            case = "upper" if all(v.isupper() for v in column.vocabulary) else "lower"
            allowed = _in_list(list(column.vocabulary))
            parsed["__v"] = f"CASE WHEN {case}({c}) IN {allowed} THEN {case}({c}) END"
        elif kind is ColumnType.BOOLEAN:
            cases = " ".join(
                f"WHEN {lit(k)} THEN {'TRUE' if v else 'FALSE'}"
                for k, v in BOOLEAN_SPELLINGS.items()
            )
            parsed["__v"] = f"CASE lower({c}) {cases} END"
        elif kind is ColumnType.NUMBER:
            # DuckDB also reads 1_000, inf and nan as numbers: refused here
            parsed["__v"] = (
                f"CASE WHEN NOT contains({c}, '_') AND isfinite(TRY_CAST({c} AS DOUBLE)) "
                f"THEN TRY_CAST({c} AS DOUBLE) END"
            )
        elif kind is ColumnType.INTEGER:
            parsed["__v"] = (
                f"CASE WHEN regexp_full_match({c}, {lit(INTEGER_PATTERN)}) "
                f"THEN TRY_CAST({c} AS BIGINT) END"
            )
        elif kind in DATE_TYPES:
            # the shape test is a cheap LIKE; TRY_CAST alone would accept 2019-2-3 or 2019/02/03
            parsed["__iso"] = f"CASE WHEN {c} LIKE '____-__-__' THEN TRY_CAST({c} AS DATE) END"
            parsed["__decl"] = formats.parse(c)
            if kind is ColumnType.PARTIAL_DATE:
                parsed["__month"] = (
                    f"CASE WHEN {c} LIKE '____-__' THEN TRY_CAST({c} || '-01' AS DATE) END"
                )
                parsed["__year"] = (
                    f"CASE WHEN regexp_full_match({c}, {lit(ISO_YEAR)}) "
                    f"THEN make_date(CAST({c} AS INTEGER), 1, 1) END"
                )
        out += [f"{sql} AS {q(column.name + suffix)}" for suffix, sql in parsed.items()]
    if any(c.type in DATE_TYPES for c in table.columns):
        out.append(f"{formats.declared()} AS __declared_format")
    return out


def _date_error(column: Column) -> str:
    n = column.name
    raw, iso, decl = q(n + "__raw"), q(n + "__iso"), q(n + "__decl")
    partial = column.type is ColumnType.PARTIAL_DATE
    attempts = [decl, iso, q(n + "__month"), q(n + "__year")] if partial else [decl, iso]
    parsed = f"coalesce({', '.join(attempts)})"
    first, second = (
        f"TRY_CAST(regexp_extract({raw}, {lit(SLASHED_DATE)}, {k}) AS INTEGER)" for k in (1, 2)
    )
    slashed = (
        f"regexp_full_match({raw}, {lit(SLASHED_DATE)}) AND {first} BETWEEN 1 AND 12 AND "
        f"{second} BETWEEN 1 AND 12 AND {first} <> {second}"
    )
    allowed = "YYYY-MM-DD, YYYY-MM or YYYY" if partial else "YYYY-MM-DD"
    declare = "or declare this source's date_format in study.toml"
    is_day, is_month, is_year = (
        f"regexp_full_match({raw}, {lit(shape)})" for shape in (ISO_DATE, ISO_MONTH, ISO_YEAR)
    )
    invalid_shape = f"{is_day} OR {is_month}" if partial else is_day
    missing = "'required value missing'" if column.required else "NULL"
    not_partial = (
        ""
        if partial
        else f"WHEN {is_month} OR {is_year} THEN 'is a partial date, not allowed here: give the "
        "full date (YYYY-MM-DD)'"
    )
    return f"""CASE
        WHEN {raw} IS NULL THEN {missing}
        WHEN {decl} IS NOT NULL AND {iso} IS NOT NULL AND {decl} <> {iso}
            THEN 'is an ambiguous date: it reads as ' || {_fmt_date(iso)} || ' (ISO) and as '
                 || {_fmt_date(decl)} || ' (declared format ' || __declared_format || ')'
        WHEN {parsed} IS NULL THEN CASE
            WHEN {invalid_shape} THEN 'is not a valid date'
            {not_partial}
            WHEN __declared_format IS NOT NULL
                THEN 'is not a date in the declared format ' || __declared_format || {lit(" nor " + allowed)}
            WHEN {slashed}
                THEN {lit(f"is an ambiguous date (day-first or month-first?): write {allowed} {declare}")}
            ELSE {lit(f"is not a date: expected {allowed} {declare}")}
          END
        WHEN year({parsed}) NOT BETWEEN {YEAR_MIN} AND {YEAR_MAX}
            THEN 'has an implausible year (outside {YEAR_MIN}..{YEAR_MAX})'
    END"""


def _number_error(table: Table, column: Column) -> str:
    raw, value = q(column.name + "__raw"), q(column.name + "__v")
    missing = "'required value missing'" if column.required else "NULL"
    kind = "a whole number" if column.type is ColumnType.INTEGER else "a number"
    checks = [f"WHEN {raw} IS NULL THEN {missing}"]
    if column.type is ColumnType.NUMBER:
        checks.append(
            f"WHEN {value} IS NULL AND regexp_full_match({raw}, '[+-]?[0-9]+,[0-9]+') "
            f"THEN 'is not a number: use a point as the decimal separator'"
        )
    checks.append(f"WHEN {value} IS NULL THEN 'is not {kind}'")
    converted = table.name == "platelet_counts" and column.name == "platelets"
    if not converted:  # platelets are range-checked after unit conversion (row rule)
        low, high = column.minimum, column.maximum
        if low is not None and high is not None:
            checks.append(
                f"WHEN {value} NOT BETWEEN {low:g} AND {high:g} THEN 'is outside {low:g}..{high:g}'"
            )
        elif low is not None:
            checks.append(f"WHEN {value} < {low:g} THEN 'is below the minimum {low:g}'")
    return "CASE " + " ".join(checks) + " END"


def _plausible(expression: str) -> str:
    return f"CASE WHEN year({expression}) BETWEEN {YEAR_MIN} AND {YEAR_MAX} THEN {expression} END"


def _by_precision(n: str, on_day: str, on_month: str, on_year: str) -> str:
    """SQL: ``on_day``, ``on_month`` or ``on_year``, as the partial date ``n`` is given."""
    return (
        f"CASE WHEN coalesce({q(n + '__decl')}, {q(n + '__iso')}) IS NOT NULL THEN {on_day} "
        f"WHEN {q(n + '__month')} IS NOT NULL THEN {on_month} "
        f"WHEN {q(n + '__year')} IS NOT NULL THEN {on_year} END"
    )


def _cell_layer(table: Table) -> list[str]:
    """Second layer: cell errors, dates typed (partial ones at mid-period, with bounds) and
    platelets converted to x10^9/L."""
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
            noun = n.replace("_", " ")  # dose_unit: is not a known dose unit
            out.append(
                f"CASE WHEN {raw} IS NULL THEN {missing} WHEN {q(n + '__v')} IS NULL "
                f"THEN {lit(f'is not a known {noun}; allowed: {allowed}')} END AS {err}"
            )
        elif kind is ColumnType.BOOLEAN:
            allowed = ", ".join(BOOLEAN_SPELLINGS)
            out.append(
                f"CASE WHEN {raw} IS NOT NULL AND {q(n + '__v')} IS NULL "
                f"THEN {lit('is not a yes/no value; allowed: ' + allowed + ' (empty: default)')} END AS {err}"
            )
        elif kind in (ColumnType.NUMBER, ColumnType.INTEGER):
            out.append(f"{_number_error(table, column)} AS {err}")
        else:
            iso, decl = q(n + "__iso"), q(n + "__decl")
            day = f"coalesce({decl}, {iso})"
            out.append(f"{_date_error(column)} AS {err}")
            if kind is ColumnType.PARTIAL_DATE:
                month, year = q(n + "__month"), q(n + "__year")
                value = _by_precision(n, day, f"{month} + 14", f"make_date(year({year}), 7, 1)")
                low = f"coalesce({day}, {month}, {year})"
                high = _by_precision(
                    n, day, f"last_day({month})", f"make_date(year({year}), 12, 31)"
                )
                precision = _by_precision(n, "'day'", "'month'", "'year'")
                out.append(f"CAST({_plausible(low)} AS DATE) AS {q(n + '__lo')}")
                out.append(f"CAST({_plausible(high)} AS DATE) AS {q(n + '__hi')}")
                out.append(f"{precision} AS {q(n + '__p')}")
            else:
                value = day
            out.append(f"CAST({_plausible(value)} AS DATE) AS {q(n + '__value')}")
    if table.name == "platelet_counts":  # for the range rule
        cases = " ".join(f"WHEN {lit(k)} THEN {v!r}" for k, v in PLATELET_UNITS.items())
        out.append(
            f'"platelets__v" * CASE coalesce("unit__v", \'10^9/l\') {cases} END AS "platelets__conv"'
        )
    return out


# --- 2. row rules ------------------------------------------------------------------------------


def _row_rules(table: Table) -> dict[str, str]:
    """Column -> SQL reason of the row rules of ``table`` (evaluated on valid cells only)."""
    rules: dict[str, str] = {}
    if table.name == "patients":
        ok = {
            n: q(n + "__cellerr") + " IS NULL"
            for n in ("birth_date", "diagnosis_date", "last_followup_date", "death_date")
        }
        birth_lo, birth_raw = q("birth_date__lo"), q("birth_date__raw")
        diag_lo, diag_hi, diag_raw = (q("diagnosis_date__" + s) for s in ("lo", "hi", "raw"))
        rules["secondary_cause"] = (
            'CASE WHEN "itp_type__v" = \'secondary\' AND "secondary_cause__raw" IS NULL '
            "THEN 'required for a secondary ITP (itp_type = secondary)' END"
        )
        rules["diagnosis_date"] = (
            f"CASE WHEN {ok['birth_date']} AND {ok['diagnosis_date']} AND {diag_hi} < {birth_lo} "
            f"THEN 'is before birth_date (' || {birth_raw} || ')' END"
        )
        for n in ("last_followup_date", "death_date"):
            value = q(n + "__value")
            rules[n] = (
                f"CASE WHEN {ok[n]} AND {ok['diagnosis_date']} AND {value} < {diag_lo} "
                f"THEN 'is before diagnosis_date (' || {diag_raw} || ')' "
                f"WHEN {ok[n]} AND {ok['birth_date']} AND {value} < {birth_lo} "
                f"THEN 'is before birth_date (' || {birth_raw} || ')' END"
            )
    elif table.name == "treatments":
        rules["end_date"] = (
            'CASE WHEN "start_date__cellerr" IS NULL AND "end_date__cellerr" IS NULL '
            'AND "end_date__value" < "start_date__value" '
            "THEN 'is before start_date (' || \"start_date__raw\" || ')' END"
        )
    elif table.name == "platelet_counts":
        per_billion = [k for k, v in PLATELET_UNITS.items() if v == 1.0]
        rules["platelets"] = (
            'CASE WHEN "platelets__cellerr" IS NULL AND "unit__cellerr" IS NULL '
            f'AND "platelets__conv" NOT BETWEEN 0 AND {PLATELET_MAX:g} THEN '
            f'CASE WHEN "unit__v" IS NULL OR "unit__v" IN {_in_list(per_billion)} '
            f"THEN 'is outside 0..{PLATELET_MAX:g} x10^9/L' || CASE WHEN \"platelets__v\" > {PLATELET_MAX:g} "
            "THEN ' (a count per mm3 without its unit? then give unit = /mm3)' ELSE '' END "
            f"ELSE 'is outside 0..{PLATELET_MAX:g} x10^9/L after conversion from ' || \"unit__raw\" "
            "|| ' (' || \"platelets__conv\" || ' x10^9/L)' END END"
        )
    return rules


def _typed_select(table: Table, formats: DateFormats, source: str) -> str:
    """SQL: rows of ``source`` with typed values, cell errors and row-rule errors (``__rowerr``)."""
    parse = ",\n  ".join(_parse_layer(table, formats))
    cells = ",\n  ".join(_cell_layer(table))
    rules = _row_rules(table)
    errors = [
        f"coalesce({q(c.name + '__cellerr')}, {rules.get(c.name, 'NULL')}) AS {q(c.name + '__rowerr')}"
        for c in table.columns
    ]
    return (
        f"SELECT *, {', '.join(errors)} FROM (SELECT {cells} FROM (SELECT {parse} FROM ({source})))"
    )


def source_select(
    table: Table, present: tuple[str, ...], rows: str, file_id: int, source_index: int
) -> str:
    """SQL: the rows of one file (``rows``: SQL of ``staging.file_rows``) with every column of
    ``table`` (absent ones NULL), in ``raw_patients``' layout.

    Cells are trimmed (``staging.WHITE_SPACE``) and an empty cell becomes NULL; a row with no
    content at all (delimiters only, an empty sheet row) is not a row (``data-model.md``).
    """
    columns = [
        f"nullif({trimmed(q(c.name))}, '') AS {q(c.name)}"
        if c.name in present
        else f"NULL::VARCHAR AS {q(c.name)}"
        for c in table.columns
    ]
    content = " OR ".join(["__row_error IS NOT NULL", *(has_content(q(c)) for c in present)])
    return (
        f"SELECT {file_id}::INTEGER AS file_id, {source_index}::INTEGER AS source_index, "
        f"__line::INTEGER AS line, __row_error AS row_error, "
        f"__row_error_column AS row_error_column, __row_error_value AS row_error_value, "
        f"{', '.join(columns)} FROM ({rows}) WHERE {content}"
    )


def empty_source(table: Table) -> str:
    """SQL: a source with the columns of ``source_select`` and no row."""
    no_rows = (
        "SELECT NULL::INTEGER AS __line, NULL::VARCHAR AS __row_error, "
        "NULL::VARCHAR AS __row_error_column, NULL::VARCHAR AS __row_error_value WHERE FALSE"
    )
    return source_select(table, (), no_rows, 0, 0)


# --- 3. patients: duplicates and the patient index -------------------------------------------------


def patients_statements(formats: DateFormats) -> list[str]:
    """SQL building ``checked_patients``, ``patient_keys`` and ``patient_source_keys`` from
    ``raw_patients`` (the patients' text rows of every source)."""
    table = TABLES_BY_NAME["patients"]
    typed = _typed_select(table, formats, "SELECT * FROM raw_patients")
    errors = [
        f"CASE WHEN t.row_error IS NULL THEN t.{q(c + '__rowerr')} END AS {q(c + '__err')}"
        for c in table.column_names
        if c != "patient_id"
    ]
    any_error = " OR ".join(f"{q(c + '__err')} IS NOT NULL" for c in table.column_names)
    # the duplicates need only the two key columns, as given: found on the text rows, so that the
    # wide typed rows are written once, into checked_patients
    return [
        """CREATE OR REPLACE TEMP TABLE patient_duplicates AS
        SELECT a.file_id, a.line,
               string_agg(f.display || ':' || b.line, ', ' ORDER BY b.file_id, b.line) AS others
        FROM raw_patients a
        JOIN raw_patients b
          ON a.center = b.center AND a.patient_id = b.patient_id
         AND (a.file_id <> b.file_id OR a.line <> b.line)
        JOIN files f ON f.file_id = b.file_id
        GROUP BY a.file_id, a.line""",
        f"""CREATE OR REPLACE TEMP TABLE checked_patients AS
        SELECT *, row_error IS NOT NULL OR {any_error} AS rejected, NULL::VARCHAR AS held_back
        FROM (
          SELECT t.*,
            CASE WHEN t.row_error IS NULL THEN coalesce(t.patient_id__rowerr,
                 'is a duplicate patient ' || {_cut_sql("t.center__raw")} || '/'
                 || {_cut_sql("t.patient_id__raw")} || ': also at '
                 || d.others) END AS patient_id__err,
            {", ".join(errors)}
          FROM ({typed}) t
          LEFT JOIN patient_duplicates d ON d.file_id = t.file_id AND d.line = t.line
        )""",
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


def _checked_columns(table: Table) -> list[str]:
    """SQL of each column of ``child_select`` for ``table``, in order."""
    columns = ["file_id, line, row_error, row_error_column, row_error_value"]
    columns.append("patient_center, rejected, held_back")
    for column in table.columns:
        n = column.name
        raw, err = q(n + "__raw"), q(n + "__err")
        # the text is kept for every row where it is the value, else only for problems
        if column.type is ColumnType.TEXT or (table.name, n) == ("platelet_counts", "platelets"):
            columns.append(raw)
        else:
            columns.append(f"CASE WHEN {err} IS NOT NULL THEN {raw} END AS {raw}")
        if column.type is not ColumnType.TEXT:
            value = q(n + "__value") if column.type in DATE_TYPES else q(n + "__v")
            columns.append(f"{value} AS {q(n + '__v')}")
        columns.append(err)
    if table.name == "platelet_counts":
        columns.append("platelets__conv")
    return columns


def child_select(
    table: Table,
    formats: DateFormats,
    source: str,
    with_center: bool,
    source_index: int | None = None,
) -> str:
    """SQL: the checked rows of a child table from ``source`` (see ``source_select``).

    ``with_center``: whether the file has a ``center`` column (else only the lookup by source
    runs). ``source_index``: the one source all rows come from, when known: the lookup then builds
    its hash table from that source's patients only.
    """
    typed = _typed_select(table, formats, source)
    found = "resolution = 'found' AND patient_ok"
    # column -> its checks against the patient: every date against the patient's dates, and
    # patient_id's lookup
    coherence: dict[str, str] = {}
    for name in (c.name for c in table.columns if c.type in DATE_TYPES):
        value = q(name + "__value")
        checks = [
            f"WHEN {found} AND {value} < birth_lo "
            "THEN 'is before the patient''s birth_date (' || birth_raw || ')'",
            f"WHEN {found} AND {value} > death_date THEN 'is after the patient''s death_date (' || "
            f"{_fmt_date('death_date')} || ')'",
        ]
        if table.name == "platelet_counts":
            checks.append(
                f"WHEN {found} AND {value} > last_followup_date THEN 'is after the patient''s "
                f"last_followup_date (' || {_fmt_date('last_followup_date')} || ')'"
            )
        if table.name == "treatments" and name == "end_date":
            checks = checks[1:]  # an end before birth is caught as an end before start
        coherence[name] = "CASE " + " ".join(checks) + " END"
    center, patient = _cut_sql("center__raw"), _cut_sql("patient_id__raw")
    coherence["patient_id"] = (
        "CASE WHEN resolution = 'unknown' AND center__raw IS NOT NULL "
        f"THEN 'is an unknown patient: no row for ' || {center} || '/' || {patient} || ' in patients' "
        "WHEN resolution = 'unknown' THEN 'is an unknown patient: no row for ' || "
        f"{patient} || ' in the patients of this source' "
        "WHEN resolution = 'ambiguous' THEN 'is an ambiguous patient: a patient of several centers "
        f"of this source (' || {_cut_sql('centers')} || '); give center' END"
    )
    errors = [
        f"CASE WHEN row_error IS NULL THEN coalesce({q(n + '__rowerr')}, "
        f"{coherence.get(n, 'NULL')}) END AS {q(n + '__err')}"
        for n in table.column_names
    ]
    any_error = "row_error IS NOT NULL OR " + " OR ".join(
        f"{q(c + '__err')} IS NOT NULL" for c in table.column_names
    )

    def pick(field: str, alias: str) -> str:
        """The patient's ``field``: by center when the row gives one, else by source."""
        if not with_center:
            return f"bs.{field} AS {alias}"
        return f"CASE WHEN t.center__raw IS NOT NULL THEN bc.{field} ELSE bs.{field} END AS {alias}"

    aliases = {"center": "patient_center", "ok": "patient_ok", "first_row": "patient_first_row"}
    aliases |= {f: f for f in ("birth_lo", "birth_raw", "death_date", "last_followup_date")}
    patient = ", ".join(pick(field, alias) for field, alias in aliases.items())

    by_center, found_by_center = "", ""
    if with_center:
        by_center = "LEFT JOIN patient_keys bc ON bc.center = t.center__raw AND bc.patient_id = t.patient_id__raw"
        found_by_center = """WHEN t.center__raw IS NOT NULL
                       THEN CASE WHEN bc.center IS NULL THEN 'unknown' ELSE 'found' END"""
    resolution = f"""CASE WHEN t.patient_id__raw IS NULL THEN NULL {found_by_center}
                     WHEN bs.n_centers IS NULL THEN 'unknown'
                     WHEN bs.n_centers > 1 THEN 'ambiguous'
                     ELSE 'found' END"""
    source_keys = (
        "patient_source_keys"
        if source_index is None
        else f"(SELECT * FROM patient_source_keys WHERE source_index = {int(source_index)})"
    )
    return f"""
    SELECT {", ".join(_checked_columns(table))}
    FROM (
      SELECT *, {any_error} OR held_back IS NOT NULL AS rejected
      FROM (
        SELECT *,
          CASE WHEN NOT ({any_error}) AND resolution = 'found' AND NOT patient_ok
               THEN 'patient ' || {_cut_sql("patient_center")} || '/' || {_cut_sql("patient_id__raw")}
                    || ' was rejected ('
                    || patient_first_row || ')' END AS held_back
        FROM (
          SELECT *, {", ".join(errors)}
          FROM (
            SELECT t.*,
              {resolution} AS resolution, {patient}, bs.centers
            FROM ({typed}) t
            {by_center}
            LEFT JOIN {source_keys} bs
              ON bs.source_index = t.source_index AND bs.patient_id = t.patient_id__raw
          )
        )
      )
    )"""


def create_files_table(con: duckdb.DuckDBPyConnection, files: list[StagedFile]) -> None:
    """The temporary ``files`` table: id, table and printed path of each file, and ``file_order``:
    the id of the first file with the same printed path (the tables of one REDCap export share its
    path, so that its problems are listed in the export's line order).

    Also ``file_columns``: the name problems show for a table column of a file, where the file
    names it otherwise (the fields of a REDCap export).
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE files "
        "(file_id INTEGER, table_name VARCHAR, display VARCHAR, file_order INTEGER)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE file_columns (file_id INTEGER, column_name VARCHAR, "
        "shown_name VARCHAR)"
    )
    first_of: dict[str, int] = {}
    for f in files:
        first_of.setdefault(f.display, f.file_id)
    if files:
        rows = [(f.file_id, f.table, f.display, first_of[f.display]) for f in files]
        con.executemany("INSERT INTO files VALUES (?, ?, ?, ?)", rows)
    shown = [(f.file_id, column, name) for f in files for column, name in f.shown_columns]
    if shown:
        con.executemany("INSERT INTO file_columns VALUES (?, ?, ?)", shown)


def create_problems_table(con: duckdb.DuckDBPyConnection) -> None:
    """Build ``problems`` from the checked tables (``checked_patients`` and the rejected rows of
    the child tables): one row per (file, line, column) problem.

    ``kind`` is ``problem`` (an input error) or ``held_back`` (a row rejected because its
    patient's row was); ``column_order`` sorts the problems of a row in data-model order.
    ``column_name`` is the name the file gives the column (``file_columns``), else the table's;
    a row error names the file's column itself (or none).
    """
    parts = []
    for table in TABLES:
        source = f"checked_{table.name}"
        parts.append(
            "SELECT file_id, line, -1 AS column_order, row_error_column AS column_name, "
            f"row_error_value AS value, row_error AS reason, {lit(table.name)} AS table_name, "
            f"'problem' AS kind FROM {source} WHERE row_error IS NOT NULL"
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
    con.execute(
        "CREATE OR REPLACE TEMP TABLE problems AS SELECT p.file_id, p.line, p.column_order, "
        "coalesce(c.shown_name, p.column_name) AS column_name, p.value, p.reason, p.table_name, "
        f"p.kind FROM ({' UNION ALL '.join(parts)}) p "
        "LEFT JOIN file_columns c ON c.file_id = p.file_id AND c.column_name = p.column_name "
        "AND p.column_order >= 0"  # a row error already names the file's column
    )
    _put_values_in_reasons(con)


#: how close a rejected value must be to a vocabulary value to suggest it (``difflib`` ratio)
SUGGESTION_CUTOFF = 0.75


def _suggestion(written: str, allowed: tuple[str, ...]) -> str:
    """``; did you mean 'x'?`` for the allowed value closest to ``written``, or nothing."""
    by_key = {v.lower(): v for v in allowed}
    key = " ".join(written.lower().split()).replace(" ", "_")
    close = difflib.get_close_matches(key, list(by_key), n=1, cutoff=SUGGESTION_CUTOFF)
    return f"; did you mean {shown(by_key[close[0]])}?" if close else ""


def problem_reason(table: Table, column: Column | None, value: str | None, reason: str) -> str:
    """The reason of a rejected cell as printed and listed in ``rejected_rows``: the value as
    written first (``'aspirinx' is not a known drug; allowed: ...``), shown by ``errors.shown``,
    then, for a vocabulary, the closest allowed value when one is close (``did you mean
    'rituximab'?``). Control characters of the whole reason are escaped (``data-model.md``:
    file, row, column, value and reason on the line itself).

    ``column`` is None for a problem of the whole row, whose reason is kept as it is.
    """
    if column is None or value is None:
        return escape_controls(reason)
    text = f"{shown(value)} {reason}"
    if column.type is ColumnType.VOCAB:
        text += _suggestion(value, tuple(_allowed(table, column)))
    return escape_controls(text)


def _put_values_in_reasons(con: duckdb.DuckDBPyConnection) -> None:
    """Write each problem's reason with its value (``problem_reason``).

    Run once per import over the rejected cells only (rare), after the set-based checks: the
    accepted rows never pay for it. A held-back row names its patient, not a value of its own.
    """
    rows = con.execute(
        "SELECT rowid, table_name, column_order, kind, value, reason FROM problems"
    ).fetchall()
    ids, reasons = [], []
    memo: dict[tuple[str, int, str | None, str], str] = {}
    for rowid, table_name, order, kind, value, reason in rows:
        key = (table_name, order if kind == "problem" else -1, value, reason)
        if key not in memo:
            table = TABLES_BY_NAME[table_name]
            column = table.columns[key[1]] if key[1] >= 0 else None
            memo[key] = problem_reason(table, column, value, reason)
        if memo[key] != reason:
            ids.append(rowid)
            reasons.append(memo[key])
    if not ids:
        return
    worded = pa.table({"id": pa.array(ids, pa.int64()), "reason": pa.array(reasons, pa.string())})
    con.register("__worded_reasons", worded)
    try:
        con.execute(
            "UPDATE problems SET reason = w.reason FROM __worded_reasons w WHERE problems.rowid = w.id"
        )
    finally:
        con.unregister("__worded_reasons")
