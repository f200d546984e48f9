"""Every text of the forms exists in English and in French, for every column and value of the schema."""

from __future__ import annotations

import string

import pytest

from itpcohort.crf.labels import (
    BOOLEAN_WORDS,
    COLUMN_TEXTS,
    LANGUAGES,
    PREFERRED_SPELLING,
    REQUIRED_IF,
    TABLE_TEXTS,
    TYPE_TEXTS,
    UI,
    VALUE_LABELS,
    Text,
    spelling,
)
from itpcohort.schema import BOOLEAN_SPELLINGS, TABLES, ColumnType


def every_text() -> list[tuple[str, Text]]:
    texts: list[tuple[str, Text]] = []
    for (table, column), entry in COLUMN_TEXTS.items():
        texts += [
            (f"{table}.{column}.label", entry.label),
            (f"{table}.{column}.help", entry.help),
            (f"{table}.{column}.example", entry.example),
        ]
    texts += [(f"value {k}", v) for k, v in VALUE_LABELS.items()]
    texts += [(f"table {k}", v) for k, v in TABLE_TEXTS.items()]
    texts += [(f"type {k}", v) for k, v in TYPE_TEXTS.items()]
    texts += [(f"ui {k}", v) for k, v in UI.items()]
    texts += [(f"required_if {k}", v) for k, v in REQUIRED_IF.items()]
    return texts


def fields_of(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_column_of_the_schema_has_texts_and_nothing_else() -> None:
    schema_columns = {(t.name, c.name) for t in TABLES for c in t.columns}
    assert set(COLUMN_TEXTS) == schema_columns


def test_every_table_type_and_vocabulary_value_has_a_label() -> None:
    assert set(TABLE_TEXTS) == {t.name for t in TABLES}
    assert set(TYPE_TEXTS) == set(ColumnType)
    values = {v for t in TABLES for c in t.columns for v in c.vocabulary}
    assert values <= set(VALUE_LABELS)
    assert set(VALUE_LABELS) == values  # no label for a value the schema no longer has


@pytest.mark.parametrize(
    ("key", "text"), every_text(), ids=lambda x: x if isinstance(x, str) else ""
)
def test_every_text_has_both_languages(key: str, text: Text) -> None:
    for lang in LANGUAGES:
        assert text(lang) == getattr(text, lang)
    # an example may be empty (center of the repeating tables), but then in both languages
    if key.endswith(".example"):
        assert bool(text.en) == bool(text.fr), key
        return
    assert text.en.strip(), key
    assert text.fr.strip(), key
    # a translation keeps the same {fields} (filled from the schema by the writers)
    assert fields_of(text.en) == fields_of(text.fr), key


def test_sentences_are_translated_not_copied() -> None:
    sentences = {k: t for k, t in UI.items() if len(t.en.split()) > 4}
    copied = [k for k, t in sentences.items() if t.en == t.fr]
    assert copied == []
    helps = [k for k, e in COLUMN_TEXTS.items() if e.help.en == e.help.fr]
    assert helps == []
    # French is written with its accents
    assert "à" in UI["readme_how_1"].fr
    assert "é" in UI["readme_how_4"].fr
    assert COLUMN_TEXTS[("patients", "diagnosis_date")].label.fr == "Date du diagnostic de PTI"


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="allowed: en, fr"):
        UI["yes"]("de")  # type: ignore[arg-type]


def test_preferred_spellings_and_boolean_words_are_accepted_by_the_data_model() -> None:
    for value, written in PREFERRED_SPELLING.items():
        assert written.lower() == value  # matching is case-insensitive
        assert spelling(value) == written
    assert spelling("rituximab") == "rituximab"
    for words in BOOLEAN_WORDS.values():
        yes, no = words
        assert BOOLEAN_SPELLINGS[yes] is True
        assert BOOLEAN_SPELLINGS[no] is False
