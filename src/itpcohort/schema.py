"""The input contract of ``data-model.md`` as data: tables, columns, types and vocabularies.

Every layer reads this module instead of repeating column names: the readers and validators of
``io/`` check input against it, ``store/`` creates the canonical DuckDB tables from it, ``synth/``
writes files in its layout and ``derive/`` reads the canonical columns it names.

Canonical tables hold the input as typed values, never re-interpreted beyond the conventions of the
data model (vocabulary case folded, booleans and units normalised, documented defaults applied), plus
provenance: ``source_file`` and ``source_row`` (line number in the file, header = 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ColumnType(StrEnum):
    """How a column's text is read (``data-model.md``, Conventions)."""

    TEXT = "text"
    DATE = "date"  # ISO YYYY-MM-DD, native Excel date, or a declared per-source format
    PARTIAL_DATE = "partial_date"  # also YYYY-MM and YYYY
    NUMBER = "number"
    INTEGER = "integer"
    VOCAB = "vocab"  # matched case-insensitively after trimming
    BOOLEAN = "boolean"


SEXES = ("F", "M")
ITP_TYPES = ("primary", "secondary")
SECONDARY_CAUSES = (
    "sle",
    "antiphospholipid",
    "cvid",
    "lymphoproliferative",
    "hcv",
    "hiv",
    "h_pylori",
    "drug",
    "other",
)

#: drug -> class (``data-model.md``, Drug vocabulary and classes)
DRUG_CLASSES: dict[str, str] = {
    "prednisone": "corticosteroids",
    "prednisolone": "corticosteroids",
    "methylprednisolone": "corticosteroids",
    "dexamethasone": "corticosteroids",
    "ivig": "ivig",
    "anti_d": "ivig",
    "eltrombopag": "tpo_ra",
    "romiplostim": "tpo_ra",
    "avatrombopag": "tpo_ra",
    "rituximab": "anti_cd20",
    "splenectomy": "splenectomy",
    "azathioprine": "immunosuppressant",
    "mycophenolate": "immunosuppressant",
    "ciclosporin": "immunosuppressant",
    "cyclophosphamide": "immunosuppressant",
    "sirolimus": "immunosuppressant",
    "dapsone": "other_itp",
    "danazol": "other_itp",
    "hydroxychloroquine": "other_itp",
    "vincristine": "other_itp",
    "vinblastine": "other_itp",
    "fostamatinib": "other_itp",
    "platelet_transfusion": "supportive",
    "tranexamic_acid": "supportive",
    "other": "other",
}
DRUGS = tuple(DRUG_CLASSES)
#: why a treatment row stopped: ``treatments.stop_reason`` (``protocols.md``, Data model additions),
#: in this order (the order decides between several rows ending on one day); empty means ``unknown``
STOP_REASONS = (
    "inefficacy",
    "loss_of_response",
    "fluctuation",
    "adverse_event",
    "patient_preference",
    "remission",
    "other",
    "unknown",
)
#: stop reasons after which the next exposure course's start is a loss of response; with any other
#: reason the duration is censored at the next course start (``protocols.md``, Exposure courses
#: rule 9)
LOSS_STOP_REASONS: tuple[str, ...] = ("inefficacy", "loss_of_response", "fluctuation", "unknown")
#: the other stop reasons, after which a response not lost before is censored at the next course
#: start (rule 9), in ``STOP_REASONS`` order
CENSORING_STOP_REASONS: tuple[str, ...] = tuple(
    reason for reason in STOP_REASONS if reason not in LOSS_STOP_REASONS
)

#: classes whose rows are always rescue, whatever the ``rescue`` column says
RESCUE_CLASSES = ("ivig", "supportive")
#: classes whose drugs each count as a line agent (corticosteroids count together as one agent)
LINE_AGENT_CLASSES = ("tpo_ra", "immunosuppressant", "other_itp", "other")
#: drugs whose empty ``end_date`` means a single day (administrations and procedures); rows of the
#: classes in RESCUE_CLASSES and rows flagged rescue are single-day too
SINGLE_DAY_DRUGS = (
    "rituximab",
    "vincristine",
    "vinblastine",
    "cyclophosphamide",
    "splenectomy",
)

DOSE_UNITS = ("mg", "mg/kg", "mg/m2", "g/kg", "ug/kg")

#: platelet unit spelling -> factor to 10^9/L
PLATELET_UNITS: dict[str, float] = {
    "10^9/l": 1.0,
    "g/l": 1.0,
    "x10^9/l": 1.0,
    "10^3/ul": 1.0,
    "10^3/mm3": 1.0,
    "/ul": 0.001,
    "/mm3": 0.001,
}
#: how each platelet unit of ``PLATELET_UNITS`` is written in messages and forms (the schema's
#: spelling is the case-folded form used for matching: ``10^9/l`` is written ``10^9/L``)
PLATELET_UNIT_SPELLINGS: dict[str, str] = {
    "10^9/l": "10^9/L",
    "g/l": "G/L",
    "x10^9/l": "x10^9/L",
    "10^3/ul": "10^3/uL",
    "10^3/mm3": "10^3/mm3",
    "/ul": "/uL",
    "/mm3": "/mm3",
}
PLATELET_MAX = 2000.0

BOOLEAN_SPELLINGS: dict[str, bool] = {
    "yes": True,
    "y": True,
    "true": True,
    "1": True,
    "oui": True,
    "no": False,
    "n": False,
    "false": False,
    "0": False,
    "non": False,
}

BLEEDING_SITES = (
    "skin",
    "mucosal",
    "epistaxis",
    "gingival",
    "gastrointestinal",
    "genitourinary",
    "menorrhagia",
    "intracranial",
    "other",
)
AE_EVENTS = (
    "infusion_reaction",
    "infection",
    "severe_infection",
    "hypogammaglobulinemia",
    "neutropenia",
    "hbv_reactivation",
    "pml",
    "serum_sickness",
    "thrombosis",
    "hepatotoxicity",
    "bone_marrow_fibrosis",
    "death",
    "other",
)
#: the adverse events added for TPO-RA safety (``protocols.md``, Data model additions); the safety
#: tables list them only when a study recorded one, so a study without them reports as before
TPO_RA_AE_EVENTS = ("hepatotoxicity", "bone_marrow_fibrosis")
BIOMARKER_TESTS = ("igg", "maipa_gpiibiiia", "maipa_gpib", "maipa_any", "ana", "cd19")
RESPONSES = ("CR", "R", "NR", "NE")

#: words that make a column name look like a direct identifier (English and French); a column whose
#: name contains one of these as a ``_``-separated word is refused for the whole file
IDENTIFIER_WORDS = (
    "name",
    "names",
    "firstname",
    "lastname",
    "surname",
    "nom",
    "prenom",
    "prénom",
    "nir",
    "ssn",
    "insee",
    "secu",
    "address",
    "adresse",
    "phone",
    "telephone",
    "téléphone",
    "tel",
    "mobile",
    "portable",
    "email",
    "mail",
    "courriel",
)


@dataclass(frozen=True)
class Column:
    """One input column: its type, whether it is required, and its allowed values or range."""

    name: str
    type: ColumnType
    required: bool = False
    vocabulary: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    #: a column that may be absent from the file (optional columns); required columns must exist
    #: in the header even when the table allows empty values nowhere else
    description: str = ""


@dataclass(frozen=True)
class Table:
    """One input table of the data model and the canonical table it becomes."""

    name: str
    required: bool
    columns: tuple[Column, ...]
    description: str = ""

    def column(self, name: str) -> Column:
        """Return the column called ``name`` (KeyError when the table has none)."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        """Names of the input columns, in data-model order."""
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Columns that must be present in the header (``center`` is required only in patients)."""
        return tuple(c.name for c in self.columns if c.required)


def _c(
    name: str,
    type_: ColumnType,
    required: bool = False,
    vocabulary: tuple[str, ...] = (),
    minimum: float | None = None,
    maximum: float | None = None,
    description: str = "",
) -> Column:
    return Column(name, type_, required, vocabulary, minimum, maximum, description)


T = ColumnType

PATIENTS = Table(
    "patients",
    True,
    (
        _c("patient_id", T.TEXT, True, description="the center's pseudonymous study code"),
        _c("center", T.TEXT, True, description="center code, e.g. TLS"),
        _c("sex", T.VOCAB, True, SEXES),
        _c("birth_date", T.PARTIAL_DATE, True),
        _c("diagnosis_date", T.PARTIAL_DATE, True, description="date of ITP diagnosis"),
        _c("itp_type", T.VOCAB, True, ITP_TYPES),
        _c("secondary_cause", T.VOCAB, False, SECONDARY_CAUSES, description="if secondary"),
        _c("last_followup_date", T.DATE, True),
        _c("death_date", T.DATE),
        _c("death_cause", T.TEXT),
    ),
    "one row per patient",
)

TREATMENTS = Table(
    "treatments",
    True,
    (
        _c("patient_id", T.TEXT, True),
        _c("center", T.TEXT),
        _c("drug", T.VOCAB, True, DRUGS),
        _c("drug_detail", T.TEXT, description="free text for drug = other"),
        _c("start_date", T.DATE, True),
        _c("end_date", T.DATE),
        _c("dose", T.NUMBER, minimum=0.0),
        _c("dose_unit", T.VOCAB, False, DOSE_UNITS),
        _c("rescue", T.BOOLEAN),
        _c("stop_reason", T.VOCAB, False, STOP_REASONS, description="empty = unknown"),
    ),
    "one row per exposure; rituximab and other infusions: one row per administration",
)

PLATELET_COUNTS = Table(
    "platelet_counts",
    True,
    (
        _c("patient_id", T.TEXT, True),
        _c("center", T.TEXT),
        _c("date", T.DATE, True),
        _c("platelets", T.NUMBER, True, minimum=0.0, maximum=PLATELET_MAX),
        _c("unit", T.VOCAB, False, tuple(PLATELET_UNITS)),
    ),
    "one row per platelet count",
)

BLEEDING_EVENTS = Table(
    "bleeding_events",
    False,
    (
        _c("patient_id", T.TEXT, True),
        _c("center", T.TEXT),
        _c("date", T.DATE, True),
        _c("site", T.VOCAB, True, BLEEDING_SITES),
        _c("who_grade", T.INTEGER, minimum=0, maximum=4),
        _c("severe", T.BOOLEAN),
    ),
    "one row per bleeding event",
)

ADVERSE_EVENTS = Table(
    "adverse_events",
    False,
    (
        _c("patient_id", T.TEXT, True),
        _c("center", T.TEXT),
        _c("onset_date", T.DATE, True),
        _c("event", T.VOCAB, True, AE_EVENTS),
        _c("ctcae_grade", T.INTEGER, minimum=1, maximum=5),
        _c("serious", T.BOOLEAN),
        _c("description", T.TEXT),
    ),
    "one row per adverse event",
)

BIOMARKERS = Table(
    "biomarkers",
    False,
    (
        _c("patient_id", T.TEXT, True),
        _c("center", T.TEXT),
        _c("date", T.DATE, True),
        _c("test", T.VOCAB, True, BIOMARKER_TESTS),
        _c("value", T.TEXT, True),
        _c("unit", T.TEXT),
    ),
    "one row per biomarker measurement",
)

INVESTIGATOR_ASSESSMENTS = Table(
    "investigator_assessments",
    False,
    (
        _c("patient_id", T.TEXT, True),
        _c("center", T.TEXT),
        _c("course_number", T.INTEGER, True, minimum=1),
        _c("response", T.VOCAB, True, RESPONSES),
        _c("response_date", T.DATE),
        _c("loss_of_response_date", T.DATE),
    ),
    "one row per rituximab course assessed by the center's investigator",
)

TABLES: tuple[Table, ...] = (
    PATIENTS,
    TREATMENTS,
    PLATELET_COUNTS,
    BLEEDING_EVENTS,
    ADVERSE_EVENTS,
    BIOMARKERS,
    INVESTIGATOR_ASSESSMENTS,
)
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

# Canonical DuckDB tables (what store/ creates and derive/ reads). Column order is the order below.
# Partial dates are stored at the middle of their period (YYYY-MM -> the 15th, YYYY -> 1 July) in
# the date column, with the precision given ("day", "month" or "year") beside it.
CANONICAL_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "patients": (
        ("center", "VARCHAR"),
        ("patient_id", "VARCHAR"),
        ("sex", "VARCHAR"),
        ("birth_date", "DATE"),
        ("birth_date_precision", "VARCHAR"),
        ("diagnosis_date", "DATE"),
        ("diagnosis_date_precision", "VARCHAR"),
        ("itp_type", "VARCHAR"),
        ("secondary_cause", "VARCHAR"),
        ("last_followup_date", "DATE"),
        ("death_date", "DATE"),
        ("death_cause", "VARCHAR"),
    ),
    "treatments": (
        ("center", "VARCHAR"),
        ("patient_id", "VARCHAR"),
        ("drug", "VARCHAR"),  # lower-case vocabulary value
        ("drug_class", "VARCHAR"),  # from DRUG_CLASSES
        ("drug_detail", "VARCHAR"),
        ("start_date", "DATE"),
        ("end_date", "DATE"),  # NULL as given: its meaning (single day / ongoing) is derive's
        ("dose", "DOUBLE"),
        ("dose_unit", "VARCHAR"),
        ("rescue", "BOOLEAN"),  # as given, empty -> false; class ivig/supportive rule is derive's
        ("stop_reason", "VARCHAR"),  # as given, lower-case; NULL (empty) means unknown
    ),
    "platelet_counts": (
        ("center", "VARCHAR"),
        ("patient_id", "VARCHAR"),
        ("date", "DATE"),
        ("platelets", "DOUBLE"),  # 10^9/L after unit conversion
        ("platelets_as_given", "VARCHAR"),
        ("unit", "VARCHAR"),  # as given, lower-cased; NULL = 10^9/L
    ),
    "bleeding_events": (
        ("center", "VARCHAR"),
        ("patient_id", "VARCHAR"),
        ("date", "DATE"),
        ("site", "VARCHAR"),
        ("who_grade", "INTEGER"),
        ("severe", "BOOLEAN"),  # empty -> who_grade >= 3 or site = intracranial
    ),
    "adverse_events": (
        ("center", "VARCHAR"),
        ("patient_id", "VARCHAR"),
        ("onset_date", "DATE"),
        ("event", "VARCHAR"),
        ("ctcae_grade", "INTEGER"),
        ("serious", "BOOLEAN"),  # NULL when not recorded
        ("description", "VARCHAR"),
    ),
    "biomarkers": (
        ("center", "VARCHAR"),
        ("patient_id", "VARCHAR"),
        ("date", "DATE"),
        ("test", "VARCHAR"),
        ("value", "VARCHAR"),
        ("unit", "VARCHAR"),
    ),
    "investigator_assessments": (
        ("center", "VARCHAR"),
        ("patient_id", "VARCHAR"),
        ("course_number", "INTEGER"),
        ("response", "VARCHAR"),  # upper-case CR / R / NR / NE
        ("response_date", "DATE"),
        ("loss_of_response_date", "DATE"),
    ),
}
PROVENANCE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("source_file", "VARCHAR"),
    ("source_row", "INTEGER"),
)
REJECTED_ROWS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("file", "VARCHAR"),
    ("row", "INTEGER"),
    ("column", "VARCHAR"),
    ("value", "VARCHAR"),
    ("reason", "VARCHAR"),
    ("table_name", "VARCHAR"),
)
