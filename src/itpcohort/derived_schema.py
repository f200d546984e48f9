"""The derived tables' contract: one declaration per mart (``architecture.md``; ``response-criteria.md``).

Each ``Mart`` names its columns in file order with their types (Ibis type names), the keys its rows
are sorted by, and the spec section that defines it. The derivation ends every mart on it
(``derive.marts``: the columns, cast to these types, in this order, sorted), the CSV writer lays
the files out by it (``derive.serialize.MART_LAYOUTS``), the analysis checks the columns it reads
against it (``analysis.tables``) and the tests compare the executed marts with it. Nothing here
imports a library: every layer may read it (the command line checks a protocol's course kind
here, ``check_buildable``, before anything loads Ibis).
"""

from __future__ import annotations

from dataclasses import dataclass

from itpcohort.errors import InputError


@dataclass(frozen=True)
class Mart:
    """One derived table: columns (name, Ibis type) in file order, sort keys, spec section."""

    name: str
    columns: tuple[tuple[str, str], ...]
    sort_by: tuple[str, ...]
    spec: str

    @property
    def names(self) -> tuple[str, ...]:
        """The column names, in file order."""
        return tuple(name for name, _ in self.columns)

    def type_of(self, column: str) -> str:
        """The declared Ibis type of ``column`` (KeyError when the mart has no such column)."""
        return dict(self.columns)[column]


COURSES = Mart(
    "courses",
    (
        ("center", "string"),
        ("patient_id", "string"),
        ("course_number", "int64"),
        ("start_date", "date"),
        ("end_date", "date"),
        ("n_infusions", "int64"),
        ("regimen", "string"),
        ("age_at_course", "int64"),
        ("itp_phase", "string"),
        ("prior_lines", "int64"),
        ("splenectomy_before", "boolean"),
        ("baseline_platelets", "float64"),
        ("response", "string"),
        ("response_date", "date"),
        ("time_to_response_days", "int64"),
        ("duration_days", "int64"),
        ("duration_censored", "boolean"),
        ("cr_duration_days", "int64"),
        ("cr_duration_censored", "boolean"),
        ("flags", "string"),
    ),
    sort_by=("center", "patient_id", "course_number"),
    spec='response-criteria.md, "Derived table courses"; sections 1-6',
)

PATIENT_BASELINE = Mart(
    "patient_baseline",
    (
        ("center", "string"),
        ("patient_id", "string"),
        ("sex", "string"),
        ("itp_type", "string"),
        ("secondary_cause", "string"),
        ("birth_date", "date"),
        ("diagnosis_date", "date"),
        ("age_at_diagnosis", "int64"),
        ("first_rtx_date", "date"),
        ("age_at_first_rtx", "int64"),
        ("n_courses", "int64"),
        ("has_count_after_course1", "boolean"),
        ("last_followup_date", "date"),
        ("death_date", "date"),
        ("followup_days", "int64"),
    ),
    sort_by=("center", "patient_id"),
    spec="response-criteria.md section 2; flagship-study.md, Population",
)

RETREATMENT = Mart(
    "retreatment",
    (
        ("center", "string"),
        ("patient_id", "string"),
        ("response_course1", "string"),
        ("response_course2", "string"),
        ("response_similar_or_better", "boolean"),
        ("duration_course1_days", "int64"),
        ("duration_course1_censored", "boolean"),
        ("duration_course2_days", "int64"),
        ("duration_course2_censored", "boolean"),
        ("duration_similar_or_longer", "boolean"),
    ),
    sort_by=("center", "patient_id"),
    spec="response-criteria.md section 7",
)

_AE_BY_COURSE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("center", "string"),
    ("patient_id", "string"),
    ("onset_date", "date"),
    ("event", "string"),
    ("ctcae_grade", "int32"),
    ("serious", "boolean"),
    ("course_number", "int64"),
    ("days_from_last_infusion", "int64"),
)
AE_BY_COURSE = Mart(
    "ae_by_course",
    _AE_BY_COURSE_COLUMNS,
    # every column: rows equal in all of them are the same row
    sort_by=tuple(c for c, _ in _AE_BY_COURSE_COLUMNS),
    spec="response-criteria.md section 8",
)

_INVESTIGATOR_COMPARISON_COLUMNS: tuple[tuple[str, str], ...] = (
    ("center", "string"),
    ("patient_id", "string"),
    ("course_number", "int64"),
    ("investigator_response", "string"),
    ("derived_response", "string"),
    ("agrees", "boolean"),
)
INVESTIGATOR_COMPARISON = Mart(
    "investigator_comparison",
    _INVESTIGATOR_COMPARISON_COLUMNS,
    # every column: rows equal in all of them are the same row
    sort_by=tuple(c for c, _ in _INVESTIGATOR_COMPARISON_COLUMNS),
    spec="response-criteria.md section 9",
)

PATIENT_TREATMENT_EVENTS = Mart(
    "patient_treatment_events",
    (
        ("center", "string"),
        ("patient_id", "string"),
        ("event_date", "date"),
        ("event", "string"),
        ("days_from_course1", "int64"),
        ("course_number", "int64"),
    ),
    sort_by=("center", "patient_id", "event_date", "event"),
    spec="response-criteria.md sections 2, 4 and 6",
)

#: every mart, in the order the derivation returns them and the CSV files are written
MARTS: tuple[Mart, ...] = (
    COURSES,
    PATIENT_BASELINE,
    RETREATMENT,
    AE_BY_COURSE,
    INVESTIGATOR_COMPARISON,
    PATIENT_TREATMENT_EVENTS,
)
MARTS_BY_NAME: dict[str, Mart] = {mart.name: mart for mart in MARTS}

EXPOSURE_COURSES = Mart(
    "courses",
    (
        ("center", "string"),
        ("patient_id", "string"),
        ("course_number", "int64"),
        ("agent", "string"),
        ("course_type", "string"),
        ("start_date", "date"),
        ("end_date", "date"),
        ("n_rows", "int64"),
        ("stop_reason", "string"),
        *(
            c
            for c in COURSES.columns
            if c[0] not in ("center", "patient_id", "course_number")
            and c[0] not in ("start_date", "end_date", "n_infusions", "regimen")
        ),
    ),
    sort_by=("center", "patient_id", "course_number"),
    spec='protocols.md, "Exposure courses" (the derived courses table; no regimen)',
)

_AE_BY_EXPOSURE_COURSE_COLUMNS: tuple[tuple[str, str], ...] = (
    *_AE_BY_COURSE_COLUMNS[:-1],
    ("days_from_course_end", "int64"),
)
AE_BY_EXPOSURE_COURSE = Mart(
    "ae_by_course",
    _AE_BY_EXPOSURE_COURSE_COLUMNS,
    sort_by=tuple(c for c, _ in _AE_BY_EXPOSURE_COURSE_COLUMNS),
    spec='protocols.md, "Exposure courses", rule 10',
)

#: every mart of an exposure protocol, in the order the derivation returns them and the CSV
#: files are written (no ``retreatment``: the analysis pairs the compared courses itself)
EXPOSURE_MARTS: tuple[Mart, ...] = (
    EXPOSURE_COURSES,
    PATIENT_BASELINE,
    AE_BY_EXPOSURE_COURSE,
    INVESTIGATOR_COMPARISON,
    PATIENT_TREATMENT_EVENTS,
)


def marts_of_kind(kind: str) -> tuple[Mart, ...]:
    """The marts of a protocol whose courses are of ``kind`` (``protocols.md``: ``exposure`` or
    ``infusions``), in the order the derivation returns them and the CSV files are written."""
    return EXPOSURE_MARTS if kind == "exposure" else MARTS


def mart_names(kind: str) -> tuple[str, ...]:
    """The names of ``marts_of_kind(kind)``, in order."""
    return tuple(mart.name for mart in marts_of_kind(kind))


#: the course kinds this derivation builds (``protocols.md``: infusion and exposure courses)
BUILT_KINDS = ("infusions", "exposure")


def check_buildable(kind: str) -> None:
    """Raise ``InputError`` (one line, exit 1) when courses of ``kind`` (a protocol's
    ``courses.kind``) are not built by the derivation yet (``protocols.md``, Exposure courses)."""
    if kind not in BUILT_KINDS:
        raise InputError(
            f"courses.kind = {kind!r}: {kind} courses are not built yet; this version derives "
            f"{', '.join(BUILT_KINDS)} courses only"
        )
