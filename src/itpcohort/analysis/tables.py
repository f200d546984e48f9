"""The derived tables the analysis reads, as the derivation layer hands them over.

The pipeline executes the Ibis derivations at the edge and gives ``analyse`` pandas DataFrames
(``architecture.md``: derive → analysis). This module names the columns each analysis needs and
brings the frames to one set of dtypes, whatever their origin (Ibis/pyarrow frames, or the CSV
files of ``derived/`` and of the test fixtures): dates as ``datetime64``, booleans as nullable
``boolean`` (missing stays missing: an empty duration flag of an NR course is not ``false``),
counts and days as floats, codes as strings. A missing column or a value that cannot be read is an
``AnalysisInputError`` naming the table, the column and the value — never a silent drop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from itpcohort.derived_schema import MARTS_BY_NAME
from itpcohort.errors import ItpcohortError
from itpcohort.schema import AE_EVENTS, RESPONSES


class AnalysisInputError(ItpcohortError):
    """The derived tables handed to the analysis do not follow the contract (a bug upstream)."""

    exit_code = 1


def _read(mart: str, kinds: dict[str, str]) -> dict[str, str]:
    """The columns the analysis reads from ``mart`` with their kinds, each checked to be a column
    the mart declares (``derived_schema``; ``response-criteria.md``)."""
    unknown = [c for c in kinds if c not in MARTS_BY_NAME[mart].names]
    if unknown:
        raise KeyError(f"{mart} declares no column {', '.join(unknown)}")
    return kinds


#: column -> kind, for every column an analysis reads; other columns are kept untouched
COURSES_COLUMNS: dict[str, str] = _read(
    "courses",
    {
        "center": "text",
        "patient_id": "text",
        "course_number": "int",
        "start_date": "date",
        "regimen": "text",
        "age_at_course": "number",
        "itp_phase": "text",
        "prior_lines": "number",
        "splenectomy_before": "bool",
        "baseline_platelets": "number",
        "response": "response",
        "time_to_response_days": "number",
        "duration_days": "number",
        "duration_censored": "bool",
        "cr_duration_days": "number",
        "cr_duration_censored": "bool",
    },
)
BASELINE_COLUMNS: dict[str, str] = _read(
    "patient_baseline",
    {
        "center": "text",
        "patient_id": "text",
        "sex": "text",
        "itp_type": "text",
        "secondary_cause": "text",
        "diagnosis_date": "date",
        "age_at_diagnosis": "number",
        "age_at_first_rtx": "number",
        "has_count_after_course1": "bool",
        "death_date": "date",
        "followup_days": "number",
    },
)
RETREATMENT_COLUMNS: dict[str, str] = _read(
    "retreatment",
    {
        "center": "text",
        "patient_id": "text",
        "response_similar_or_better": "bool",
        "duration_course1_days": "number",
        "duration_course1_censored": "bool",
        "duration_similar_or_longer": "bool",
    },
)
AE_COLUMNS: dict[str, str] = _read(
    "ae_by_course",
    {
        "center": "text",
        "patient_id": "text",
        "event": "event",
        "ctcae_grade": "number",
        "serious": "bool",
        "course_number": "number",
    },
)
INVESTIGATOR_COLUMNS: dict[str, str] = _read(
    "investigator_comparison",
    {
        "center": "text",
        "patient_id": "text",
        "course_number": "int",
        "investigator_response": "response_or_missing",
        # empty when the assessed course does not exist (the mart's documented NULL)
        "derived_response": "response_or_missing",
    },
)
TREATMENT_EVENTS_COLUMNS: dict[str, str] = _read(
    "patient_treatment_events",
    {
        "center": "text",
        "patient_id": "text",
        "event_date": "date",
        "event": "text",
        "days_from_course1": "number",
        "course_number": "int",
    },
)
TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "courses": COURSES_COLUMNS,
    "patient_baseline": BASELINE_COLUMNS,
    "retreatment": RETREATMENT_COLUMNS,
    "ae_by_course": AE_COLUMNS,
    "investigator_comparison": INVESTIGATOR_COLUMNS,
    "patient_treatment_events": TREATMENT_EVENTS_COLUMNS,
}

_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}


@dataclass(frozen=True)
class DerivedTables:
    """The executed derived tables of one derivation run (one criteria set).

    ``investigator_comparison`` is None when the study collected no investigator assessments;
    ``criteria`` is the criteria set actually used (name, version and every parameter), copied
    as is into ``results.json``. ``treatment_events`` (the ``patient_treatment_events`` mart:
    rescue and new-treatment starts) is read by the report's swimmer plot only, not by the
    analysis; None when not provided.
    """

    courses: pd.DataFrame
    patient_baseline: pd.DataFrame
    retreatment: pd.DataFrame
    ae_by_course: pd.DataFrame
    investigator_comparison: pd.DataFrame | None = None
    criteria: dict[str, Any] = field(default_factory=dict)
    treatment_events: pd.DataFrame | None = None
    #: the tables are those of the ``first_switch`` design (``analysis.switch.comparison_frames``:
    #: courses 1 and 2 are the compared pair; ``protocols.md``, The tpo-ra-switch analysis plan)
    first_switch: bool = False

    def checked(self) -> DerivedTables:
        """Return a copy with every column the analysis reads present and of one known dtype.

        The copy is made once per object (``dataclasses.replace`` makes a new object, checked
        anew): the analysis and the report both ask for checked tables, and coercing a
        200,000-patient study's tables took about 10 s a time.
        """
        cached: DerivedTables | None = self.__dict__.get("_checked")
        if cached is not None:
            return cached
        investigator = self.investigator_comparison
        checked = DerivedTables(
            courses=_coerce("courses", self.courses, COURSES_COLUMNS),
            patient_baseline=_coerce("patient_baseline", self.patient_baseline, BASELINE_COLUMNS),
            retreatment=_coerce("retreatment", self.retreatment, RETREATMENT_COLUMNS),
            ae_by_course=_coerce("ae_by_course", self.ae_by_course, AE_COLUMNS),
            investigator_comparison=None
            if investigator is None
            else _coerce("investigator_comparison", investigator, INVESTIGATOR_COLUMNS),
            criteria=dict(self.criteria),
            treatment_events=None
            if self.treatment_events is None
            else _coerce(
                "patient_treatment_events", self.treatment_events, TREATMENT_EVENTS_COLUMNS
            ),
            first_switch=self.first_switch,
        )
        object.__setattr__(checked, "_checked", checked)
        object.__setattr__(self, "_checked", checked)
        return checked


def read_derived_tables(folder: Path) -> DerivedTables:
    """Read derived tables written as CSV (``courses.csv``, ...) plus ``criteria.json`` if present.

    Used by the tests and fixtures; ``investigator_comparison.csv`` and ``ae_by_course.csv`` may be
    absent (none recorded), and ``patient_treatment_events.csv`` (swimmer plot only) too. Values are read as text and typed by ``DerivedTables.checked``.
    """

    def read(name: str, required: bool) -> pd.DataFrame | None:
        path = folder / f"{name}.csv"
        if not path.exists():
            if required:
                raise AnalysisInputError(f"{path}: derived table not found")
            return None
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])

    criteria_path = folder / "criteria.json"
    criteria = json.loads(criteria_path.read_text("utf-8")) if criteria_path.exists() else {}
    ae = read("ae_by_course", False)
    if ae is None:
        ae = pd.DataFrame({column: pd.Series(dtype=str) for column in AE_COLUMNS})
    courses = read("courses", True)
    baseline = read("patient_baseline", True)
    retreatment = read("retreatment", True)
    assert courses is not None and baseline is not None and retreatment is not None
    return DerivedTables(
        courses=courses,
        patient_baseline=baseline,
        retreatment=retreatment,
        ae_by_course=ae,
        investigator_comparison=read("investigator_comparison", False),
        criteria=criteria,
        treatment_events=read("patient_treatment_events", False),
    ).checked()


def _coerce(table: str, frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise AnalysisInputError(
            f"{table}: expected a pandas DataFrame, got {type(frame).__name__}"
        )
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise AnalysisInputError(
            f"{table}: missing column(s) {', '.join(missing)}; the analysis reads "
            f"{', '.join(columns)}"
        )
    # a new frame of new columns (the declared ones coerced, the others copied), not a deep copy
    # of the whole frame then each column replaced: that copied 200,000 patients' tables twice
    if not frame.index.equals(pd.RangeIndex(len(frame))):
        frame = frame.reset_index(drop=True)
    coerced = {
        column: _coerce_column(table, column, kind, frame[column])
        for column, kind in columns.items()
    }
    return pd.DataFrame(
        {
            column: coerced[column] if column in coerced else frame[column].copy()
            for column in frame.columns
        },
        index=frame.index,
    )


def _bad(table: str, column: str, values: pd.Series, allowed: str) -> AnalysisInputError:
    value = values.iloc[0]
    row = int(values.index[0])
    return AnalysisInputError(
        f"{table}: row {row}: {column}: cannot read {value!r}; expected {allowed}"
    )


#: the characters ``str.strip`` removes (``str.isspace``), as ranges of a regular-expression class
PYTHON_WHITESPACE_CLASS = (
    r"\x{9}-\x{d}\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}"
    r"\x{202f}\x{205f}\x{3000}"
)
_PADDED = f"^[{PYTHON_WHITESPACE_CLASS}]|[{PYTHON_WHITESPACE_CLASS}]$"


def stripped_text(series: pd.Series) -> pd.Series:
    """``series`` as pandas strings with leading and trailing white space removed, as
    ``str.strip`` does. Which values hold any is found by Arrow, at once: the marts as executed
    hold none, and stripping 200,000 patients' columns one Python string at a time took 7.6 s of
    a 200,000-patient ``run``; only a column that holds some is stripped."""
    return _stripped(series)[0]


def text_or_missing(series: pd.Series) -> pd.Series:
    """``stripped_text(series)`` with the empty values missing; Arrow finds them at once
    (pandas compares Python strings one at a time)."""
    text, values = _stripped(series)
    empty = pc.fill_null(pc.equal(values, ""), False).to_numpy(zero_copy_only=False)
    return text.mask(empty) if empty.any() else text


def _stripped(series: pd.Series) -> tuple[pd.Series, pa.Array]:
    """``stripped_text(series)`` and the same values as an Arrow array (converted once)."""
    text = series.astype("string")
    values = pa.array(text.to_numpy(dtype=object, na_value=None), type=pa.string())
    if pc.any(pc.match_substring_regex(values, _PADDED)).as_py():
        text = text.str.strip()
        values = pa.array(text.to_numpy(dtype=object, na_value=None), type=pa.string())
    return text, values


def _coerce_column(table: str, column: str, kind: str, series: pd.Series) -> pd.Series:
    if kind == "text":
        return text_or_missing(series)
    if kind == "date":
        try:
            return pd.to_datetime(series, errors="raise").astype("datetime64[ns]")
        except (ValueError, TypeError):
            parsed = pd.to_datetime(series, errors="coerce")
            return _raise(table, column, series[parsed.isna() & series.notna()], "an ISO date")
    if kind in ("number", "int"):
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
            series.dtype
        ):  # already numbers (the marts as executed): nothing to parse
            numbers = series.astype("float64")
        else:
            numbers = pd.to_numeric(series.astype("object").replace("", None), errors="coerce")
            bad = series[numbers.isna() & series.notna() & (series.astype("string") != "")]
            if len(bad):
                return _raise(table, column, bad, "a number")
            numbers = numbers.astype("float64")
        if kind == "int":
            if numbers.isna().any() or (numbers % 1 != 0).any():
                bad = series[numbers.isna() | (numbers % 1 != 0)]
                return _raise(table, column, bad, "a whole number")
            return numbers.astype("int64")
        return numbers
    if kind == "bool":
        return _coerce_bool(table, column, series)
    if kind in ("response", "response_or_missing", "event"):
        text = text_or_missing(series)
        allowed = AE_EVENTS if kind == "event" else RESPONSES
        required = kind != "response_or_missing"
        bad = series[(text.isna() & required) | (text.notna() & ~text.isin(allowed))]
        if len(bad):
            return _raise(table, column, bad, f"one of {', '.join(allowed)}")
        return text
    raise ValueError(f"unknown column kind {kind}")


def _coerce_bool(table: str, column: str, series: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(series.dtype) or (
        series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) == "boolean"
    ):  # already booleans (the marts as executed, with nulls as objects): nothing to parse
        return series.astype("boolean")
    text = series.astype("string").str.strip().str.lower()
    text = text.mask(text == "")
    out = pd.Series(pd.NA, index=series.index, dtype="boolean")
    out[text.isin(_TRUE).fillna(False).astype(bool)] = True
    out[text.isin(_FALSE).fillna(False).astype(bool)] = False
    bad = series[text.notna() & ~text.isin(_TRUE | _FALSE)]
    if len(bad):
        _raise(table, column, bad, "true or false (or empty)")
    return out


def _raise(table: str, column: str, bad: pd.Series, allowed: str) -> pd.Series:
    raise _bad(table, column, bad, allowed)
