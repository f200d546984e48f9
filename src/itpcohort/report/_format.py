"""Numbers as the report prints them, in English or French typography.

English: decimal point, ``70.0%``, ``95% CI 61.5–75.1``. French: decimal comma and a no-break space
before ``%`` (``70,0 %``, ``IC 95 % 61,5–75,1``), as French journals print them. Rules shared by both
languages (chosen for a results section; the exact values are in ``results.json``):

* percentages with one decimal; a proportion is ``n/N (pct%)`` and its CI ``low–high``;
* medians and quartiles with one decimal, or none when all three are whole numbers (ages, lines);
* kappa with two decimals; odds ratios at a precision that suits their size
  (``odds_ratio_decimals``): two decimals from 1 to 10, one to 100, none above, two significant
  digits below 1 (``0.50``, ``0.050``, ``0.0043``) and ``< 0.001`` below that, never ``0.00``;
* p-values with three decimals, ``< 0.001`` below that (never ``0.000``);
* a missing value (``None``) prints as an en dash;
* an empty group (a proportion of denominator 0, ``0/0``) prints as ``none`` / ``aucun``;
* integers of five digits or more get a thousands separator (``12,345`` / ``12 345``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

NBSP = "\u00a0"
MISSING = "–"
DASH = "–"
MINUS = "−"
EMPTY_GROUP = {"en": "none", "fr": "aucun"}


@dataclass(frozen=True)
class NumberFormat:
    """Formats numbers, proportions, medians and p-values for one report language (en or fr)."""

    lang: str

    @property
    def _decimal(self) -> str:
        return "," if self.lang == "fr" else "."

    def number(self, value: float | None, decimals: int = 1) -> str:
        """``value`` rounded half away from zero to ``decimals`` places, in the language's style."""
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return MISSING
        text = _round_text(float(value), decimals)
        negative = text.startswith("-")
        text = text.lstrip("-")
        whole, _, fraction = text.partition(".")
        if len(whole) >= 5:
            separator = NBSP if self.lang == "fr" else ","
            groups: list[str] = []
            while whole:
                groups.insert(0, whole[-3:])
                whole = whole[:-3]
            whole = separator.join(groups)
        text = whole + (self._decimal + fraction if fraction else "")
        if negative and set(text) - {"0", ",", ".", NBSP}:
            text = MINUS + text
        return text

    def integer(self, value: int | float | None) -> str:
        """A count."""
        return self.number(value, 0)

    def percent_sign(self) -> str:
        """The percent sign with its language spacing (``%`` or no-break space + ``%``)."""
        return NBSP + "%" if self.lang == "fr" else "%"

    def semicolon(self) -> str:
        """``; `` or, in French, a no-break space before it."""
        return NBSP + "; " if self.lang == "fr" else "; "

    def pct(self, value: float | None) -> str:
        """A percentage with one decimal and its sign: ``59.2%`` / ``59,2 %``."""
        if value is None:
            return MISSING
        return self.number(value, 1) + self.percent_sign()

    def ci(self, low: float | None, high: float | None, decimals: int = 1) -> str:
        """An interval ``low–high`` (the level is said in the column header or the prose)."""
        if low is None or high is None:
            return MISSING
        return f"{self.number(low, decimals)}{DASH}{self.number(high, decimals)}"

    def ci_label(self) -> str:
        """``95% CI`` / ``IC 95 %``."""
        return f"IC 95{NBSP}%" if self.lang == "fr" else "95% CI"

    def empty_group(self) -> str:
        """What an empty group prints as: ``none`` / ``aucun`` (never ``0/0``)."""
        return EMPTY_GROUP[self.lang]

    def _is_empty_group(self, proportion: Mapping[str, Any]) -> bool:
        return proportion.get("denominator") == 0

    def n_of(self, proportion: Mapping[str, Any] | None) -> str:
        """``n/N (pct%)`` of a results.json proportion; ``none`` when its group is empty."""
        if not proportion:
            return MISSING
        if self._is_empty_group(proportion):
            return self.empty_group()
        n, denominator = proportion.get("n"), proportion.get("denominator")
        base = f"{self.integer(n)}/{self.integer(denominator)}"
        if proportion.get("pct") is None:
            return base
        return f"{base} ({self.pct(proportion['pct'])})"

    def n_pct(self, proportion: Mapping[str, Any] | None) -> str:
        """``n (pct%)`` of a results.json proportion (the denominator said in the header);
        ``none`` when its group is empty."""
        if not proportion:
            return MISSING
        if self._is_empty_group(proportion):
            return self.empty_group()
        if proportion.get("pct") is None:
            return self.integer(proportion.get("n"))
        return f"{self.integer(proportion.get('n'))} ({self.pct(proportion['pct'])})"

    def proportion_ci(self, proportion: Mapping[str, Any] | None) -> str:
        """The CI of a results.json proportion, in percent: ``51.8–66.2``."""
        if not proportion:
            return MISSING
        return self.ci(proportion.get("ci_low"), proportion.get("ci_high"))

    def proportion_with_ci(self, proportion: Mapping[str, Any] | None) -> str:
        """``n/N (pct%; 95% CI low–high)``, for prose; ``none`` when its group is empty."""
        if not proportion:
            return MISSING
        if self._is_empty_group(proportion):
            return self.empty_group()
        base = f"{self.integer(proportion.get('n'))}/{self.integer(proportion.get('denominator'))}"
        if proportion.get("pct") is None:
            return base
        return (
            f"{base} ({self.pct(proportion['pct'])}{self.semicolon()}{self.ci_label()} "
            f"{self.proportion_ci(proportion)})"
        )

    def median_iqr(self, quantiles: Mapping[str, Any] | None, decimals: int | None = None) -> str:
        """``median [q1–q3]``; by default no decimal when all three are whole numbers, else one."""
        if not quantiles or quantiles.get("median") is None:
            return MISSING
        values = [quantiles.get("median"), quantiles.get("q1"), quantiles.get("q3")]
        if decimals is None:
            decimals = quantile_decimals([quantiles])
        median, q1, q3 = (self.number(v, decimals) for v in values)
        return f"{median}{NBSP}[{q1}{DASH}{q3}]"

    def median_ci(
        self, median: float | None, low: float | None, high: float | None, not_reached: str
    ) -> str:
        """A Kaplan–Meier median with its CI, one decimal: ``15.2 (9.8–24.1)``.

        A median or an upper limit the curve never reaches prints as ``not_reached``; without a
        lower limit the CI is left out.
        """
        text = not_reached if median is None else self.number(median, 1)
        if low is None:
            return text
        upper = not_reached if high is None else self.number(high, 1)
        return f"{text} ({self.number(low, 1)}{DASH}{upper})"

    def ratio(self, value: float | None) -> str:
        """A kappa (or any ratio read on a linear scale), two decimals."""
        return self.number(value, 2)

    def odds_ratio(self, value: float | None) -> str:
        """An odds ratio at the precision of ``odds_ratio_decimals`` (``0.0043``, ``2.35``, ``14.2``)."""
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return MISSING
        if value < ODDS_RATIO_FLOOR:
            return f"<{NBSP}{self.number(ODDS_RATIO_FLOOR, 3)}"
        return self.number(value, odds_ratio_decimals(value))

    def odds_ratio_ci(self, low: float | None, high: float | None) -> str:
        """The CI of an odds ratio, each limit at the precision of its own size."""
        if low is None or high is None:
            return MISSING
        return f"{self.odds_ratio(low)}{DASH}{self.odds_ratio(high)}"

    def p_value(self, value: float | None) -> str:
        """``0.006``; ``< 0.001`` below one in a thousand; an en dash when not computed."""
        if value is None:
            return MISSING
        if value < 0.001:
            return f"<{NBSP}{self.number(0.001, 3)}"
        return self.number(value, 3)


ODDS_RATIO_FLOOR = 0.001


def odds_ratio_decimals(value: float) -> int:
    """Decimals of an odds ratio: 0 from 100, 1 from 10, 2 from 1, two significant digits below."""
    if value >= 100:
        return 0
    if value >= 10:
        return 1
    if value >= 1:
        return 2
    return max(2, 1 - math.floor(math.log10(value)))


def quantile_decimals(rows: Sequence[Mapping[str, Any] | None]) -> int:
    """0 when every median and quartile of ``rows`` is a whole number, else 1 (one rule per line)."""
    values = [
        float(row[key])
        for row in rows
        if row
        for key in ("median", "q1", "q3")
        if row.get(key) is not None
    ]
    return 0 if all(value.is_integer() for value in values) else 1


def _round_text(value: float, decimals: int) -> str:
    """Round half away from zero (as people do by hand, not banker's rounding) and format."""
    scaled = abs(value) * 10**decimals
    # the repr of a float near .5 may sit just below it (2.675 -> 2.67499...): nudge by 1e-9
    rounded = math.floor(scaled + 0.5 + 1e-9)
    text = f"{rounded / 10**decimals:.{decimals}f}"
    return ("-" if value < 0 and rounded != 0 else "") + text
