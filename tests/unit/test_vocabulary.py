"""The platelet unit vocabulary is declared once, in the data model (``data-model.md``)."""

from __future__ import annotations

from itpcohort.crf.labels import spelling
from itpcohort.schema import PLATELET_UNIT_SPELLINGS, PLATELET_UNITS, TABLES_BY_NAME
from itpcohort.store.checks import _allowed


def test_every_platelet_unit_has_one_spelling_and_only_those() -> None:
    assert list(PLATELET_UNIT_SPELLINGS) == list(PLATELET_UNITS)
    assert all(v.lower() == k for k, v in PLATELET_UNIT_SPELLINGS.items())


def test_the_form_and_the_checks_write_units_the_same_way() -> None:
    unit = next(c for c in TABLES_BY_NAME["platelet_counts"].columns if c.name == "unit")
    assert [spelling(u) for u in PLATELET_UNITS] == list(PLATELET_UNIT_SPELLINGS.values())
    assert _allowed(TABLES_BY_NAME["platelet_counts"], unit) == [
        spelling(u) for u in unit.vocabulary
    ]
