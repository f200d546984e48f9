"""The analysis gives the same results whatever dtypes the executed derived tables arrive with.

The derivation layer executes Ibis expressions and hands over pandas frames: typed columns (dates,
nullable booleans and integers), possibly Arrow-backed. The CSV fixtures read as text must give the
same results.json as the same tables typed by pyarrow.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.csv as pacsv
import pytest

from itpcohort.analysis import DerivedTables, analyse, read_derived_tables
from itpcohort.config import StudyConfig

FOLDER = Path(__file__).resolve().parents[2] / "fixtures" / "analysis" / "realistic"
NAMES = ("courses", "patient_baseline", "retreatment", "ae_by_course", "investigator_comparison")


def typed(arrow_dtypes: bool) -> DerivedTables:
    frames = {}
    for name in NAMES:
        table = pacsv.read_csv(FOLDER / f"{name}.csv")
        frames[name] = (
            table.to_pandas(types_mapper=pd.ArrowDtype) if arrow_dtypes else table.to_pandas()
        )
    text = read_derived_tables(FOLDER)
    return DerivedTables(
        courses=frames["courses"],
        patient_baseline=frames["patient_baseline"],
        retreatment=frames["retreatment"],
        ae_by_course=frames["ae_by_course"],
        investigator_comparison=frames["investigator_comparison"],
        criteria=text.criteria,
    )


@pytest.mark.parametrize("arrow_dtypes", [False, True])
def test_typed_frames_give_the_same_results_as_text(arrow_dtypes: bool) -> None:
    tables = typed(arrow_dtypes)
    assert not isinstance(tables.courses["start_date"].iloc[0], str)  # typed dates, not text
    expected = analyse(read_derived_tables(FOLDER), StudyConfig()).to_json_dict()
    assert analyse(tables, StudyConfig()).to_json_dict() == expected
