"""The REDCap data dictionary of the data model (``data-model.md``, REDCap projects).

One instrument per table, built from :mod:`itpcohort.schema`:

- ``record_id`` (REDCap's record name) comes first, on the non-repeating instrument ``patients``,
  which holds the ``patients`` columns under their own names;
- every other table is a repeating instrument of the same name whose fields are named
  ``<instrument>_<column>``, without ``patient_id``/``center`` (they come from the record);
- dates are ``text`` fields validated ``date_ymd``; partial dates (``birth_date``,
  ``diagnosis_date``) are unvalidated ``text`` with a note giving the three accepted layouts;
  numbers are ``text`` validated ``number``/``integer`` with the schema's range as min/max;
  booleans are ``yesno`` (raw ``1``/``0``); vocabularies are ``dropdown`` fields whose choice codes
  are the vocabulary values themselves (``rituximab, Rituximab``).

Choices the spec could not settle, and why:

- A vocabulary holding a value that is not a plain REDCap code (letters, digits, underscores: the
  platelet units ``10^9/l``, ``/ul`` ... and the dose units ``mg/kg`` ...) becomes a ``text`` field
  whose note lists the allowed spellings. REDCap's raw choice codes are meant to be alphanumeric;
  recoding them (``mg_kg``) would break the rule that codes are the vocabulary values, which the
  importer relies on. Matching stays case-insensitive, so ``G/L`` or ``mg/kg`` import as typed.
- ``center`` of ``patients`` is not marked required: the spec lets the record's data access group
  stand for it.
- Branching logic shows ``secondary_cause`` only for secondary ITP (the data model's "if
  secondary"), ``drug_detail`` only for ``drug = other`` and ``death_cause`` only once a death
  date is given.
- No field is flagged ``Identifier?``: the data model holds pseudonymous data only, and flagging
  ``birth_date`` would drop it from the de-identified exports the import needs.
"""

from __future__ import annotations

import re
from dataclasses import astuple, dataclass
from pathlib import Path

from itpcohort.crf.labels import COLUMN_TEXTS, UI, VALUE_LABELS, Language, spelling
from itpcohort.schema import TABLES, Column, ColumnType, Table
from itpcohort.shared.redcap_names import (
    PATIENTS_INSTRUMENT,
    RECORD_ID,
    field_name,
    redcap_columns,
)
from itpcohort.shared.safe_csv import write_csv

#: REDCap's data dictionary headers, in REDCap's order (columns A to R)
REDCAP_HEADERS: tuple[str, ...] = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
#: REDCap's layout of the repeating-instruments file of a classic (non-longitudinal) project
REPEATING_HEADERS: tuple[str, ...] = ("form_name", "custom_form_label")

_PLAIN_CODE = re.compile(r"^[A-Za-z0-9_]+$")

#: (table, column) shown only if (table, column, operator, value) holds
_SHOW_IF: dict[tuple[str, str], tuple[str, str, str, str]] = {
    ("patients", "secondary_cause"): ("patients", "itp_type", "=", "secondary"),
    ("patients", "death_cause"): ("patients", "death_date", "<>", ""),
    ("treatments", "drug_detail"): ("treatments", "drug", "=", "other"),
}


@dataclass(frozen=True)
class RedcapField:
    """One row of a REDCap data dictionary; attributes in the order of ``REDCAP_HEADERS``."""

    name: str
    form: str
    section_header: str
    field_type: str
    label: str
    choices: str = ""
    note: str = ""
    validation: str = ""
    validation_min: str = ""
    validation_max: str = ""
    identifier: str = ""
    branching_logic: str = ""
    required: str = ""
    custom_alignment: str = ""
    question_number: str = ""
    matrix_group: str = ""
    matrix_ranking: str = ""
    annotation: str = ""

    def row(self) -> tuple[str, ...]:
        """The 18 cells of this field, in REDCap's column order."""
        return astuple(self)


def is_plain_code(value: str) -> bool:
    """True when ``value`` can be a REDCap raw choice code as it is (letters, digits, ``_``)."""
    return bool(_PLAIN_CODE.match(value))


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _choices(column: Column, lang: Language) -> str:
    return " | ".join(f"{value}, {VALUE_LABELS[value](lang)}" for value in column.vocabulary)


def _branching(table: str, column: str) -> str:
    rule = _SHOW_IF.get((table, column))
    if rule is None:
        return ""
    on_table, on_column, operator, value = rule
    return f"[{field_name(on_table, on_column)}] {operator} '{value}'"


def _field(table: Table, column: Column, lang: Language) -> RedcapField:
    texts = COLUMN_TEXTS[(table.name, column.name)]
    note = texts.help(lang)
    required = column.required
    if table.name == PATIENTS_INSTRUMENT and column.name == "center":
        note, required = UI["redcap_center_note"](lang), False
    kind: dict[str, str] = {"field_type": "text"}
    if column.type is ColumnType.DATE:
        kind["validation"] = "date_ymd"
    elif column.type is ColumnType.PARTIAL_DATE:
        note = f"{UI['redcap_partial_note'](lang)} {note}"
    elif column.type in (ColumnType.NUMBER, ColumnType.INTEGER):
        kind["validation"] = "number" if column.type is ColumnType.NUMBER else "integer"
        kind["validation_min"] = _number(column.minimum)
        kind["validation_max"] = _number(column.maximum)
    elif column.type is ColumnType.BOOLEAN:
        kind["field_type"] = "yesno"
    elif column.type is ColumnType.VOCAB:
        if all(is_plain_code(value) for value in column.vocabulary):
            kind = {"field_type": "dropdown", "choices": _choices(column, lang)}
        else:
            values = ", ".join(spelling(value) for value in column.vocabulary)
            note = f"{note} {UI['redcap_allowed_note'](lang).format(values=values)}"
    return RedcapField(
        name=field_name(table.name, column.name),
        form=table.name,
        section_header="",
        label=texts.label(lang),
        note=note,
        branching_logic=_branching(table.name, column.name),
        required="y" if required else "",
        annotation=f"itpcohort {table.name}.{column.name}",
        **kind,
    )


def redcap_fields(lang: Language = "en") -> tuple[RedcapField, ...]:
    """Every field of the REDCap project, ``record_id`` first, instruments in data-model order."""
    record_id = RedcapField(
        name=RECORD_ID,
        form=PATIENTS_INSTRUMENT,
        section_header="",
        field_type="text",
        label=UI["record_id_label"](lang),
        note=UI["record_id_note"](lang),
    )
    fields = [record_id]
    for table in TABLES:
        fields.extend(_field(table, column, lang) for column in redcap_columns(table))
    return tuple(fields)


def repeating_instruments() -> tuple[tuple[str, str], ...]:
    """(form_name, custom_form_label) of every repeating instrument: all tables but patients.

    The custom label pipes the instance's required fields (``[treatments_drug]
    [treatments_start_date]``) so that REDCap lists each instance by what identifies it.
    """
    rows = []
    for table in TABLES:
        if table.name == PATIENTS_INSTRUMENT:
            continue
        piped = " ".join(
            f"[{field_name(table.name, c.name)}]" for c in redcap_columns(table) if c.required
        )
        rows.append((table.name, piped))
    return tuple(rows)


def repeating_instruments_path(dictionary_path: Path) -> Path:
    """Where the repeating-instruments file goes: beside the dictionary, ``<stem>_repeating_instruments.csv``."""
    return dictionary_path.with_name(f"{dictionary_path.stem}_repeating_instruments.csv")


def write_redcap_dictionary(path: Path, lang: Language = "en") -> tuple[Path, Path]:
    """Write the data dictionary to ``path`` and the repeating-instruments file beside it.

    Both are UTF-8 CSV files ready to upload (``Design > Data Dictionary`` and ``Project Setup >
    Repeating instruments and events``), cells neutralised against formula injection. Returns the
    two paths written.
    """
    write_csv(path, REDCAP_HEADERS, (f.row() for f in redcap_fields(lang)))
    repeating_path = repeating_instruments_path(path)
    write_csv(repeating_path, REPEATING_HEADERS, repeating_instruments())
    return path, repeating_path
