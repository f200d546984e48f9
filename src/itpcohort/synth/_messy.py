"""Realistic input errors injected into a fraction of the rows (``itpcohort synth --messy F``).

Each chosen row gets exactly one error of a kind that validation catches (``data-model.md``), in
one column, so that it gives exactly one problem ``file:row: column``: an unknown vocabulary value
(a brand name, a French word, a typo, a stop reason in French), an impossible date, a day-first date in an ISO center, a
partial date where a full one is required, text in a number column, a count typed per mm3 in a
G/L center, an end date before the start date, a death before diagnosis, a count after the last
follow-up, a patient entered twice, a row of a patient who is not in ``patients``, a secondary ITP
without its cause, a required cell left empty.

Rules that keep one error = one problem:

* a row gets at most one error, and only of a kind its content allows (a count after the last
  follow-up only for a living patient, since for a dead one it would also be after death...);
* when a ``patients`` row is corrupted or duplicated the importer holds back the whole patient, so
  no error is put in that patient's other rows;
* errors never touch a date another row is checked against (no corrupted last follow-up that
  would push valid counts after it).

The rows of the other tables are chosen with probability F / (1 - F), so that about F of all rows
hold an error although the rows of corrupted patients are spared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from itpcohort import schema
from itpcohort.synth._arrays import NO_DATE, Table
from itpcohort.synth._cohort import Chunk
from itpcohort.synth._csvtext import join_rows
from itpcohort.synth._render import CenterText, Columns, integers, iso_dates, numbers, vocab

#: kinds of injected errors, as written in the ``kind`` column of ``injected_errors.csv``
KINDS = (
    "unknown_value",
    "bad_date",
    "undeclared_date_format",
    "partial_date",
    "not_a_number",
    "out_of_range",
    "end_before_start",
    "death_before_diagnosis",
    "after_last_followup",
    "duplicate_patient",
    "unknown_patient",
    "missing_secondary_cause",
    "required_empty",
)

_DRUG_WRONG = {
    "rituximab": ("ritux", "mabthera"),
    "prednisone": ("cortancyl", "predni"),
    "prednisolone": ("solupred",),
    "methylprednisolone": ("solumedrol", "methylpred"),
    "dexamethasone": ("dexa",),
    "ivig": ("IgIV", "tegeline"),
    "anti_d": ("rhophylac",),
    "eltrombopag": ("revolade",),
    "romiplostim": ("nplate",),
    "avatrombopag": ("doptelet",),
    "splenectomy": ("splénectomie",),
    "azathioprine": ("imurel",),
    "mycophenolate": ("cellcept",),
    "ciclosporin": ("cyclosporine",),
    "cyclophosphamide": ("endoxan",),
    "sirolimus": ("rapamune",),
    "dapsone": ("disulone",),
    "danazol": ("danatrol",),
    "hydroxychloroquine": ("plaquenil",),
    "vincristine": ("oncovin",),
    "vinblastine": ("velbe",),
    "fostamatinib": ("tavlesse",),
    "platelet_transfusion": ("CPA", "transfusion"),
    "tranexamic_acid": ("exacyl",),
    "other": ("autre",),
}
_CAUSE_WRONG = (
    "lupus",
    "SAPL",
    "DICV",
    "CLL",
    "hepatitis C",
    "VIH",
    "helicobacter",
    "drug-induced",
    "autre",
)
_DOSE_UNIT_WRONG = ("mg/j", "mg/kg/j", "mg/m²", "g/kg/j", "µg/kg")
_SITE_WRONG = (
    "purpura",
    "bouche",
    "nose bleed",
    "gums",
    "GI",
    "hematuria",
    "menometrorrhagia",
    "ICH",
    "autre",
)
#: a wrong spelling of each adverse event, by event: in ``schema.AE_EVENTS`` order below
_EVENT_WRONG_BY_NAME = {
    "infusion_reaction": "infusion reaction",
    "infection": "pneumonia",
    "severe_infection": "sepsis",
    "hypogammaglobulinemia": "hypogamma",
    "neutropenia": "neutropénie",
    "hbv_reactivation": "HBV",
    "pml": "LEMP",
    "serum_sickness": "maladie sérique",
    "thrombosis": "DVT",
    "hepatotoxicity": "hépatotoxicité",
    "bone_marrow_fibrosis": "myélofibrose",
    "death": "décès",
    "other": "other event",
}
_EVENT_WRONG = tuple(_EVENT_WRONG_BY_NAME[event] for event in schema.AE_EVENTS)
#: a wrong spelling of each stop reason (``treatments.stop_reason``), by reason: in
#: ``schema.STOP_REASONS`` order below
_STOP_REASON_WRONG_BY_NAME = {
    "inefficacy": "échec",
    "loss_of_response": "rechute",
    "fluctuation": "fluctuations",
    "adverse_event": "side effect",
    "patient_preference": "choix du patient",
    "remission": "rémission",
    "other": "autre",
    "unknown": "inconnu",
}
_STOP_REASON_WRONG = tuple(_STOP_REASON_WRONG_BY_NAME[r] for r in schema.STOP_REASONS)
_TEST_WRONG = ("IgG totales", "MAIPA", "MAIPA Ib", "MAIPA (any)", "AAN", "CD19+ count")
_RESPONSE_WRONG = ("RC", "RP", "échec", "?")
_ROMAN = ("0", "I", "II", "III", "IV", "V")

#: typed column holding the days of each date column
_DAYS = {
    ("patients", "birth_date"): "birth",
    ("patients", "diagnosis_date"): "diagnosis",
    ("patients", "last_followup_date"): "last_followup",
    ("patients", "death_date"): "death",
    ("treatments", "start_date"): "start",
    ("treatments", "end_date"): "end",
    ("platelet_counts", "date"): "date",
    ("bleeding_events", "date"): "date",
    ("adverse_events", "onset_date"): "date",
    ("biomarkers", "date"): "date",
    ("investigator_assessments", "response_date"): "response_date",
    ("investigator_assessments", "loss_of_response_date"): "loss_date",
}


@dataclass(frozen=True)
class _Context:
    table: str
    typed: Table
    chunk: Chunk
    text: CenterText
    columns: Columns
    rng: np.random.Generator

    def patient(self, name: str, rows: np.ndarray) -> np.ndarray:
        """A patients column for the given rows of this table."""
        pidx = self.typed["pidx"][rows]
        return self.chunk.patients[name][pidx]

    def days(self, column: str, rows: np.ndarray) -> np.ndarray:
        return self.typed[_DAYS[(self.table, column)]][rows]


Applies = Callable[[_Context, np.ndarray], np.ndarray]
Make = Callable[[_Context, np.ndarray], pa.Array]


@dataclass(frozen=True)
class _Spec:
    kind: str
    column: str
    applies: Applies
    make: Make


def _always(ctx: _Context, rows: np.ndarray) -> np.ndarray:
    return np.ones(rows.size, dtype=bool)


def _iso_center(ctx: _Context, rows: np.ndarray) -> np.ndarray:
    return np.full(rows.size, ctx.text.style.date_format == "iso")


def _has_date(column: str) -> Applies:
    return lambda ctx, rows: ctx.days(column, rows) != NO_DATE


def _empty(ctx: _Context, rows: np.ndarray) -> pa.Array:
    return pa.nulls(rows.size, pa.string())


def _bad_date(column: str) -> Make:
    """An impossible date in the center's format: 30 February or month 13."""

    def make(ctx: _Context, rows: np.ndarray) -> pa.Array:
        iso = iso_dates(ctx.days(column, rows))
        year, day = pc.utf8_slice_codeunits(iso, 0, 4), pc.utf8_slice_codeunits(iso, 8, 10)
        feb30 = ctx.rng.random(rows.size) < 0.5
        if ctx.text.style.date_format == "dmy":
            a = pc.binary_join_element_wise("30/02", year, "/")
            b = pc.binary_join_element_wise(day, "13", year, "/")
        else:
            a = pc.binary_join_element_wise(year, "02-30", "-")
            b = pc.binary_join_element_wise(year, "13", day, "-")
        return pc.if_else(pa.array(feb30), a, b)

    return make


def _day_first(column: str) -> Make:
    """The same date written dd/mm/yyyy, undeclared in an ISO center."""

    def make(ctx: _Context, rows: np.ndarray) -> pa.Array:
        iso = iso_dates(ctx.days(column, rows))
        return pc.binary_join_element_wise(
            pc.utf8_slice_codeunits(iso, 8, 10),
            pc.utf8_slice_codeunits(iso, 5, 7),
            pc.utf8_slice_codeunits(iso, 0, 4),
            "/",
        )

    return make


def _month_only(column: str) -> Make:
    """The month of the date only (YYYY-MM, or MM/YYYY in a day-first center)."""

    def make(ctx: _Context, rows: np.ndarray) -> pa.Array:
        iso = iso_dates(ctx.days(column, rows))
        if ctx.text.style.date_format == "dmy":
            return pc.binary_join_element_wise(
                pc.utf8_slice_codeunits(iso, 5, 7), pc.utf8_slice_codeunits(iso, 0, 4), "/"
            )
        return pc.utf8_slice_codeunits(iso, 0, 7)

    return make


def _date_specs(column: str, required: bool) -> list[_Spec]:
    applies = _always if required else _has_date(column)
    return [
        _Spec("bad_date", column, applies, _bad_date(column)),
        _Spec(
            "undeclared_date_format",
            column,
            lambda ctx, rows: applies(ctx, rows) & _iso_center(ctx, rows),
            _day_first(column),
        ),
        _Spec("partial_date", column, applies, _month_only(column)),
    ]


def _wrong(names: tuple[str, ...], source: str) -> Make:
    def make(ctx: _Context, rows: np.ndarray) -> pa.Array:
        return vocab(ctx.typed[source][rows], names)

    return make


def _wrong_drug(ctx: _Context, rows: np.ndarray) -> pa.Array:
    first = [_DRUG_WRONG[d][0] for d in schema.DRUGS]
    second = [_DRUG_WRONG[d][-1] for d in schema.DRUGS]
    drug = ctx.typed["drug"][rows]
    pick_second = ctx.rng.random(rows.size) < 0.5
    return pc.if_else(pa.array(pick_second), vocab(drug, second), vocab(drug, first))


def _unknown_patient(ctx: _Context, rows: np.ndarray) -> pa.Array:
    return ctx.text.unknown_ids(ctx.text.first_number + ctx.typed["pidx"][rows])


def _days_text(ctx: _Context, days: np.ndarray) -> pa.Array:
    return ctx.text.dates(days)


def _shifted(anchor: Callable[[_Context, np.ndarray], np.ndarray], low: int, high: int) -> Make:
    """The date ``low``..``high`` days after ``anchor`` (before it when negative)."""

    def make(ctx: _Context, rows: np.ndarray) -> pa.Array:
        return _days_text(ctx, anchor(ctx, rows) + ctx.rng.integers(low, high + 1, rows.size))

    return make


def _dose_text(ctx: _Context, rows: np.ndarray) -> pa.Array:
    """``1 000`` (a thousands separator) or ``375 mg/m2`` (the unit in the number cell)."""
    dose = ctx.typed["dose"][rows]
    whole = np.nan_to_num(dose).astype(np.int64)
    thousands = pc.binary_join_element_wise(
        integers(whole // 1000), pc.utf8_lpad(integers(whole % 1000), 3, "0"), " "
    )
    unit = vocab(
        np.where(ctx.typed["dose_unit"][rows] < 0, 0, ctx.typed["dose_unit"][rows]),
        schema.DOSE_UNITS,
    )
    with_unit = pc.binary_join_element_wise(numbers(dose), unit, " ")
    return pc.if_else(pa.array(dose >= 1000), thousands, with_unit)


def _platelets_text(ctx: _Context, rows: np.ndarray) -> pa.Array:
    """``45 000`` per mm3, ``<10`` or a decimal comma ``12,5`` elsewhere."""
    value = ctx.typed["platelets"][rows]
    if ctx.text.style.platelet_unit == "/mm3":
        return pc.binary_join_element_wise(integers(value), "000", " ")
    comma = pc.binary_join_element_wise(integers(value), "5", ",")
    return pc.if_else(pa.array(value < 10), pa.scalar("<10"), comma)


# --- when an error applies to a row ------------------------------------------------------------


def _primary(ctx: _Context, rows: np.ndarray) -> np.ndarray:
    return ~ctx.typed["secondary"][rows]


def _secondary(ctx: _Context, rows: np.ndarray) -> np.ndarray:
    return ctx.typed["secondary"][rows].copy()


def _diagnosed_after_age_5(ctx: _Context, rows: np.ndarray) -> np.ndarray:
    """A death moved 400-800 days before diagnosis stays well after birth."""
    return ctx.typed["diagnosis"][rows] - ctx.typed["birth"][rows] > 5 * 366


def _has_dose(ctx: _Context, rows: np.ndarray) -> np.ndarray:
    return ~np.isnan(ctx.typed["dose"][rows])


def _has_dose_unit(ctx: _Context, rows: np.ndarray) -> np.ndarray:
    return (ctx.typed["dose_unit"][rows] >= 0) & ctx.text.style.dose_unit_filled


def _alive(ctx: _Context, rows: np.ndarray) -> np.ndarray:
    """A count after the last follow-up of a dead patient would also be after death."""
    return ctx.patient("death", rows) == NO_DATE


def _count_in_g_per_l(ctx: _Context, rows: np.ndarray) -> np.ndarray:
    """x1000 leaves the range 0..2000 for counts of 3 or more written in 10^9/L."""
    return (ctx.text.style.platelet_unit != "/mm3") & (ctx.typed["platelets"][rows] >= 3)


def _has_unit_column(ctx: _Context, rows: np.ndarray) -> np.ndarray:
    return np.full(rows.size, ctx.text.style.platelet_unit is not None)


def _has_stop_reason(ctx: _Context, rows: np.ndarray) -> np.ndarray:
    return ctx.typed["stop_reason"][rows] >= 0


def _graded(ctx: _Context, rows: np.ndarray) -> np.ndarray:
    return ctx.typed["grade"][rows] >= 0


# --- the wrong text written -------------------------------------------------------------------


def _french_sex(ctx: _Context, rows: np.ndarray) -> pa.Array:
    return pa.array(np.where(ctx.typed["female"][rows], "femme", "homme"))


def _french_primary(ctx: _Context, rows: np.ndarray) -> pa.Array:
    return pa.array(["primaire"] * rows.size, pa.string())


def _per_mm3_without_unit(ctx: _Context, rows: np.ndarray) -> pa.Array:
    return integers(ctx.typed["platelets"][rows] * 1000)


def _unit_spelling(ctx: _Context, rows: np.ndarray) -> pa.Array:
    return pa.array(["giga/L"] * rows.size, pa.string())


def _grade_range(ctx: _Context, rows: np.ndarray) -> pa.Array:
    """``2-3``: a grade hesitated between two values."""
    grade = ctx.typed["grade"][rows]
    return pc.binary_join_element_wise(integers(grade), integers(grade + 1), "-")


def _course_label(ctx: _Context, rows: np.ndarray) -> pa.Array:
    """``C2`` instead of ``2``."""
    return pc.binary_join_element_wise("C", integers(ctx.typed["course"][rows]), "")


def _diagnosis(ctx: _Context, rows: np.ndarray) -> np.ndarray:
    return ctx.typed["diagnosis"][rows]


def _start(ctx: _Context, rows: np.ndarray) -> np.ndarray:
    return ctx.typed["start"][rows]


def _last_followup(ctx: _Context, rows: np.ndarray) -> np.ndarray:
    return ctx.patient("last_followup", rows)


def _required(column: str, applies: Applies = _always) -> _Spec:
    return _Spec("required_empty", column, applies, _empty)


_UNKNOWN_PATIENT = _Spec("unknown_patient", "patient_id", _always, _unknown_patient)

#: the errors a row of each table can receive
_SPECS: dict[str, tuple[_Spec, ...]] = {
    "patients": (
        _Spec("unknown_value", "sex", _always, _french_sex),
        _Spec("unknown_value", "itp_type", _primary, _french_primary),
        _Spec("unknown_value", "secondary_cause", _secondary, _wrong(_CAUSE_WRONG, "cause")),
        _Spec("bad_date", "birth_date", _always, _bad_date("birth_date")),
        _Spec("bad_date", "diagnosis_date", _always, _bad_date("diagnosis_date")),
        *_date_specs("last_followup_date", True),
        _Spec(
            "death_before_diagnosis",
            "death_date",
            _diagnosed_after_age_5,
            _shifted(_diagnosis, -800, -400),
        ),
        _Spec("missing_secondary_cause", "secondary_cause", _secondary, _empty),
        _required("sex"),
        _required("birth_date"),
        _required("diagnosis_date"),
        _required("itp_type", _primary),
        _required("last_followup_date"),
        _Spec("duplicate_patient", "patient_id", _always, _empty),
    ),
    "treatments": (
        _Spec("unknown_value", "drug", _always, _wrong_drug),
        _Spec("unknown_value", "dose_unit", _has_dose_unit, _wrong(_DOSE_UNIT_WRONG, "dose_unit")),
        *_date_specs("start_date", True),
        _Spec("bad_date", "end_date", _has_date("end_date"), _bad_date("end_date")),
        _Spec("not_a_number", "dose", _has_dose, _dose_text),
        _Spec("end_before_start", "end_date", _always, _shifted(_start, -30, -1)),
        # only where the column is written (exposure cohorts; an infusion cohort has none)
        _Spec(
            "unknown_value",
            "stop_reason",
            _has_stop_reason,
            _wrong(_STOP_REASON_WRONG, "stop_reason"),
        ),
        _required("drug"),
        _required("start_date"),
        _UNKNOWN_PATIENT,
    ),
    "platelet_counts": (
        *_date_specs("date", True),
        _Spec("not_a_number", "platelets", _always, _platelets_text),
        _Spec("out_of_range", "platelets", _count_in_g_per_l, _per_mm3_without_unit),
        _Spec("unknown_value", "unit", _has_unit_column, _unit_spelling),
        _Spec("after_last_followup", "date", _alive, _shifted(_last_followup, 1, 60)),
        _required("date"),
        _required("platelets"),
        _UNKNOWN_PATIENT,
    ),
    "bleeding_events": (
        *_date_specs("date", True),
        _Spec("unknown_value", "site", _always, _wrong(_SITE_WRONG, "site")),
        _Spec("not_a_number", "who_grade", _graded, _grade_range),
        _required("site"),
        _required("date"),
        _UNKNOWN_PATIENT,
    ),
    "adverse_events": (
        *_date_specs("onset_date", True),
        _Spec("unknown_value", "event", _always, _wrong(_EVENT_WRONG, "event")),
        _Spec("not_a_number", "ctcae_grade", _graded, _wrong(_ROMAN, "grade")),
        _required("event"),
        _required("onset_date"),
        _UNKNOWN_PATIENT,
    ),
    "biomarkers": (
        *_date_specs("date", True),
        _Spec("unknown_value", "test", _always, _wrong(_TEST_WRONG, "test")),
        _required("value"),
        _required("date"),
        _UNKNOWN_PATIENT,
    ),
    "investigator_assessments": (
        _Spec("unknown_value", "response", _always, _wrong(_RESPONSE_WRONG, "response")),
        _Spec("bad_date", "response_date", _has_date("response_date"), _bad_date("response_date")),
        _Spec("not_a_number", "course_number", _always, _course_label),
        _required("response"),
        _UNKNOWN_PATIENT,
    ),
}


@dataclass(frozen=True)
class Injected:
    """The errors put in one table of one chunk.

    ``order`` gives the rows to write (indices into the chunk's rows; a duplicated patient appears
    twice, one after the other), or None when the rows are written as they are. ``line``
    (0-based position among the written rows of the chunk), ``column`` and ``kind`` list the
    problems, one per entry.
    """

    columns: Columns
    order: np.ndarray | None
    line: np.ndarray
    column: np.ndarray
    kind: np.ndarray


def _choose(
    table: str,
    typed: Table,
    chunk: Chunk,
    text: CenterText,
    columns: Columns,
    candidates: np.ndarray,
    rng: np.random.Generator,
) -> tuple[list[_Spec], np.ndarray, np.ndarray, _Context]:
    """Pick one applicable error per candidate row (rows with none are dropped)."""
    ctx = _Context(table, typed, chunk, text, columns, rng)
    specs = [s for s in _SPECS[table] if s.column in columns]
    applicable = np.stack([s.applies(ctx, candidates) for s in specs], axis=1)
    score = np.where(applicable, rng.random(applicable.shape), -1.0)
    choice = np.argmax(score, axis=1)
    usable = applicable.any(axis=1)
    return specs, candidates[usable], choice[usable], ctx


def inject(
    table: str,
    chunk: Chunk,
    text: CenterText,
    columns: Columns,
    rate: float,
    spared_patients: np.ndarray,
    rng: np.random.Generator,
) -> Injected:
    """Put errors in about ``rate`` of the rows of ``table`` (module docstring). For ``patients``,
    ``spared_patients`` is filled in place with the patients whose row was corrupted; for the other
    tables the rows of those patients are left alone."""
    typed = chunk.table(table)
    n_rows = len(typed["pidx"])
    if table == "patients":
        chosen = rng.random(n_rows) < rate
    else:
        child_rate = 1.0 if rate >= 0.5 else rate / (1.0 - rate)
        chosen = (rng.random(n_rows) < child_rate) & ~spared_patients[typed["pidx"]]
    candidates = np.flatnonzero(chosen)
    specs, rows, choice, ctx = _choose(table, typed, chunk, text, columns, candidates, rng)
    columns = dict(columns)
    kinds: list[np.ndarray] = []
    names: list[np.ndarray] = []
    positions: list[np.ndarray] = []
    duplicated = np.zeros(0, dtype=np.int64)
    for index, spec in enumerate(specs):
        these = rows[choice == index]
        if these.size == 0:
            continue
        if spec.kind == "duplicate_patient":
            duplicated = these
            continue
        mask = np.zeros(n_rows, dtype=bool)
        mask[these] = True
        # replace_with_mask takes the replacements in row order
        columns[spec.column] = pc.replace_with_mask(
            columns[spec.column], pa.array(mask), spec.make(ctx, these)
        )
        positions.append(these)
        names.append(np.full(these.size, spec.column, dtype=object))
        kinds.append(np.full(these.size, spec.kind, dtype=object))
    if table == "patients":
        spared_patients[typed["pidx"][rows]] = True
    order = None
    line = np.concatenate(positions) if positions else np.zeros(0, dtype=np.int64)
    if duplicated.size:
        order = np.sort(np.concatenate([np.arange(n_rows), duplicated]), kind="stable")
        # a row's written position moves down by the number of copies inserted above it
        shift = np.searchsorted(np.sort(duplicated), line, side="left")
        line = line + shift
        first = duplicated + np.searchsorted(np.sort(duplicated), duplicated, side="left")
        line = np.concatenate([line, first, first + 1])
        names.append(np.full(2 * duplicated.size, "patient_id", dtype=object))
        kinds.append(np.full(2 * duplicated.size, "duplicate_patient", dtype=object))
    return Injected(
        columns=columns,
        order=order,
        line=line,
        column=np.concatenate(names) if names else np.zeros(0, dtype=object),
        kind=np.concatenate(kinds) if kinds else np.zeros(0, dtype=object),
    )


def manifest_lines(file: str, row: np.ndarray, column: np.ndarray, kind: np.ndarray) -> str:
    """The ``injected_errors.csv`` lines (``file,row,column,kind``) of the problems injected in one
    file, by row (``row`` is the line in the file, header = 1; ties keep their order)."""
    if row.size == 0:
        return ""
    order = np.argsort(row, kind="stable")
    block = join_rows(
        [
            pa.array([file] * row.size, pa.string()),
            pc.cast(pa.array(row[order]), pa.string()),
            pa.array(column[order], pa.string()),
            pa.array(kind[order], pa.string()),
        ],
        ",",
        "\n",
    )
    return bytes(block).decode("utf-8")
