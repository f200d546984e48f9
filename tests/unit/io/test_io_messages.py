"""Values in messages: quoted as written, cut with an ellipsis, control characters escaped."""

from __future__ import annotations

from itpcohort.errors import (
    ELLIPSIS,
    SHOWN_MAX,
    InputError,
    Problem,
    cut,
    escape_controls,
    shown,
)
from itpcohort.schema import TABLES_BY_NAME
from itpcohort.store.checks import problem_reason


def test_a_value_is_shown_quoted_as_written() -> None:
    assert shown("aspirinx") == "'aspirinx'"
    assert shown(" 03/04/2019") == "' 03/04/2019'"


def test_a_long_value_is_cut_with_an_ellipsis() -> None:
    text = shown("x" * 5_000_000)
    assert text == "'" + "x" * (SHOWN_MAX - 1) + ELLIPSIS + "'"
    assert cut("y" * SHOWN_MAX) == "y" * SHOWN_MAX  # exactly the limit: kept whole


def test_control_characters_are_escaped() -> None:
    osc = "\x1b]8;;http://x.test\x07link\x1b]8;;\x07"
    assert escape_controls(osc) == "\\x1b]8;;http://x.test\\x07link\\x1b]8;;\\x07"
    assert shown("a\nb\tc\x00\x7f\x9b") == "'a\\nb\\tc\\x00\\x7f\\x9b'"
    assert shown("abc\u202edef") == "'abc\\u202edef'"  # a right-to-left override
    assert shown("prénom, 血小板") == "'prénom, 血小板'"  # printable text is kept


def test_a_problem_line_escapes_every_part() -> None:
    problem = Problem("in/t\nx.csv", 3, "dr\x1bug", "v", "reason \x1b[2J")
    assert str(problem) == "in/t\\nx.csv:3: dr\\x1bug: reason \\x1b[2J"


def test_problem_reason_names_the_value_and_the_closest_allowed_value() -> None:
    treatments = TABLES_BY_NAME["treatments"]
    drug = next(c for c in treatments.columns if c.name == "drug")
    reason = problem_reason(treatments, drug, "rituximabb", "is not a known drug; allowed: x")
    assert reason == "'rituximabb' is not a known drug; allowed: x; did you mean 'rituximab'?"
    assert problem_reason(treatments, drug, "aspirinx", "is not a known drug") == (
        "'aspirinx' is not a known drug"
    )
    assert problem_reason(treatments, drug, None, "required value missing") == (
        "required value missing"
    )


def test_a_platelet_unit_is_suggested_as_the_data_model_spells_it() -> None:
    counts = TABLES_BY_NAME["platelet_counts"]
    unit = next(c for c in counts.columns if c.name == "unit")
    assert problem_reason(counts, unit, "10^9/ l", "is not a known unit").endswith(
        "did you mean '10^9/L'?"
    )


def test_an_error_message_escapes_control_characters() -> None:
    assert str(InputError("in/\x1b[2Jx: no such file")) == "in/\\x1b[2Jx: no such file"
