"""Turn simulated typed tables into the text cells a center writes, in that center's habits.

Every column becomes a pyarrow string array (null = empty cell), built with whole-array pyarrow
compute kernels: dates, numbers, vocabulary spellings, booleans, units and identifiers are
formatted for all rows of a chunk at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from itpcohort import schema
from itpcohort.synth._arrays import NO_DATE, Table
from itpcohort.synth._centers import CenterStyle
from itpcohort.synth._cohort import Chunk
from itpcohort.synth._vocab import AE_DESCRIPTIONS, DEATH_CAUSES, OTHER_DRUG_DETAILS

Columns = dict[str, pa.Array]

_TREATMENT_COMMENTS = ("day hospital", "dose adaptée au poids", "with paracetamol; antihistamine")
_COUNT_COMMENTS = ("contrôle", "sample clotted, repeated", "tube citraté (pseudo-thrombopénie ?)")


def id_width(n_center_patients: int) -> int:
    """Digits of the patient numbers of a center (``TLS-00012``): at least 5."""
    return max(5, len(str(n_center_patients)))


@dataclass(frozen=True)
class CenterText:
    """Formatting of one center's cells: its style and the identifiers of the current chunk."""

    style: CenterStyle
    width: int
    first_number: int  # patient number of local patient 0 (1-based)

    def patient_ids(self, n: int) -> pa.Array:
        """The ``n`` pseudonymous ids of the chunk's patients (``TLS-00012``)."""
        numbers = pa.array(np.arange(self.first_number, self.first_number + n))
        padded = pc.utf8_lpad(pc.cast(numbers, pa.string()), self.width, "0")
        return pc.binary_join_element_wise(f"{self.style.code}-", padded, "")

    def unknown_ids(self, numbers: np.ndarray) -> pa.Array:
        """Identifiers that no patient has (one digit too many, a double-typed key)."""
        padded = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), self.width + 1, "0")
        return pc.binary_join_element_wise(f"{self.style.code}-", padded, "")

    def dates(self, days: np.ndarray) -> pa.Array:
        """Full dates in the center's format; ``NO_DATE`` gives an empty cell."""
        iso = iso_dates(days)
        return dmy(iso) if self.style.date_format == "dmy" else iso

    def partial_dates(self, days: np.ndarray, precision: np.ndarray) -> pa.Array:
        """Dates cut to ``YYYY-MM`` (precision 1) or ``YYYY`` (2); a day-first center writes its
        partial dates as a bare year, the one partial form that cannot be misread."""
        iso = iso_dates(days)
        full = dmy(iso) if self.style.date_format == "dmy" else iso
        month = pc.utf8_slice_codeunits(iso, 0, 7)
        year = pc.utf8_slice_codeunits(iso, 0, 4)
        if self.style.date_format == "dmy":
            month = year
        return pc.case_when(
            pc.make_struct(pa.array(precision == 1), pa.array(precision == 2)), month, year, full
        )

    def booleans(self, values: np.ndarray) -> pa.Array:
        """The center's spelling of yes/no; false left empty by centers that rely on the default."""
        true, false = self.style.booleans
        index = values.astype(np.int64)
        if not self.style.fill_false:
            index = np.where(values, 1, -1)
        return vocab(index, (false, true))

    def drug_names(self) -> list[str]:
        """Drug vocabulary in the center's letter case."""
        return [_case(d, self.style.drug_case) for d in schema.DRUGS]


#: how clinicians capitalise the names that are not plain words
_CAPITALISED = {"ivig": "IVIg", "anti_d": "Anti_D"}


def _case(word: str, case: str) -> str:
    if case == "capitalised":
        return _CAPITALISED.get(word, word.capitalize())
    if case == "upper":
        return word.upper()
    return word


def iso_dates(days: np.ndarray) -> pa.Array:
    """``YYYY-MM-DD`` strings of days since 1970-01-01; ``NO_DATE`` gives null."""
    missing = days == NO_DATE
    values = np.where(missing, 0, days).astype("datetime64[D]")
    return pc.cast(pa.array(values, mask=missing), pa.string())


def dmy(iso: pa.Array) -> pa.Array:
    """``DD/MM/YYYY`` from ``YYYY-MM-DD`` strings (null stays null)."""
    return pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(iso, 8, 10),
        pc.utf8_slice_codeunits(iso, 5, 7),
        pc.utf8_slice_codeunits(iso, 0, 4),
        "/",
    )


def vocab(index: np.ndarray, names: list[str] | tuple[str, ...]) -> pa.Array:
    """``names[index]``; a negative index gives an empty cell."""
    missing = index < 0
    return pa.array(list(names), pa.string()).take(
        pa.array(np.where(missing, 0, index), mask=missing)
    )


def integers(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """Whole numbers as text; ``missing`` rows empty."""
    return pc.cast(pa.array(values.astype(np.int64), mask=missing), pa.string())


def numbers(values: np.ndarray) -> pa.Array:
    """Numbers as their shortest text (``375``, ``0.5``); NaN gives an empty cell."""
    return pc.cast(pa.array(values, mask=np.isnan(values)), pa.string())


def _constant(value: str | None, n: int) -> pa.Array:
    return pa.array([value], pa.string()).take(pa.array(np.zeros(n, dtype=np.int64)))


def _sparse_text(
    rng: np.random.Generator, n: int, share: float, texts: tuple[str, ...]
) -> pa.Array:
    chosen = rng.integers(0, len(texts), n)
    return vocab(np.where(rng.random(n) < share, chosen, -1), texts)


def render_chunk(chunk: Chunk, text: CenterText, rng: np.random.Generator) -> dict[str, Columns]:
    """Every table of ``chunk`` as text columns, keyed by table then column (data-model names;
    ``_layout.column_order`` decides which are written and in which order)."""
    style = text.style
    ids = text.patient_ids(chunk.n)
    code = style.code
    out: dict[str, Columns] = {}

    p = chunk.patients
    n = chunk.n
    out["patients"] = {
        "patient_id": ids,
        "center": _constant(code, n),
        "sex": vocab(p["female"].astype(np.int64), ("M", "F")),
        "birth_date": text.partial_dates(p["birth"], p["birth_precision"]),
        "diagnosis_date": text.partial_dates(
            p["diagnosis"], np.where(style.date_format == "dmy", 0, p["diagnosis_precision"])
        ),
        "itp_type": vocab(p["secondary"].astype(np.int64), ("primary", "secondary")),
        "secondary_cause": vocab(
            p["cause"],
            [
                _case(c, "upper" if style.drug_case == "upper" else "lower")
                for c in schema.SECONDARY_CAUSES
            ],
        ),
        "last_followup_date": text.dates(p["last_followup"]),
        "death_date": text.dates(p["death"]),
        "death_cause": vocab(p["death_cause"], DEATH_CAUSES),
    }

    def child(table: Table) -> Columns:
        rows = len(table["pidx"])
        columns: Columns = {"patient_id": ids.take(pa.array(table["pidx"]))}
        if style.center_in_child_tables:
            columns["center"] = _constant(code, rows)
        return columns

    t = chunk.treatments
    rows = len(t["pidx"])
    drug_class = np.array([schema.DRUG_CLASSES[d] for d in schema.DRUGS])[t["drug"]]
    by_class = np.isin(drug_class, schema.RESCUE_CLASSES)
    flagged = t["rescue"] == 1
    rescue = text.booleans(flagged | by_class)
    if not style.fill_false:
        # centers relying on the rule leave the column empty for IVIg and transfusions
        rescue = pc.if_else(pa.array(flagged), rescue, pa.scalar(None, pa.string()))
    treatments = child(t)
    treatments.update(
        {
            "drug": vocab(t["drug"], text.drug_names()),
            "drug_detail": vocab(t["detail"], OTHER_DRUG_DETAILS),
            "start_date": text.dates(t["start"]),
            "end_date": text.dates(t["end"]),
            "dose": numbers(t["dose"]),
            "dose_unit": vocab(
                t["dose_unit"] if style.dose_unit_filled else np.full(rows, -1), schema.DOSE_UNITS
            ),
            "rescue": rescue,
        }
    )
    if style.comment:
        treatments["comment"] = _sparse_text(rng, rows, 0.03, _TREATMENT_COMMENTS)
    out["treatments"] = treatments

    c = chunk.platelet_counts
    rows = len(c["pidx"])
    counts = child(c)
    per_mm3 = style.platelet_unit == "/mm3"
    counts.update(
        {
            "date": text.dates(c["date"]),
            "platelets": integers(c["platelets"] * (1000 if per_mm3 else 1)),
        }
    )
    if style.platelet_unit is not None:
        counts["unit"] = _constant(style.platelet_unit, rows)
    if style.comment:
        counts["comment"] = _sparse_text(rng, rows, 0.01, _COUNT_COMMENTS)
    out["platelet_counts"] = counts

    b = chunk.bleeding_events
    rows = len(b["pidx"])
    no_grade = rng.random(rows) < 0.1
    bleeding = child(b)
    bleeding.update(
        {
            "date": text.dates(b["date"]),
            "site": vocab(b["site"], schema.BLEEDING_SITES),
            "who_grade": integers(b["grade"], no_grade | (b["grade"] < 0)),
            "severe": text.booleans(b["severe"]),
        }
    )
    out["bleeding_events"] = bleeding

    a = chunk.adverse_events
    adverse = child(a)
    adverse.update(
        {
            "onset_date": text.dates(a["date"]),
            "event": vocab(a["event"], schema.AE_EVENTS),
            "ctcae_grade": integers(a["grade"], a["grade"] < 0),
            "serious": text.booleans(a["serious"]),
            "description": vocab(a["description"], AE_DESCRIPTIONS),
        }
    )
    out["adverse_events"] = adverse

    m = chunk.biomarkers
    categorical = m["positive"] >= 0
    value = pc.if_else(
        pa.array(categorical),
        vocab(m["positive"], ("negative", "positive")),
        numbers(m["number"]),
    )
    biomarkers = child(m)
    biomarkers.update(
        {
            "date": text.dates(m["date"]),
            "test": vocab(m["test"], schema.BIOMARKER_TESTS),
            "value": value,
            "unit": vocab(m["unit"], ("g/L", "cells/uL")),
        }
    )
    out["biomarkers"] = biomarkers

    i = chunk.investigator_assessments
    assessments = child(i)
    assessments.update(
        {
            "course_number": integers(i["course"]),
            "response": vocab(i["response"], schema.RESPONSES),
            "response_date": text.dates(i["response_date"]),
            "loss_of_response_date": text.dates(i["loss_date"]),
        }
    )
    out["investigator_assessments"] = assessments
    return out


def column_order(table: str, style: CenterStyle) -> list[str]:
    """The columns a center writes for ``table``, in its order: the data-model order with the
    optional ``center``/``unit`` columns only where the center has them, then ``comment``; a
    reordering center keeps ``patient_id`` first and writes the rest backwards."""
    names = [c for c in schema.TABLES_BY_NAME[table].column_names]
    if table != "patients" and not style.center_in_child_tables:
        names.remove("center")
    if table == "platelet_counts" and style.platelet_unit is None:
        names.remove("unit")
    if table == "treatments":
        # an infusion cohort records no stop reason: the optional column is left out
        names.remove("stop_reason")
    if style.comment and table in ("treatments", "platelet_counts"):
        names.append("comment")
    if style.reorder:
        names = names[:1] + names[1:][::-1]
    return names
