"""The REDCap data dictionary passes REDCap's structural rules and maps the data model one to one."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from redcap_rules import (
    HEADERS,
    check_dictionary,
    check_repeating_instruments,
    parse_choices,
    read_dictionary,
)

from itpcohort.crf.labels import VALUE_LABELS
from itpcohort.crf.redcap_dictionary import (
    REDCAP_HEADERS,
    is_plain_code,
    repeating_instruments_path,
    write_redcap_dictionary,
)
from itpcohort.schema import BOOLEAN_SPELLINGS, TABLES, ColumnType


@pytest.fixture(scope="module", params=["en", "fr"])
def written(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    lang = request.param
    path = tmp_path_factory.mktemp(f"redcap_{lang}") / "dictionary.csv"
    dictionary, repeating = write_redcap_dictionary(path, lang)
    header, rows = read_dictionary(dictionary)
    return lang, dictionary, repeating, header, rows


def by_name(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["Variable / Field Name"]: row for row in rows}


def test_headers_are_redcaps_in_order() -> None:
    assert REDCAP_HEADERS == HEADERS
    assert len(HEADERS) == 18


def test_dictionary_passes_redcap_rules(written) -> None:
    _, _, _, header, rows = written
    assert check_dictionary(header, rows) == []


def test_record_id_first_then_one_instrument_per_table_in_data_model_order(written) -> None:
    _, _, _, _, rows = written
    assert rows[0]["Variable / Field Name"] == "record_id"
    assert rows[0]["Form Name"] == "patients"
    forms = list(dict.fromkeys(row["Form Name"] for row in rows))
    assert forms == [table.name for table in TABLES]


def test_every_data_model_column_maps_to_exactly_one_field(written) -> None:
    _, _, _, _, rows = written
    fields = by_name(rows)
    expected: dict[str, tuple[str, str]] = {}
    for table in TABLES:
        for column in table.columns:
            if table.name == "patients":
                expected[column.name] = (table.name, column.name)
            elif column.name not in ("patient_id", "center"):
                expected[f"{table.name}_{column.name}"] = (table.name, column.name)
    assert set(fields) == {"record_id", *expected}
    assert len(rows) == 1 + len(expected)
    for name, (table, _) in expected.items():
        assert fields[name]["Form Name"] == table
    # no field of a repeating instrument repeats the record-level columns
    assert not [n for n in fields if n.endswith(("_patient_id", "_center"))]


def test_field_types_follow_column_types(written) -> None:
    _, _, _, _, rows = written
    fields = by_name(rows)
    for table in TABLES:
        for column in table.columns:
            name = column.name if table.name == "patients" else f"{table.name}_{column.name}"
            if name not in fields:
                continue
            row = fields[name]
            kind, validation = row["Field Type"], row["Text Validation Type OR Show Slider Number"]
            if column.type is ColumnType.DATE:
                assert (kind, validation) == ("text", "date_ymd"), name
            elif column.type is ColumnType.PARTIAL_DATE:
                assert (kind, validation) == ("text", ""), name
                assert "YYYY-MM" in row["Field Note"] or "AAAA-MM" in row["Field Note"]
            elif column.type is ColumnType.BOOLEAN:
                assert (kind, validation) == ("yesno", ""), name
            elif column.type is ColumnType.INTEGER:
                assert (kind, validation) == ("text", "integer"), name
            elif column.type is ColumnType.NUMBER:
                assert (kind, validation) == ("text", "number"), name
            elif column.type is ColumnType.VOCAB:
                assert kind in ("dropdown", "text"), name
            else:
                assert (kind, validation) == ("text", ""), name
            if column.type in (ColumnType.NUMBER, ColumnType.INTEGER):
                low, high = row["Text Validation Min"], row["Text Validation Max"]
                assert (float(low) if low else None) == column.minimum, name
                assert (float(high) if high else None) == column.maximum, name


def test_ranges_of_the_spec(written) -> None:
    _, _, _, _, rows = written
    fields = by_name(rows)

    def bounds(name: str) -> tuple[str, str, str]:
        row = fields[name]
        return (
            row["Text Validation Type OR Show Slider Number"],
            row["Text Validation Min"],
            row["Text Validation Max"],
        )

    assert bounds("platelet_counts_platelets") == ("number", "0", "2000")
    assert bounds("bleeding_events_who_grade") == ("integer", "0", "4")
    assert bounds("adverse_events_ctcae_grade") == ("integer", "1", "5")
    assert bounds("investigator_assessments_course_number") == ("integer", "1", "")


def test_dropdown_codes_are_the_vocabulary_values(written) -> None:
    lang, _, _, _, rows = written
    fields = by_name(rows)
    dropdowns = 0
    for table in TABLES:
        for column in table.columns:
            if column.type is not ColumnType.VOCAB:
                continue
            name = column.name if table.name == "patients" else f"{table.name}_{column.name}"
            row = fields[name]
            if all(is_plain_code(v) for v in column.vocabulary):
                dropdowns += 1
                assert row["Field Type"] == "dropdown"
                pairs = parse_choices(row["Choices, Calculations, OR Slider Labels"])
                assert [code for code, _ in pairs] == list(column.vocabulary)
                assert [label for _, label in pairs] == [
                    VALUE_LABELS[v](lang) for v in column.vocabulary
                ]
            else:
                # units: a text field whose note lists every accepted spelling
                assert row["Field Type"] == "text"
                for value in column.vocabulary:
                    assert value.lower() in row["Field Note"].lower(), (name, value)
    # sex, itp_type, secondary_cause, drug, stop_reason, site, event, test, response
    assert dropdowns == 9
    assert "rituximab, Rituximab" in fields["treatments_drug"][
        "Choices, Calculations, OR Slider Labels"
    ].split(" | ")


def test_yesno_raw_values_are_accepted_booleans() -> None:
    # REDCap exports yesno fields as 1/0; the data model must read both as booleans
    assert BOOLEAN_SPELLINGS["1"] is True
    assert BOOLEAN_SPELLINGS["0"] is False


def test_branching_logic_and_requirements(written) -> None:
    _, _, _, _, rows = written
    fields = by_name(rows)
    logic = {n: r["Branching Logic (Show field only if...)"] for n, r in fields.items()}
    assert logic["secondary_cause"] == "[itp_type] = 'secondary'"
    assert logic["treatments_drug_detail"] == "[treatments_drug] = 'other'"
    assert logic["death_cause"] == "[death_date] <> ''"
    assert {n for n, text in logic.items() if text} == {
        "secondary_cause",
        "treatments_drug_detail",
        "death_cause",
    }
    required = {n for n, r in fields.items() if r["Required Field?"] == "y"}
    expected = set()
    for table in TABLES:
        for column in table.columns:
            if not column.required or column.name == "center":
                continue
            if table.name == "patients":
                expected.add(column.name)
            elif column.name != "patient_id":
                expected.add(f"{table.name}_{column.name}")
    # patients.center stays optional: the record's data access group stands for it
    assert required == expected
    assert "center" not in required


def test_labels_are_in_the_chosen_language(written) -> None:
    lang, _, _, _, rows = written
    fields = by_name(rows)
    label = fields["last_followup_date"]["Field Label"]
    assert label == {"en": "Date of last follow-up", "fr": "Date des dernières nouvelles"}[lang]
    choices = fields["treatments_drug"]["Choices, Calculations, OR Slider Labels"]
    assert ("splenectomy, Splénectomie" in choices) == (lang == "fr")


def test_repeating_instruments_file(written) -> None:
    _, dictionary, repeating, _, rows = written
    assert repeating == repeating_instruments_path(dictionary)
    assert repeating.name == "dictionary_repeating_instruments.csv"
    with repeating.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        listed = list(reader)
    forms = list(dict.fromkeys(row["Form Name"] for row in rows))
    names = [row["Variable / Field Name"] for row in rows]
    assert check_repeating_instruments(header, listed, forms, names) == []
    assert [row[0] for row in listed] == [t.name for t in TABLES if t.name != "patients"]
    assert listed[0] == ["treatments", "[treatments_drug] [treatments_start_date]"]


def test_output_is_deterministic(tmp_path: Path) -> None:
    first = write_redcap_dictionary(tmp_path / "a.csv", "fr")
    second = write_redcap_dictionary(tmp_path / "b.csv", "fr")
    for one, two in zip(first, second, strict=True):
        assert one.read_bytes() == two.read_bytes()
