"""The message catalogue: every id in English and French, same placeholders, no silent copy."""

from __future__ import annotations

import pytest

from itpcohort.report import MESSAGES, Translator
from itpcohort.report._i18n import UnknownMessage, placeholders

#: ids whose text is, on purpose, the same in both languages (codes, names, shared words)
IDENTICAL_ON_PURPOSE = {
    "figure",
    "response.short.R",
    "response.short.NR",
    "response.short.NE",
    "regimen.375x4",
    "regimen.1000x2",
    "event.infection",
    "uni.test",
    "sens.odds_ratio_p",
    "section.results.patients",
    "t1.patients",
    "primary.n_of",
    "cross.total",
    "agree.patient",
    "dq.center",
    "dq.table",
    "repro.version",
    "repro.sha256",
    "uni.n",
}


def test_every_message_has_english_and_french_with_the_same_placeholders() -> None:
    for message_id, texts in MESSAGES.items():
        assert isinstance(texts, tuple) and len(texts) == 2, message_id
        english, french = texts
        assert english.strip() and french.strip(), message_id
        assert placeholders(english) == placeholders(french), message_id
        assert "{NB}" not in french, message_id


def test_a_french_text_equal_to_the_english_one_is_declared() -> None:
    identical = {mid for mid, (en, fr) in MESSAGES.items() if en == fr}
    assert identical == IDENTICAL_ON_PURPOSE


def test_french_typography_puts_a_no_break_space_before_colon_and_semicolon() -> None:
    for message_id, (_, french) in MESSAGES.items():
        assert " :" not in french and " ;" not in french, message_id
        assert " %" not in french, message_id


def test_translator() -> None:
    fr = Translator("fr")
    assert fr("resp.course_n", course=2, n="191") == "Cure 2 (n = 191)"
    assert fr.label("response.short", "CR") == "RC"
    assert fr.label("regimen", "unheard_of") == "unheard_of"
    assert fr.exclusion_reason("age < 16 at course 1") == "âge < 16\u00a0ans à la première cure"
    assert fr.exclusion_reason("a reason of a newer analysis") == "a reason of a newer analysis"
    with pytest.raises(UnknownMessage):
        fr("no.such.message")
    with pytest.raises(ValueError, match="report language"):
        Translator("de")
