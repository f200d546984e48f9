"""Analysis 5: predictive factors of response to course 2 (univariable tests, Firth regression).

``flagship-study.md``, Analysis 5 and Exact definitions (Factors, Wilcoxon rank-sum, Firth model).
The outcome is response to course 2 (CR or R = 1; NR or NE = 0) over all included patients.

Univariable: Fisher's exact test for binary and categorical factors (scipy for 2 × 2 tables; for a
k × 2 table, k > 2, scipy only offers a Monte Carlo p-value, so the exact p-value is computed here
over the tables with the observed margins, R ``fisher.test``'s definition); Wilcoxon
rank-sum as R ``wilcox.test`` by default. Multivariable: Firth penalized logistic regression
(``firthmodels``) on the factors with univariable p < ``selection_p``; odds ratios with profile
penalized-likelihood 95% CIs and penalized likelihood-ratio p-values, where the restricted fit keeps
the full model's penalty (R ``logistf``; firthmodels' ``lrt`` and ``conf_int(method="pl")`` fix the
coefficient inside the full design, so the Jeffreys penalty is that of the full model).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from firthmodels import FirthLogisticRegression
from scipy import special, stats

from itpcohort.analysis._firth_kernel import fast_firth_kernel
from itpcohort.analysis.estimates import finite_or_none, quantiles
from itpcohort.analysis.population import MONTH_DAYS
from itpcohort.analysis.response import is_responder
from itpcohort.protocols import Protocol, default_protocol

FactorKind = Literal["binary", "categorical", "continuous"]
OUTCOME = "response_course2"
#: R fisher.test counts tables with probability <= observed × (1 + 1e-7) as at least as extreme
FISHER_RELATIVE_ERROR = 1 + 1e-7
#: beyond this many partial tables the k × 2 Fisher p-value is estimated by Monte Carlo (seeded)
FISHER_MAX_STATES = 20_000_000
FISHER_DP_BLOCK = 2_000_000
#: most rows whose completion minimum is found on the vertices (m rows: m × 2^(m−1) sums)
FISHER_VERTEX_ROWS = 8
#: relative distance to the threshold within which a partial table is expanded, not settled
FISHER_BOUND_MARGIN = 1e-9
FISHER_MONTE_CARLO_RESAMPLES = 200_000
#: convergence tolerance of every Firth fit, restricted fit and profile bound (plan: ≤ 1e-8)
FIRTH_TOLERANCE = 1e-10
#: the plan's loosest tolerance (``flagship-study.md``, Firth model: "1e-8 or better")
FIRTH_PLAN_TOLERANCE = 1e-8
#: rounding units of the model's largest sum below which a score or a log-likelihood gap is noise
FIRTH_ROUNDING_UNITS = 16
FIRTH_MAX_ITER = 200


@dataclass(frozen=True)
class Factor:
    """A candidate predictor: its kind, its reference level and whether it may enter the model."""

    name: str
    kind: FactorKind
    reference: str | None = None
    label: str = ""
    multivariable: bool = True


FACTORS: tuple[Factor, ...] = (
    Factor("response_course1", "binary", "non-responder", "response to course 1 (CR or R)"),
    Factor("sex", "binary", "F", "sex (M vs F)"),
    Factor("itp_type", "binary", "primary", "secondary ITP (vs primary)"),
    Factor("age_course2", "continuous", None, "age at course 2 (years)"),
    Factor("itp_duration_course2_months", "continuous", None, "ITP duration at course 2 (months)"),
    Factor("prior_lines_course2", "continuous", None, "prior lines before course 2"),
    Factor("splenectomy_before_course2", "binary", "no", "splenectomy before course 2"),
    # reference: the default protocol's first regimen (``plan_factors`` for another protocol)
    Factor(
        "regimen_course2",
        "categorical",
        default_protocol().courses.regimens[0].name,
        "regimen of course 2",
    ),
    Factor("interval_months", "continuous", None, "interval between courses 1 and 2 (months)"),
    Factor(
        "duration_course1_days",
        "continuous",
        None,
        "course-1 response duration (days), course-1 responders",
        multivariable=False,
    ),
)
#: the factors of the ``first_switch`` design (``protocols.md``, The tpo-ra-switch analysis plan):
#: the stop reason of course 1 (reference: ``inefficacy``, the first of the vocabulary and the
#: commonest) and the direction ``agent1→agent2`` (reference: the most frequent direction)
SWITCH_FACTORS: tuple[Factor, ...] = (
    Factor("stop_reason_course1", "categorical", "inefficacy", "stop reason of course 1"),
    Factor("direction", "categorical", None, "switch direction"),
)
FACTORS_BY_NAME = {factor.name: factor for factor in (*FACTORS, *SWITCH_FACTORS)}


def plan_factors(protocol: Protocol) -> tuple[Factor, ...]:
    """The factors of ``protocol``'s ``design.predictors``, in its order (``protocols.md``, The
    protocol file): the regimen's reference is the protocol's first regimen (none: the most
    frequent level, as ``design_matrix`` does when the reference is not observed)."""
    first = protocol.courses.regimens[0].name if protocol.courses.regimens else None
    chosen = []
    for name in protocol.design.predictors:
        factor = FACTORS_BY_NAME[name]
        if factor.name == "regimen_course2":
            factor = Factor(factor.name, factor.kind, first, factor.label, factor.multivariable)
        chosen.append(factor)
    return tuple(chosen)


def factor_frame(patients: pd.DataFrame) -> pd.DataFrame:
    """The outcome and every factor of the plan, one row per included patient.

    Binary factors are 0/1 floats (reference = 0), ``regimen_course2`` is text with ``unknown``
    taken as missing, continuous factors are floats; missing values stay NaN.
    """

    def binary(values: pd.Series, one: object) -> pd.Series:
        equal = (values == one).fillna(False).to_numpy(dtype=bool)
        return pd.Series(np.where(values.notna(), equal, np.nan), index=values.index)

    start1 = patients["start_date_c1"]
    start2 = patients["start_date_c2"]
    regimen = patients["regimen_c2"].astype("object")
    regimen = regimen.where(regimen.notna() & (regimen != "unknown"), np.nan)
    responder1 = is_responder(patients["response_c1"])
    duration1 = pd.to_numeric(patients["duration_course1_days"], errors="raise").astype(float)
    return pd.DataFrame(
        {
            "center": patients["center"],
            "patient_id": patients["patient_id"],
            OUTCOME: is_responder(patients["response_c2"]).astype(int),
            "response_course1": responder1.astype(float),
            "sex": binary(patients["sex"], "M"),
            "itp_type": binary(patients["itp_type"], "secondary"),
            "age_course2": patients["age_at_course_c2"].astype(float),
            "itp_duration_course2_months": (start2 - patients["diagnosis_date"]).dt.days
            / MONTH_DAYS,
            "prior_lines_course2": patients["prior_lines_c2"].astype(float),
            "splenectomy_before_course2": binary(
                patients["splenectomy_before_c2"].astype("object"), True
            ),
            "regimen_course2": regimen,
            "interval_months": (start2 - start1).dt.days / MONTH_DAYS,
            "duration_course1_days": duration1.where(responder1, np.nan),
            **_switch_factors(patients),
        }
    ).reset_index(drop=True)


def _switch_factors(patients: pd.DataFrame) -> dict[str, pd.Series]:
    """``stop_reason_course1`` (empty: ``unknown``) and ``direction`` when the courses are
    exposure courses (``SWITCH_FACTORS``); nothing for infusion courses."""
    if "agent_c1" not in patients.columns:
        return {}
    reason = patients["stop_reason_c1"].astype("object")
    agents = patients["agent_c1"].astype("object"), patients["agent_c2"].astype("object")
    return {
        "stop_reason_course1": reason.where(reason.notna() & (reason != ""), "unknown"),
        "direction": (agents[0] + "\u2192" + agents[1]).where(
            agents[0].notna() & agents[1].notna(), np.nan
        ),
    }


@dataclass(frozen=True)
class UnivariableTest:
    """One line of ``predictors.univariable[]``."""

    factor: str
    test: str
    p: float | None
    n: int
    note: str | None = None
    #: binary/categorical: {level: [non-responders, responders]}; continuous: medians by group
    detail: dict[str, object] = field(default_factory=dict)


def _log_choose(n: np.ndarray | int, k: np.ndarray | int) -> np.ndarray:
    n_, k_ = np.asarray(n, dtype=float), np.asarray(k, dtype=float)
    return np.asarray(
        special.gammaln(n_ + 1) - special.gammaln(k_ + 1) - special.gammaln(n_ - k_ + 1),
        dtype=float,
    )


def _completion_bounds(rows: np.ndarray, column1: int) -> tuple[np.ndarray, np.ndarray]:
    """``best[i, t]`` / ``worst[i, t]``: the max / min of Σ_{j≥i} log C(r_j, x_j) over the
    completions of rows i.. with Σ_{j≥i} x_j = t, 0 ≤ x_j ≤ r_j (-inf / +inf when none).

    log C(r, x) is concave in x, so both are found without a pass over every (t, x) pair (which
    took minutes at 200,000 patients): the max takes the t largest of the rows' decreasing
    increments log((r − x) / (x + 1)) (a max-plus convolution of concave sequences); the min of a
    concave sum over {Σ x_j = t, 0 ≤ x_j ≤ r_j} lies on a vertex, where every row but one is empty
    or full. Beyond ``FISHER_VERTEX_ROWS`` rows the vertices are too many and a dynamic programme
    over rows gives the min instead.
    """
    k = len(rows)
    best = np.full((k + 1, column1 + 1), -np.inf)
    worst = np.full((k + 1, column1 + 1), np.inf)
    best[k, 0] = worst[k, 0] = 0.0
    t = np.arange(column1 + 1)
    for i in range(k - 1, -1, -1):
        tail = [int(r) for r in rows[i:]]
        reach = min(column1, sum(tail))
        increments = np.concatenate(
            [np.log((r - np.arange(r)) / (np.arange(r) + 1.0)) for r in tail]
        )
        owner = np.repeat(np.arange(len(tail)), tail)
        taken = owner[np.argsort(-increments, kind="stable")[:reach]]
        maximum = np.zeros(reach + 1)
        for j, r in enumerate(tail):
            counts = np.concatenate([[0], np.cumsum(taken == j)])
            maximum += _log_choose(r, counts)
        best[i, : reach + 1] = maximum
        if len(tail) <= FISHER_VERTEX_ROWS:
            worst[i] = _vertex_minimum(tail, t)
        else:
            worst[i] = _row_minimum(int(rows[i]), worst[i + 1], t)
    return best, worst


def _vertex_minimum(tail: list[int], t: np.ndarray) -> np.ndarray:
    """min over the vertices of {Σ x_j = t, 0 ≤ x_j ≤ r_j} of Σ log C(r_j, x_j), for every t."""
    minimum = np.full(t.size, np.inf)
    for j, r in enumerate(tail):
        others = tail[:j] + tail[j + 1 :]
        full_sums = {0}
        for other in others:
            full_sums |= {s + other for s in full_sums}
        for full in sorted(full_sums):
            x = t - full
            ok = (x >= 0) & (x <= r)
            minimum[ok] = np.minimum(minimum[ok], _log_choose(r, x[ok]))
    return minimum


def _row_minimum(r: int, worst_next: np.ndarray, t: np.ndarray) -> np.ndarray:
    """min over x of log C(r, x) + ``worst_next``[t − x], for every t (dynamic programme)."""
    x = np.arange(r + 1)
    f = _log_choose(r, x)[None, :]
    minimum = np.full(t.size, np.inf)
    block = max(1, FISHER_DP_BLOCK // x.size)  # bounded memory whatever the cohort size
    for start in range(0, t.size, block):
        part = t[start : start + block]
        rest = part[:, None] - x[None, :]
        valid = rest >= 0
        at = np.clip(rest, 0, None)
        minimum[part] = np.where(valid, worst_next[at] + f, np.inf).min(axis=1)
    return minimum


def fisher_exact_kx2(table: np.ndarray) -> tuple[float, str]:
    """Two-sided Fisher exact p-value of a k × 2 table, R ``fisher.test``'s definition.

    The p-value is the total probability of the tables with the observed margins whose probability
    is at most the observed one × (1 + 1e-7). A table's probability is Π C(r_i, x_i) / C(N, c), so
    tables are built row by row (as R's network algorithm does): a partial table is settled at once
    when even the most (least) probable completion of its remaining rows is (is not) at least as
    extreme — the completions then weigh C(remaining N, remaining c) together (Vandermonde) — and
    expanded otherwise. Bounds of the remaining rows come from ``_completion_bounds``.
    Beyond ``FISHER_MAX_STATES`` partial tables, a seeded Monte Carlo estimate is returned instead
    (test ``fisher_monte_carlo``), as R would need ``simulate.p.value``.
    """
    table = np.asarray(table, dtype=int)
    table = table[table.sum(axis=1) > 0]
    column1 = int(table[:, 1].sum())
    total = int(table.sum())
    if len(table) < 2 or column1 in (0, total):
        return 1.0, "fisher"
    order = np.argsort(-table.sum(axis=1), kind="stable")  # large rows first: more is settled early
    rows = table[order].sum(axis=1)
    observed = table[order, 1]
    k = len(rows)
    threshold = float(np.sum(_log_choose(rows, observed))) + math.log(FISHER_RELATIVE_ERROR)
    remaining = np.concatenate([np.cumsum(rows[::-1])[::-1], [0]])  # remaining[i] = Σ_{j≥i} r_j

    best, worst = _completion_bounds(rows, column1)
    settled: list[np.ndarray] = []
    partial, value = np.array([0]), np.array([0.0])
    for i in range(k):
        left = column1 - partial
        high, low = value + best[i, left], value + worst[i, left]
        # the last row's completion is unique and its bounds exact; before it, a partial table
        # within ``margin`` of the threshold is expanded rather than settled on a rounded bound
        margin = 0.0 if i == k - 1 else FISHER_BOUND_MARGIN * max(1.0, abs(threshold))
        all_extreme = high <= threshold - margin
        settled.append(value[all_extreme] + _log_choose(int(remaining[i]), left[all_extreme]))
        open_ = ~all_extreme & (low <= threshold + margin) & np.isfinite(high)
        partial, value = partial[open_], value[open_]
        if partial.size == 0:
            break
        x = np.arange(int(rows[i]) + 1)
        if partial.size * x.size > FISHER_MAX_STATES:
            return _fisher_monte_carlo(table)
        sums = (partial[:, None] + x[None, :]).ravel()
        values = (value[:, None] + _log_choose(int(rows[i]), x)[None, :]).ravel()
        feasible = (sums <= column1) & (column1 - sums <= remaining[i + 1])
        partial, value = sums[feasible], values[feasible]
    log_terms = np.concatenate(settled) - _log_choose(total, column1)
    return float(min(1.0, np.exp(log_terms).sum())), "fisher"


def _fisher_monte_carlo(table: np.ndarray) -> tuple[float, str]:
    result = stats.fisher_exact(
        table,
        method=stats.MonteCarloMethod(
            n_resamples=FISHER_MONTE_CARLO_RESAMPLES, rng=np.random.default_rng(20_251_125)
        ),
    )
    return float(result.pvalue), "fisher_monte_carlo"


def wilcoxon_rank_sum(x: np.ndarray, y: np.ndarray) -> float | None:
    """Two-sided Wilcoxon rank-sum p-value with R ``wilcox.test``'s default method.

    Exact when both groups have fewer than 50 values and there are no ties, otherwise the normal
    approximation with tie and continuity correction (scipy's default ``method="auto"`` switches at
    8 values, so the method is chosen here explicitly). None when a group is empty or every value is
    the same (R returns NaN: the statistic has no variance).
    """
    if len(x) == 0 or len(y) == 0:
        return None
    combined = np.concatenate([x, y])
    if np.all(combined == combined[0]):
        return None
    ties = len(np.unique(combined)) < len(combined)
    exact = len(x) < 50 and len(y) < 50 and not ties
    result = stats.mannwhitneyu(
        x,
        y,
        alternative="two-sided",
        use_continuity=True,
        method="exact" if exact else "asymptotic",
    )
    return finite_or_none(float(result.pvalue))


def univariable_test(frame: pd.DataFrame, factor: Factor) -> UnivariableTest:
    """Test the association of ``factor`` with response to course 2 (Fisher or Wilcoxon)."""
    data = frame[[OUTCOME, factor.name]].dropna()
    outcome = data[OUTCOME].to_numpy(dtype=int)
    values = data[factor.name]
    if factor.kind == "continuous":
        x = values[outcome == 1].to_numpy(dtype=float)
        y = values[outcome == 0].to_numpy(dtype=float)
        p = wilcoxon_rank_sum(x, y)
        note = None
        if p is None:
            note = (
                "not testable: a response group is empty"
                if len(x) == 0 or len(y) == 0
                else "not testable: every value is the same"
            )
        responders, nonresponders = quantiles(x), quantiles(y)
        detail: dict[str, object] = {
            "median_responders": float(np.median(x)) if len(x) else None,
            "median_nonresponders": float(np.median(y)) if len(y) else None,
            "n_responders": len(x),
            "n_nonresponders": len(y),
            # quartiles (type 7) of each group, for the median [IQR] of the report's table
            "q1_responders": responders.q1,
            "q3_responders": responders.q3,
            "q1_nonresponders": nonresponders.q1,
            "q3_nonresponders": nonresponders.q3,
        }
        return UnivariableTest(factor.name, "wilcoxon", p, len(data), note, detail)
    levels = sorted(values.unique(), key=str)
    table = np.array(
        [[int(((values == lv) & (outcome == o)).sum()) for o in (0, 1)] for lv in levels], dtype=int
    ).reshape(len(levels), 2)
    detail = {_level_name(factor, lv): table[i].tolist() for i, lv in enumerate(levels)}
    if len(levels) < 2:
        return UnivariableTest(
            factor.name, "fisher", None, len(data), "not testable: one level only", detail
        )
    if table.shape == (2, 2):
        p = float(stats.fisher_exact(table, alternative="two-sided").pvalue)
        test = "fisher"
    else:
        p, test = fisher_exact_kx2(table)
    return UnivariableTest(factor.name, test, min(1.0, p), len(data), None, detail)


def _level_name(factor: Factor, level: object) -> str:
    if factor.kind == "binary":
        names = {
            "response_course1": ("NR/NE", "CR/R"),
            "sex": ("F", "M"),
            "itp_type": ("primary", "secondary"),
            "splenectomy_before_course2": ("no", "yes"),
        }[factor.name]
        return names[int(float(str(level)))]
    return str(level)


def univariable_screen(
    frame: pd.DataFrame, factors: tuple[Factor, ...] = FACTORS
) -> list[UnivariableTest]:
    """Every factor of the plan tested against response to course 2, in the plan's order."""
    return [univariable_test(frame, factor) for factor in factors]


@dataclass(frozen=True)
class FirthTerm:
    """One term of a Firth model: odds ratio, profile 95% CI and penalized LR p-value."""

    term: str
    odds_ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p: float | None
    coef: float | None


def collapse_rows(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (covariates, outcome) rows of a design, and how many patients share each.

    Firth's penalized log-likelihood, its modified score and its Fisher information are sums over
    patients, and the hat value of a row shared by m patients is m times that of one of them, so a
    fit on the distinct rows weighted by their counts is the fit on every patient
    (``flagship-study.md``, Firth model). A model on discrete factors shrinks to a few rows (the
    single-factor model of response to course 1, fitted once per sensitivity run: 4 rows for
    142,000 patients at 200,000). Rows come back sorted (deterministic).

    Collapsing changes the order of the sums, hence the last bits of the estimates, so it is done
    only where it pays: when it at least halves the rows. A design with continuous factors keeps
    its rows (nearly every patient's row is distinct) and unit weights, as does a design left
    with no more distinct rows than parameters (the solver then names the rank deficiency).
    """
    rows = np.column_stack([X, y])
    unique, counts = np.unique(rows, axis=0, return_counts=True)
    if 2 * len(unique) > len(rows) or len(unique) <= X.shape[1] + 1:
        return X, y, np.ones(len(y))
    return unique[:, :-1], unique[:, -1].astype(int), counts.astype(float)


def firth_tolerance(X: np.ndarray, counts: np.ndarray) -> float:
    """The convergence tolerance of a Firth fit on the design ``X`` (rows weighted by
    ``counts``; ``flagship-study.md``, Firth model: "a tolerance of 1e-8 or better").

    The score and the log-likelihood are sums over the patients: a float64 sum is exact only to
    about a rounding unit of its largest terms' total, ``eps × Σ counts·|x|`` (the intercept's
    total is the number of patients). ``FIRTH_TOLERANCE`` (1e-10) is asked for while it is above
    ``FIRTH_ROUNDING_UNITS`` such units; beyond, the tolerance is those units, up to the plan's
    1e-8. Without it, a fit on 40,000 patients with a covariate in the thousands (a dose in mg)
    or the restricted fits of a 700,000-patient model never met 1e-10 and came out as "did not
    converge". Designs of a few hundred patients keep 1e-10 exactly (the R oracle's fixtures, the
    flagship's demo).
    """
    largest = max(float(counts.sum()), float((counts @ np.abs(X)).max(initial=0.0)))
    floor = FIRTH_ROUNDING_UNITS * float(np.finfo(np.float64).eps) * largest
    return max(FIRTH_TOLERANCE, min(FIRTH_PLAN_TOLERANCE, floor))


class FirthLogit:
    """Firth penalized logistic regression with profile CIs and penalized LR tests (logistf style).

    Wraps ``firthmodels.FirthLogisticRegression`` with the plan's settings: tolerance 1e-10 for the
    fit (its default is 1e-4), for every restricted fit and for every profile bound, loosened only
    where the model's sums cannot resolve it (``firth_tolerance``, at most 1e-8); the numpy
    backend, so results do not depend on whether numba is installed.

    Attributes (after ``fit``): ``terms_`` (list of FirthTerm), ``n_``, ``events_``, ``loglik_``
    (penalized), ``converged_``, ``warnings_`` (what could not be computed), ``summary`` (DataFrame).
    """

    def __init__(self, tol: float = FIRTH_TOLERANCE, max_iter: int = FIRTH_MAX_ITER) -> None:
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, design: pd.DataFrame, outcome: pd.Series) -> FirthLogit:
        """Fit outcome (0/1) on the columns of ``design`` (an intercept is added)."""
        X_rows = design.to_numpy(dtype=float)
        y_rows = outcome.to_numpy(dtype=int)
        self.n_ = len(y_rows)
        self.events_ = int(y_rows.sum())
        X, y, counts = collapse_rows(X_rows, y_rows)
        tol = max(self.tol, firth_tolerance(X, counts))
        # the library's iterations at BLAS speed, same bits (``_firth_kernel``)
        with warnings.catch_warnings(), fast_firth_kernel():
            # the solver's warnings are replaced by the explicit notes below
            warnings.simplefilter("ignore")
            # Pure Newton steps first (firthmodels still caps each step at 5): at a 1e-10 tolerance
            # its step-halving can fail once the penalized log-likelihood no longer improves in
            # float64 near the optimum. Step-halving is the fallback when Newton does not converge.
            for max_halfstep in (0, 25):
                model = FirthLogisticRegression(
                    backend="numpy",
                    max_iter=self.max_iter,
                    gtol=tol,
                    xtol=self.tol,
                    max_halfstep=max_halfstep,
                )
                model.fit(X, y, sample_weight=counts)
                if model.converged_:
                    break
            indices = list(range(X.shape[1]))
            model.lrt(indices)
            if np.isnan(model.lrt_pvalues_[indices]).any():
                model.max_halfstep = 25 - model.max_halfstep  # retry the other way
                model.lrt(indices)
            ci = model.conf_int(method="pl", features=indices, tol=tol, max_iter=self.max_iter)
        self.converged_ = bool(model.converged_)
        self.warnings_ = []
        if not self.converged_:
            self.warnings_.append("the Firth fit did not converge")
        for j, name in enumerate(design.columns):
            if self.converged_ and np.isnan(model.lrt_pvalues_[j]):
                self.warnings_.append(f"{name}: the restricted fit of the LR test did not converge")
            for k, side in enumerate(("lower", "upper")):
                if self.converged_ and np.isnan(ci[j, k]):
                    self.warnings_.append(
                        f"{name}: profile {side} bound not found (the penalized likelihood may "
                        "not fall to the 95% cut-off on that side)"
                    )
        self.loglik_ = float(model.loglik_)
        self.model_ = model
        terms = []
        for j, name in enumerate(design.columns):
            coef = finite_or_none(float(model.coef_[j])) if self.converged_ else None
            low = finite_or_none(float(ci[j, 0])) if self.converged_ else None
            high = finite_or_none(float(ci[j, 1])) if self.converged_ else None
            terms.append(
                FirthTerm(
                    term=str(name),
                    odds_ratio=_exp(coef),
                    ci_low=_exp(low),
                    ci_high=_exp(high),
                    p=finite_or_none(float(model.lrt_pvalues_[j])) if self.converged_ else None,
                    coef=coef,
                )
            )
        self.terms_ = terms
        return self

    @property
    def summary(self) -> pd.DataFrame:
        """Terms with coefficient, odds ratio, profile 95% CI and penalized LR p-value."""
        return pd.DataFrame(
            {
                "coef": [t.coef for t in self.terms_],
                "odds ratio": [t.odds_ratio for t in self.terms_],
                "odds ratio lower 95%": [t.ci_low for t in self.terms_],
                "odds ratio upper 95%": [t.ci_high for t in self.terms_],
                "p (penalized LR)": [t.p for t in self.terms_],
            },
            index=pd.Index([t.term for t in self.terms_], name="term"),
        )

    def __repr__(self) -> str:
        if not hasattr(self, "n_"):
            return "<FirthLogit: not fitted>"
        return f"<FirthLogit: fitted with {self.n_} patients, {self.events_} responders>"


def _exp(value: float | None) -> float | None:
    if value is None:
        return None
    try:
        return finite_or_none(math.exp(value))
    except OverflowError:
        return None


@dataclass(frozen=True)
class FirthModel:
    """A fitted (or not fittable) Firth model: its terms, size and any reason it was not fitted."""

    terms: list[FirthTerm]
    n: int
    events: int
    factors: list[str]
    note: str | None = None


def design_matrix(
    frame: pd.DataFrame, factors: list[str], plan: dict[str, Factor] = FACTORS_BY_NAME
) -> tuple[pd.DataFrame, list[str]]:
    """Model columns for ``factors`` over the rows of ``frame`` (already complete), and notes.

    Binary and continuous factors give one column named after the factor; ``regimen_course2``
    gives one indicator ``regimen_course2=<level>`` per observed level other than the reference
    (the protocol's first regimen; if absent, the most frequent level, with a note). ``plan``:
    the factors by name (``plan_factors``).
    A column without variation cannot be estimated and is left out, with a note.
    """
    columns: dict[str, pd.Series] = {}
    notes: list[str] = []
    for name in factors:
        factor = plan[name]
        values = frame[name]
        if factor.kind != "categorical":
            columns[name] = values.astype(float)
            continue
        levels = sorted(values.unique(), key=str)
        reference = factor.reference
        if reference not in levels:
            counts = values.value_counts()
            reference = str(sorted(counts.index[counts == counts.max()], key=str)[0])
            if factor.reference is not None:
                notes.append(
                    f"{name}: reference {factor.reference} not observed; reference {reference}"
                )
        for level in levels:
            if level != reference:
                columns[f"{name}={level}"] = (values == level).astype(float)
    design = pd.DataFrame(columns, index=frame.index)
    constant = [c for c in design.columns if design[c].nunique() < 2]
    for column in constant:
        notes.append(f"{column}: no variation among the patients of the model; left out")
    return design.drop(columns=constant), notes


def fit_firth(
    frame: pd.DataFrame, factors: list[str], plan: dict[str, Factor] = FACTORS_BY_NAME
) -> FirthModel:
    """Firth model of response to course 2 on ``factors`` over the patients complete for them.

    Returns a model with no terms and a note (never raises) when it cannot be fitted: no factor,
    no patient, an outcome without both values, or a design the solver cannot handle.
    """
    if not factors:
        return FirthModel([], 0, 0, [], "no factor selected")
    data = frame[[OUTCOME, *factors]].dropna().reset_index(drop=True)
    n, events = len(data), int(data[OUTCOME].sum())
    if n == 0:
        return FirthModel([], 0, 0, factors, "no patient with every selected factor known")
    if events in (0, n):
        which = "responded" if events == n else "did not respond"
        return FirthModel(
            [], n, events, factors, f"not estimable: every patient {which} to course 2"
        )
    design, notes = design_matrix(data, factors, plan)
    if design.shape[1] == 0:
        return FirthModel([], n, events, factors, "; ".join(notes) or "no estimable term")
    if design.shape[1] + 1 > n:
        return FirthModel(
            [], n, events, factors, f"not estimable: {design.shape[1] + 1} parameters, {n} patients"
        )
    try:
        model = FirthLogit().fit(design, data[OUTCOME])
    except (np.linalg.LinAlgError, ValueError) as error:
        return FirthModel([], n, events, factors, f"not estimable: {error}")
    notes += model.warnings_
    return FirthModel(model.terms_, n, events, factors, "; ".join(notes) or None)


@dataclass(frozen=True)
class Predictors:
    """Analysis 5: the univariable screen, the selected factors and the two Firth models."""

    univariable: list[UnivariableTest]
    selection_p: float
    selected: list[str]
    multivariable: FirthModel
    response_course1_firth: FirthModel


def predictors(
    patients: pd.DataFrame, selection_p: float, factors: tuple[Factor, ...] = FACTORS
) -> Predictors:
    """Run Analysis 5 on the included patients (``Population.patients``) over ``factors`` (the
    protocol's ``design.predictors``, ``plan_factors``; ``flagship-study.md`` Analysis 5)."""
    frame = factor_frame(patients)
    screen = univariable_screen(frame, factors)
    plan = {factor.name: factor for factor in factors}
    selected = [
        test.factor
        for test in screen
        if test.p is not None and test.p < selection_p and plan[test.factor].multivariable
    ]
    return Predictors(
        univariable=screen,
        selection_p=selection_p,
        selected=selected,
        multivariable=fit_firth(frame, selected, plan),
        response_course1_firth=fit_firth(frame, ["response_course1"]),
    )
