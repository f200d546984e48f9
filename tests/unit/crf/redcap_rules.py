"""A structural checker of REDCap data dictionaries, written from REDCap's documented rules.

Independent of ``itpcohort.crf``: it reads the CSV as REDCap would and returns every broken rule as
one message. Sources, cited by key in each check:

- [DD]  REDCap, "Data Dictionary" instructions shipped with REDCap (Vanderbilt, Design > Data
        Dictionary > help) and the REDCap knowledge base article RC-FD-08 "Data Dictionary: Column
        Reference" (columns A-R, field types, choices, validation, min/max, identifier, required).
- [OD]  REDCap Online Designer's variable-name rules: lower-case letters, digits and underscores,
        starting with a letter; REDCap folds repeated and trailing underscores (a field name
        followed by ``___code`` is reserved for checkbox export columns). REDCap stores field names
        in a 100-character column (``redcap_metadata.field_name``).
- [BL]  REDCap branching-logic syntax: fields are referenced as ``[field_name]``; values compared
        with a multiple-choice field are its raw codes.
- [RI]  REDCap API "Import Repeating Instruments and Events": a classic project's file has the
        columns ``form_name,custom_form_label``.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

#: [DD] the 18 columns, A to R, in this order
HEADERS: tuple[str, ...] = (
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
#: [DD] accepted field types
FIELD_TYPES = frozenset(
    {
        "text",
        "notes",
        "dropdown",
        "radio",
        "checkbox",
        "yesno",
        "truefalse",
        "calc",
        "descriptive",
        "slider",
        "file",
        "sql",
    }
)
#: [DD] REDCap's built-in text validation types
VALIDATION_TYPES = frozenset(
    {
        "date_dmy",
        "date_mdy",
        "date_ymd",
        "datetime_dmy",
        "datetime_mdy",
        "datetime_ymd",
        "datetime_seconds_dmy",
        "datetime_seconds_mdy",
        "datetime_seconds_ymd",
        "email",
        "integer",
        "alpha_only",
        "number",
        "number_1dp",
        "number_2dp",
        "number_3dp",
        "number_4dp",
        "number_comma_decimal",
        "number_1dp_comma_decimal",
        "number_2dp_comma_decimal",
        "number_3dp_comma_decimal",
        "number_4dp_comma_decimal",
        "phone",
        "phone_australia",
        "postalcode_australia",
        "postalcode_canada",
        "postalcode_french",
        "postalcode_germany",
        "ssn",
        "time",
        "time_hh_mm_ss",
        "time_mm_ss",
        "vmrn",
        "zipcode",
        "mrn_10d",
        "mrn_generic",
    }
)
CHOICE_TYPES = frozenset({"dropdown", "radio", "checkbox"})
#: [DD] column F holds a calculation for calc, endpoint labels for slider, a query for sql
COLUMN_F_OTHER_TYPES = frozenset({"calc", "slider", "sql"})
NUMERIC_VALIDATIONS = frozenset(v for v in VALIDATION_TYPES if v.startswith("number")) | {"integer"}
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_FORM_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: [DD] raw codes: numbers or letters (and underscores), never a comma
_RAW_CODE = re.compile(r"^[A-Za-z0-9_]+$")
_FIELD_REFERENCE = re.compile(r"\[([^\]]*)\]")
_COMPARISON = re.compile(r"\[([a-z0-9_]+)\]\s*(?:=|<>|!=)\s*'([^']*)'")


def read_dictionary(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of a data dictionary CSV (UTF-8, with or without BOM)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [dict(zip(header, row, strict=True)) for row in reader]
    return header, rows


def parse_choices(text: str) -> list[tuple[str, str]]:
    """[DD] ``code, label | code, label``: split on ``|``, then on the first comma of each item."""
    pairs = []
    for item in text.split("|"):
        code, comma, label = item.strip().partition(",")
        pairs.append((code.strip(), label.strip() if comma else ""))
    return pairs


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _bound_value(validation: str, text: str) -> float | dt.date | None:
    if validation in NUMERIC_VALIDATIONS:
        return float(text) if _is_number(text) else None
    if validation == "date_ymd":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return None
    return None


def check_dictionary(header: Sequence[str], rows: Sequence[dict[str, str]]) -> list[str]:
    """Every rule of REDCap's data dictionary that ``header``/``rows`` break, one message each."""
    problems: list[str] = []
    if tuple(header) != HEADERS:
        problems.append(f"[DD] header must be REDCap's 18 columns in order, got {list(header)}")
        return problems
    if not rows:
        return ["[DD] a dictionary needs at least the record ID field"]

    names = [row["Variable / Field Name"] for row in rows]
    first = rows[0]
    # [DD] row 2 is the record ID: the first field of the first form, a text field
    if first["Field Type"] != "text":
        problems.append(f"[DD] the record ID field {names[0]!r} must be of type text")
    if first["Branching Logic (Show field only if...)"]:
        problems.append("[DD] the record ID field cannot have branching logic")

    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.append(f"[DD] field name {name!r} is not unique")
        seen.add(name)

    # [DD] forms are contiguous blocks; their order is the order of first appearance
    closed_forms: set[str] = set()
    current_form = None
    for row in rows:
        form = row["Form Name"]
        if form != current_form:
            if form in closed_forms:
                problems.append(f"[DD] rows of form {form!r} are not contiguous")
            if current_form is not None:
                closed_forms.add(current_form)
            current_form = form
        if not _FORM_NAME.match(form):
            problems.append(
                f"[DD] form name {form!r}: lower-case letters, digits and underscores, "
                "starting with a letter"
            )

    choices_of: dict[str, set[str]] = {}
    for line, row in enumerate(rows, start=2):
        name = row["Variable / Field Name"]
        where = f"line {line} ({name})"
        # [OD] variable names
        if not _FIELD_NAME.match(name):
            problems.append(
                f"[OD] {where}: field names hold only lower-case letters, digits and "
                "underscores, and start with a letter"
            )
        if len(name) > 100:
            problems.append(f"[OD] {where}: field name longer than 100 characters")
        if "__" in name:
            problems.append(f"[OD] {where}: field name holds a repeated underscore")
        if name.endswith("_"):
            problems.append(f"[OD] {where}: field name ends with an underscore")
        # [DD] mandatory columns A, B, D, E
        if not row["Field Label"].strip():
            problems.append(f"[DD] {where}: the field label is mandatory")
        field_type = row["Field Type"]
        if field_type not in FIELD_TYPES:
            problems.append(f"[DD] {where}: unknown field type {field_type!r}")
        # [DD] column F
        column_f = row["Choices, Calculations, OR Slider Labels"]
        if field_type in CHOICE_TYPES:
            if not column_f.strip():
                problems.append(f"[DD] {where}: a {field_type} field needs its choices")
            else:
                pairs = parse_choices(column_f)
                codes = [code for code, _ in pairs]
                for code, label in pairs:
                    if not _RAW_CODE.match(code):
                        problems.append(
                            f"[DD] {where}: raw code {code!r} must be letters, digits or "
                            "underscores, with no comma"
                        )
                    if not label:
                        problems.append(f"[DD] {where}: choice {code!r} has no label")
                if len(set(codes)) != len(codes):
                    problems.append(f"[DD] {where}: choice codes are not unique")
                choices_of[name] = set(codes)
        elif field_type not in COLUMN_F_OTHER_TYPES and column_f:
            problems.append(f"[DD] {where}: a {field_type} field takes no choices")
        # [DD] column H only for text (validation) and slider (``number`` shows the value)
        validation = row["Text Validation Type OR Show Slider Number"]
        if validation:
            if field_type == "slider":
                if validation != "number":
                    problems.append(f"[DD] {where}: a slider only takes 'number' in column H")
            elif field_type != "text":
                problems.append(f"[DD] {where}: validation {validation!r} on a {field_type} field")
            elif validation not in VALIDATION_TYPES:
                problems.append(f"[DD] {where}: unknown validation type {validation!r}")
        # [DD] columns I and J: only on validated text fields, in the validation's own format
        low, high = row["Text Validation Min"], row["Text Validation Max"]
        bounds = {}
        for label, bound in (("min", low), ("max", high)):
            if not bound:
                continue
            if field_type != "text" or not validation:
                problems.append(f"[DD] {where}: a {label} needs a validated text field")
                continue
            value = _bound_value(validation, bound)
            if value is None:
                problems.append(f"[DD] {where}: {label} {bound!r} does not match {validation}")
            bounds[label] = value
        lowest, highest = bounds.get("min"), bounds.get("max")
        if isinstance(lowest, float) and isinstance(highest, float) and lowest > highest:
            problems.append(f"[DD] {where}: min is above max")
        if isinstance(lowest, dt.date) and isinstance(highest, dt.date) and lowest > highest:
            problems.append(f"[DD] {where}: min is above max")
        # [DD] columns K and M: 'y' or empty
        for column in ("Identifier?", "Required Field?"):
            if row[column] not in ("", "y"):
                problems.append(f"[DD] {where}: {column} must be 'y' or empty")

    # [BL] branching logic refers to existing fields, and compares choice fields with their codes
    for line, row in enumerate(rows, start=2):
        logic = row["Branching Logic (Show field only if...)"]
        if not logic:
            continue
        where = f"line {line} ({row['Variable / Field Name']})"
        if logic.count("[") != logic.count("]") or logic.count("'") % 2:
            problems.append(f"[BL] {where}: unbalanced brackets or quotes in {logic!r}")
        for reference in _FIELD_REFERENCE.findall(logic):
            if reference not in seen:
                problems.append(f"[BL] {where}: branching logic refers to unknown [{reference}]")
        for field, value in _COMPARISON.findall(logic):
            if field in choices_of and value and value not in choices_of[field]:
                problems.append(f"[BL] {where}: {value!r} is not a choice code of [{field}]")
    return problems


def check_repeating_instruments(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    forms: Sequence[str],
    fields: Sequence[str],
) -> list[str]:
    """[RI] a classic project's repeating-instruments file: two columns, known distinct forms,
    labels piping existing fields only."""
    problems = []
    if tuple(header) != ("form_name", "custom_form_label"):
        problems.append(f"[RI] header must be form_name,custom_form_label, got {list(header)}")
    names = [row[0] for row in rows]
    if len(set(names)) != len(names):
        problems.append("[RI] a form is listed twice")
    for row in rows:
        if len(row) != 2:
            problems.append(f"[RI] row {list(row)} must have two cells")
        if row[0] not in forms:
            problems.append(f"[RI] {row[0]!r} is not a form of the dictionary")
        for reference in _FIELD_REFERENCE.findall(row[1] if len(row) > 1 else ""):
            if reference not in fields:
                problems.append(f"[RI] {row[0]}: piped [{reference}] is not a field")
    return problems
