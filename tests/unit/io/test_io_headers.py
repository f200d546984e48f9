"""Header rules: identifier columns refused, required columns, duplicates, unknown columns ignored."""

from __future__ import annotations

import pytest

from itpcohort.errors import InputError
from itpcohort.io.headers import identifier_word, map_header, normalise_column_name
from itpcohort.schema import PATIENTS, TABLES, TREATMENTS, Table


@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("name", "name"),
        ("Surname", "surname"),
        ("nom", "nom"),
        ("prénom", "prenom"),
        ("Prenom_patient", "prenom"),
        ("NIR", "nir"),
        ("ssn", "ssn"),
        ("patient_ssn", "ssn"),
        ("adresse", "adresse"),
        ("home address", "address"),
        ("Téléphone", "telephone"),
        ("phone_number", "phone"),
        ("e-mail", "mail"),
        ("email", "email"),
        ("firstName", "name"),
        ("last_name", "name"),
        ("nom_de_naissance", "nom"),
        # camelCase split before lower-casing, compounds cut into identifier words
        ("NomPatient", "nom"),
        ("patientName", "name"),
        ("PatientEmail", "email"),
        ("PhoneNumber", "phone"),
        ("emailaddress", "email"),
        ("fullname", "name"),
        ("NIRPatient", "nir"),
        ("numsecu", "secu"),
        ("numero_securite_sociale", "securite sociale"),
        ("SocialSecurityNumber", "social security"),
    ],
)
def test_identifier_columns_are_recognised(name: str, word: str) -> None:
    assert identifier_word(name) == word


@pytest.mark.parametrize(
    "name",
    [
        "drug_detail",
        "death_cause",
        "description",
        "comment",
        "username",
        "nominal",
        "telemetry",
        "mailing",
        "patientNumber",
        "birthDate",
        "course_number",
    ],
)
def test_ordinary_columns_are_not_identifiers(name: str) -> None:
    assert identifier_word(name) is None


def test_no_data_model_column_looks_like_an_identifier() -> None:
    assert [c for t in TABLES for c in t.column_names if identifier_word(c)] == []


#: every column name of the tables of ``data-model.md`` and the REDCap columns
DATA_MODEL_NAMES = [
    "birth_date",
    "center",
    "class",
    "course_number",
    "ctcae_grade",
    "date",
    "death_cause",
    "death_date",
    "description",
    "diagnosis_date",
    "dose",
    "dose_unit",
    "drug",
    "end_date",
    "event",
    "itp_type",
    "last_followup_date",
    "loss_of_response_date",
    "onset_date",
    "patient_id",
    "platelets",
    "rescue",
    "response",
    "response_date",
    "secondary_cause",
    "serious",
    "severe",
    "sex",
    "site",
    "start_date",
    "test",
    "unit",
    "value",
    "who_grade",
    "record_id",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
]


@pytest.mark.parametrize("name", DATA_MODEL_NAMES)
def test_data_model_names_pass_in_any_case(name: str) -> None:
    camel = name.split("_")[0] + "".join(w.title() for w in name.split("_")[1:])
    assert [identifier_word(n) for n in (name, name.upper(), camel)] == [None, None, None]


@pytest.mark.parametrize("table", TABLES, ids=[t.name for t in TABLES])
def test_every_table_header_is_accepted(table: Table) -> None:
    header = map_header(table, [c.upper() for c in table.column_names], "t.csv", "t.csv")
    assert header.columns == table.column_names


def test_header_names_are_trimmed_and_case_folded() -> None:
    assert normalise_column_name("\ufeff Patient_ID ") == "patient_id"
    header = map_header(TREATMENTS, [" Drug", "PATIENT_ID", "start_date", "note"], "t.csv", "t.csv")
    assert header.columns == ("patient_id", "drug", "start_date")  # data-model order
    assert header.keep == (1, 0, 2)
    assert header.ignored == ("note",)


def test_every_file_level_header_problem_is_listed() -> None:
    with pytest.raises(InputError) as error:
        map_header(PATIENTS, ["patient_id", "nom", "sex", "sex", "center"], "p.csv", "TLS/p.csv")
    problems = {(p.column, p.reason.split(" (")[0].split(":")[0]) for p in error.value.problems}
    assert ("nom", "column looks like a direct identifier") in problems
    assert ("sex", "column 'sex' appears twice in the header") in problems
    missing = {p.column for p in error.value.problems if "missing" in p.reason}
    assert missing == {"birth_date", "diagnosis_date", "itp_type", "last_followup_date"}
    assert {p.relative_file for p in error.value.problems} == {"TLS/p.csv"}
    assert all(p.row is None for p in error.value.problems)


def test_empty_header_cells_are_ignored() -> None:
    header = map_header(
        TREATMENTS, ["patient_id", "drug", "start_date", "", "  "], "t.csv", "t.csv"
    )
    assert header.ignored == ()


def test_a_header_read_with_the_wrong_delimiter_gives_one_clear_problem() -> None:
    with pytest.raises(InputError) as error:
        map_header(TREATMENTS, ["patient_id;drug;start_date;end_date"], "t.csv", "t.csv")
    (problem,) = error.value.problems
    assert "seem separated by ';', not ','" in problem.reason
    assert "delimiter = ';'" in problem.reason
