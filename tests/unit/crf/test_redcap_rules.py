"""The REDCap rule checker catches every rule it claims to check (so its silence means something)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from redcap_rules import HEADERS, check_dictionary, check_repeating_instruments


def field(name: str, form: str, kind: str = "text", **cells: str) -> dict[str, str]:
    row = dict.fromkeys(HEADERS, "")
    row.update(
        {"Variable / Field Name": name, "Form Name": form, "Field Type": kind, "Field Label": name}
    )
    for key, value in cells.items():
        row[key.replace("_", " ")] = value
    return row


def good() -> list[dict[str, str]]:
    return [
        field("record_id", "patients"),
        field("itp_type", "patients", "dropdown"),
        field("secondary_cause", "patients"),
        field("visit_date", "visits"),
        field("visit_count", "visits"),
    ]


def _set(rows: list[dict[str, str]], index: int, column: str, value: str) -> None:
    rows[index][column] = value


CHOICES = "Choices, Calculations, OR Slider Labels"
VALIDATION = "Text Validation Type OR Show Slider Number"
BRANCHING = "Branching Logic (Show field only if...)"


def base() -> list[dict[str, str]]:
    rows = good()
    rows[1][CHOICES] = "primary, Primary | secondary, Secondary"
    rows[2][BRANCHING] = "[itp_type] = 'secondary'"
    rows[3][VALIDATION] = "date_ymd"
    rows[4][VALIDATION] = "integer"
    rows[4]["Text Validation Min"] = "0"
    rows[4]["Text Validation Max"] = "4"
    return rows


BREAKS: dict[str, tuple[Callable[[list[dict[str, str]]], None], str]] = {
    "upper case name": (lambda r: _set(r, 2, "Variable / Field Name", "Secondary"), "[OD]"),
    "name starting with a digit": (lambda r: _set(r, 2, "Variable / Field Name", "2nd"), "[OD]"),
    "name with a hyphen": (lambda r: _set(r, 2, "Variable / Field Name", "a-b"), "[OD]"),
    "name too long": (lambda r: _set(r, 4, "Variable / Field Name", "a" * 101), "longer than 100"),
    "double underscore": (lambda r: _set(r, 4, "Variable / Field Name", "a__b"), "repeated"),
    "trailing underscore": (lambda r: _set(r, 4, "Variable / Field Name", "ab_"), "ends with"),
    "duplicate name": (lambda r: _set(r, 4, "Variable / Field Name", "visit_date"), "not unique"),
    "unknown field type": (lambda r: _set(r, 4, "Field Type", "number"), "unknown field type"),
    "record id not text": (lambda r: _set(r, 0, "Field Type", "notes"), "record ID"),
    "empty label": (lambda r: _set(r, 4, "Field Label", " "), "label is mandatory"),
    "bad form name": (lambda r: _set(r, 4, "Form Name", "Visits"), "form name"),
    "forms not contiguous": (lambda r: _set(r, 4, "Form Name", "patients"), "contiguous"),
    "dropdown without choices": (lambda r: _set(r, 1, CHOICES, ""), "needs its choices"),
    "choice code with a slash": (
        lambda r: _set(r, 1, CHOICES, "mg/kg, mg/kg | mg, mg"),
        "raw code",
    ),
    "duplicate choice codes": (lambda r: _set(r, 1, CHOICES, "a, A | a, B"), "not unique"),
    "choice without label": (lambda r: _set(r, 1, CHOICES, "a | b, B"), "has no label"),
    "choices on a text field": (lambda r: _set(r, 3, CHOICES, "1, One"), "takes no choices"),
    "validation on a dropdown": (lambda r: _set(r, 1, VALIDATION, "integer"), "validation"),
    "unknown validation": (lambda r: _set(r, 3, VALIDATION, "date_iso"), "unknown validation"),
    "min without validation": (lambda r: _set(r, 2, "Text Validation Min", "1"), "needs a valid"),
    "min not a number": (lambda r: _set(r, 4, "Text Validation Min", "low"), "does not match"),
    "min above max": (lambda r: _set(r, 4, "Text Validation Min", "9"), "above max"),
    "identifier not y": (lambda r: _set(r, 4, "Identifier?", "yes"), "'y' or empty"),
    "required not y": (lambda r: _set(r, 4, "Required Field?", "1"), "'y' or empty"),
    "branching to unknown field": (
        lambda r: _set(r, 2, BRANCHING, "[itp_kind] = 'secondary'"),
        "unknown [itp_kind]",
    ),
    "branching to unknown code": (
        lambda r: _set(r, 2, BRANCHING, "[itp_type] = 'tertiary'"),
        "not a choice code",
    ),
    "unbalanced branching": (lambda r: _set(r, 2, BRANCHING, "[itp_type = 'x"), "unbalanced"),
}


def test_base_dictionary_is_clean() -> None:
    assert check_dictionary(HEADERS, base()) == []


@pytest.mark.parametrize("broken", sorted(BREAKS))
def test_each_broken_rule_is_reported(broken: str) -> None:
    rows = base()
    mutate, expected = BREAKS[broken]
    mutate(rows)
    problems = check_dictionary(HEADERS, rows)
    assert any(expected in p for p in problems), problems


def test_wrong_header_is_reported() -> None:
    header = list(HEADERS)
    header[0], header[1] = header[1], header[0]
    assert check_dictionary(header, base())[0].startswith("[DD] header")


def test_repeating_instruments_rules() -> None:
    fields = ["record_id", "visit_date"]
    header = ["form_name", "custom_form_label"]
    assert (
        check_repeating_instruments(header, [["visits", "[visit_date]"]], ["visits"], fields) == []
    )
    assert check_repeating_instruments(["form", "label"], [], ["visits"], fields)
    assert check_repeating_instruments(header, [["other", ""]], ["visits"], fields)
    assert check_repeating_instruments(header, [["visits", "[nope]"]], ["visits"], fields)
    assert check_repeating_instruments(header, [["visits", ""], ["visits", ""]], ["visits"], fields)
