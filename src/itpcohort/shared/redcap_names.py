"""The REDCap names of the data model (``data-model.md``, REDCap projects): shared by the CRF
that builds a REDCap project (``crf/``) and the reader of its exports (``io/``).

``record_id`` (REDCap's record name) comes first, on the non-repeating instrument ``patients``,
which holds the ``patients`` columns under their own names; every other table is a repeating
instrument of the same name whose fields are named ``<instrument>_<column>``, without
``patient_id``/``center`` (they come from the record).
"""

from __future__ import annotations

from itpcohort.schema import PATIENTS, Column, Table

RECORD_ID = "record_id"
PATIENTS_INSTRUMENT = PATIENTS.name
#: columns of the repeating tables that come from the record, not from a field
RECORD_LEVEL_COLUMNS = ("patient_id", "center")
#: the record columns that open a REDCap raw records export, in REDCap's order
REDCAP_RECORD_COLUMNS = (RECORD_ID, "redcap_repeat_instrument", "redcap_repeat_instance")


def field_name(table: str, column: str) -> str:
    """The REDCap field holding ``table.column``: the column itself in ``patients``, else
    ``<table>_<column>`` (``data-model.md``, REDCap projects)."""
    return column if table == PATIENTS_INSTRUMENT else f"{table}_{column}"


def redcap_columns(table: Table) -> tuple[Column, ...]:
    """The columns of ``table`` that are fields of its instrument (record-level ones left out;
    ``data-model.md``, REDCap projects)."""
    if table.name == PATIENTS_INSTRUMENT:
        return table.columns
    return tuple(c for c in table.columns if c.name not in RECORD_LEVEL_COLUMNS)
