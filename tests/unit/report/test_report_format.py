"""Numbers as the report prints them, in English and French (``report/_format.py``)."""

from __future__ import annotations

import pytest

from itpcohort.report._format import NumberFormat, quantile_decimals

EN, FR = NumberFormat("en"), NumberFormat("fr")
NB = "\u00a0"
PROPORTION = {"n": 7, "denominator": 10, "pct": 70.0, "ci_low": 34.75, "ci_high": 93.33}


def test_percentages_and_intervals() -> None:
    assert EN.pct(70.0) == "70.0%"
    assert FR.pct(70.0) == f"70,0{NB}%"
    assert EN.n_of(PROPORTION) == "7/10 (70.0%)"
    assert FR.n_pct(PROPORTION) == f"7 (70,0{NB}%)"
    assert EN.proportion_ci(PROPORTION) == "34.8–93.3"
    assert FR.proportion_with_ci(PROPORTION) == f"7/10 (70,0{NB}%{NB}; IC 95{NB}% 34,8–93,3)"
    assert EN.proportion_with_ci(PROPORTION) == "7/10 (70.0%; 95% CI 34.8–93.3)"


def test_empty_proportion_and_missing_values() -> None:
    empty = {"n": 0, "denominator": 0, "pct": None, "ci_low": None, "ci_high": None}
    # an empty group prints as a word, never 0/0 (issue 17 item 18)
    assert EN.n_of(empty) == "none"
    assert FR.n_of(empty) == "aucun"
    assert EN.n_pct(empty) == "none"
    assert FR.proportion_with_ci(empty) == "aucun"
    assert EN.n_of({"n": 0, "denominator": 4, "pct": 0.0}) == "0/4 (0.0%)"
    assert EN.proportion_ci(empty) == "–"
    assert EN.number(None) == "–"
    assert EN.number(float("nan")) == "–"
    assert EN.n_of(None) == "–"


@pytest.mark.parametrize(
    ("value", "decimals", "english"),
    [
        (2.675, 2, "2.68"),
        (0.125, 2, "0.13"),
        (59.25, 1, "59.3"),
        (-0.04, 1, "0.0"),
        (-1.5, 0, "−2"),
        (12345, 0, "12,345"),
        (1234, 0, "1234"),
        (1234567.5, 1, "1,234,567.5"),
    ],
)
def test_rounding_is_half_away_from_zero(value: float, decimals: int, english: str) -> None:
    assert EN.number(value, decimals) == english
    french = english.replace(",", NB).replace(".", ",")
    assert FR.number(value, decimals) == french


def test_p_values() -> None:
    assert EN.p_value(0.0064) == "0.006"
    assert FR.p_value(0.0064) == "0,006"
    assert EN.p_value(3e-15) == f"<{NB}0.001"
    assert FR.p_value(0.0009) == f"<{NB}0,001"
    assert EN.p_value(None) == "–"
    assert EN.p_value(1.0) == "1.000"


def test_medians_drop_decimals_only_when_all_are_whole() -> None:
    # a no-break space joins the median to its IQR (issue 17 item 12: no number split in Word)
    assert EN.median_iqr({"median": 39.0, "q1": 28.0, "q3": 51.0}) == f"39{NB}[28–51]"
    assert FR.median_iqr({"median": 57.7577, "q1": 26.05, "q3": 86.67}) == f"57,8{NB}[26,1–86,7]"
    assert EN.median_iqr({"median": None, "q1": None, "q3": None}) == "–"
    rows = [{"median": 57.0, "q1": 36.5, "q3": 82.5}, {"median": 56.0, "q1": 32.0, "q3": 85.0}]
    assert quantile_decimals(rows) == 1
    assert EN.median_iqr(rows[1], quantile_decimals(rows)) == f"56.0{NB}[32.0–85.0]"


def test_ratios_and_ci_labels() -> None:
    assert EN.ratio(14.95578482) == "14.96"
    assert FR.ratio(0.975046776) == "0,98"
    assert EN.ci(7.35789379, 34.77184104, 2) == "7.36–34.77"
    assert EN.ci_label() == "95% CI" and FR.ci_label() == f"IC 95{NB}%"
