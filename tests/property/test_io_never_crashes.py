"""Whatever a center puts in its cells, validation answers with problems, never a crash.

Random text (quotes, delimiters, line breaks, NUL, accents, formula starts...) is written into
random cells of the minimal valid study; validation must either list file-level problems
(InputError) or account for every row: loaded + rejected = read.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from itpcohort.config import StudyConfig
from itpcohort.errors import InputError
from itpcohort.pipeline import validate_inputs
from tests.fixtures.io_study import VALID, valid_tables, write_study

_TABLES = sorted(VALID)
_text = st.one_of(
    st.text(alphabet=st.sampled_from(list('a1-/.,;"\n\r\t =+@é\u00a0\x00Ü')), max_size=12),
    st.sampled_from(["2019-02-30", "1e999", "nan", "", "2019", "03/04/2019", "TLS-001", "-0"]),
)
_edit = st.tuples(st.sampled_from(_TABLES), st.integers(0, 50), st.integers(0, 50), _text)


@settings(max_examples=40, deadline=None)
@given(edits=st.lists(_edit, min_size=1, max_size=6), crlf=st.booleans())
def test_random_cells_never_crash_and_every_row_is_accounted(
    edits: list[tuple[str, int, int, str]], crlf: bool
) -> None:
    tables = valid_tables()
    for table, row, column, value in edits:
        rows = tables[table]
        rows[1 + row % (len(rows) - 1)][column % len(rows[0])] = value
    with tempfile.TemporaryDirectory() as work:
        study = write_study(Path(work) / "cohort", tables, newline="\r\n" if crlf else "\n")
        try:
            report = validate_inputs([study], StudyConfig())
        except InputError as error:
            assert error.problems, "a file-level refusal names its problems"
            return
    for counts in report.counts:
        assert counts.rows_loaded + counts.rows_rejected == counts.rows_read
    rejected_rows = {(p.file, p.row) for p in report.rejected}
    assert len(rejected_rows) == sum(c.rows_rejected for c in report.counts)
