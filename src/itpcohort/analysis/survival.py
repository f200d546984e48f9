"""Kaplan–Meier duration of response, as R ``survival::survfit(conf.type = "log-log")``.

``flagship-study.md``, Exact definitions (Kaplan–Meier). lifelines' ``KaplanMeierFitter`` gives the
product-limit estimate (events before censorings at tied times) and its "exponential Greenwood"
band, which is R's log-log band: exp(−exp(log(−log S) ± z·σ/log S)), σ² = Σ d/(n(n−d)). Two
conventions differ from R and are set here:

* where S = 0 the band is undefined in R (NA) but 0 in lifelines; where S = 1 it is NA in R and 1
  in lifelines. The band is set to NaN at both, as in R (it matters when the band's crossing of 0.5
  is searched);
* lifelines' S is exp(Σ log(1 − d/n)), R's the running product of (n − d)/n: they differ in the
  last bit, which decides whether S equals 0.5 exactly, so S is taken as R computes it;
* lifelines' median is the first time S ≤ 0.5. R's ``quantile.survfit`` takes, where a curve equals
  0.5 (within √machine-ε) from an event time on, the midpoint between that time and the next time
  the curve drops — or, when it never drops again, the last observed time (event or censoring).
  ``survfit_quantile`` transcribes that rule (R's internal ``findq``) for the estimate and for each
  band; lifelines has no such option. One deliberate difference: R decides whether the curve
  reaches 0.5 at all without its tolerance, so a curve equal to 0.5 in exact arithmetic but stored
  as 0.5000000000000001 has no median in R; here it has the median the plan defines.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter

from itpcohort.analysis.estimates import CONFIDENCE_LEVEL, finite_or_none

MONTH_DAYS = 365.25 / 12
AT_RISK_MONTHS = (6, 12, 24, 36)
#: R's ``quantile.survfit`` tolerance, sqrt(.Machine$double.eps)
R_TOLERANCE = math.sqrt(np.finfo(float).eps)


def survfit_quantile(
    times: np.ndarray, curve: np.ndarray, last_time: float, p: float = 0.5
) -> float | None:
    """Time at which the step function ``curve`` (at ``times``, after time 0) reaches ``1 − p``.

    Transcribes R ``survival:::findq`` (survival 3.5): the curve starts at 1 at time 0; repeated
    values are dropped (so x are the times the curve changes); NaN points are ignored; the result is
    the first time the curve is ≤ 1 − p, or the midpoint described in the module docstring when it
    equals 1 − p within the tolerance. None when the curve never reaches 1 − p.
    """
    x = np.concatenate([[0.0], np.asarray(times, dtype=float)])
    y = np.concatenate([[0.0], 1.0 - np.asarray(curve, dtype=float)])
    # R tests max(y) < p without its tolerance, so a curve that is 1/2 exactly but 1/2 + 1e-16 in
    # floating point (8/10 · 6/8 · 5/6) never reaches its median in R. The plan says "equals 0.5
    # exactly": the tolerance is applied here too (the one place where we differ from R on purpose).
    if np.all(np.isnan(y)) or np.nanmax(y) < p - R_TOLERANCE:
        return None
    # duplicated(y) in R: NaN equals NaN, first occurrence kept
    keep = ~pd.Series(y).duplicated().to_numpy()
    x, y = x[keep], y[keep]
    valid = ~np.isnan(y)

    def first_index(shifted: np.ndarray) -> int | None:
        hits = np.flatnonzero(valid & (shifted >= p))
        return int(hits[0]) if hits.size else None

    index1 = first_index(y + R_TOLERANCE)
    index2 = first_index(y - R_TOLERANCE)
    quantile = None
    if index1 is not None and index2 is not None:
        quantile = (x[index1] + x[index2]) / 2
    if not np.isnan(y[-1]) and abs(p - y[-1]) < R_TOLERANCE and index1 is not None:
        quantile = (x[index1] + last_time) / 2
    return finite_or_none(quantile)


class KaplanMeierDuration:
    """Kaplan–Meier estimate of a duration (days) with R's median, log-log CI and numbers at risk.

    Follows the lifelines pattern: settings in the constructor, ``fit(durations, censored)``, then
    results as trailing-underscore attributes and a ``summary`` frame.

    Attributes (after ``fit``)
    --------------------------
    n_, events_ : number of durations and of observed ends (losses of response).
    median_, ci_low_, ci_high_ : median in days and its 95% CI (None when not reached).
    at_risk_ : {"m6": ..., "m12": ..., ...}, durations ≥ t days, t = months × 365.25/12.
    survival_ : DataFrame (time, n_risk, n_event, n_censor, surv, lower, upper) at every time.
    """

    def __init__(self, at_risk_months: tuple[int, ...] = AT_RISK_MONTHS) -> None:
        self.at_risk_months = at_risk_months

    def fit(self, durations: pd.Series, censored: pd.Series) -> KaplanMeierDuration:
        """Fit on durations in days and their censoring flags (rows with a missing value are skipped).

        A missing duration or censoring flag cannot enter a Kaplan–Meier curve; the number skipped
        is kept in ``n_skipped_``.
        """
        frame = pd.DataFrame(
            {"duration": pd.to_numeric(durations, errors="raise"), "censored": censored}
        ).reset_index(drop=True)
        usable = frame["duration"].notna() & frame["censored"].notna()
        self.n_skipped_ = int((~usable).sum())
        frame = frame[usable]
        duration = frame["duration"].to_numpy(dtype=float)
        observed = ~frame["censored"].astype(bool).to_numpy()
        self.n_ = int(duration.size)
        self.events_ = int(observed.sum())
        self.at_risk_ = {
            f"m{m}": int((duration >= m * MONTH_DAYS).sum()) for m in self.at_risk_months
        }
        self.median_: float | None = None
        self.ci_low_: float | None = None
        self.ci_high_: float | None = None
        if self.n_ == 0:
            self.survival_ = pd.DataFrame(
                columns=["time", "n_risk", "n_event", "n_censor", "surv", "lower", "upper"]
            )
            return self
        fitter = KaplanMeierFitter(alpha=1 - CONFIDENCE_LEVEL).fit(duration, observed)
        table = fitter.event_table
        band = fitter.confidence_interval_
        # lifelines computes S as exp(Σ log(1 − d/n)); R multiplies km *= (n − d)/n. The last bit
        # decides whether S "equals 0.5 exactly" (the median's midpoint rule), so S is recomputed
        # from lifelines' event table with R's arithmetic.
        at_risk = table["at_risk"].to_numpy(dtype=float)
        surv = np.cumprod((at_risk - table["observed"].to_numpy(dtype=float)) / at_risk)
        lower = band.iloc[:, 0].to_numpy(dtype=float).copy()
        upper = band.iloc[:, 1].to_numpy(dtype=float).copy()
        undefined = (surv <= 0.0) | (surv >= 1.0)  # R: the log-log band is NA at S = 0 and S = 1
        lower[undefined] = np.nan
        upper[undefined] = np.nan
        times = table.index.to_numpy(dtype=float)
        self.survival_ = pd.DataFrame(
            {
                "time": times,
                "n_risk": table["at_risk"].to_numpy(dtype=int),
                "n_event": table["observed"].to_numpy(dtype=int),
                "n_censor": table["censored"].to_numpy(dtype=int),
                "surv": surv,
                "lower": lower,
                "upper": upper,
            }
        )
        # lifelines' timeline starts at 0 (S = 1); R's curve starts at its first time, with a point
        # at 0 prepended by findq. Drop lifelines' 0 row unless something happened at time 0.
        points = self.survival_
        if len(points) and points["time"].iloc[0] == 0 and points["n_event"].iloc[0] == 0:
            points = points.iloc[1:]
        last_time = float(duration.max())
        self.median_ = survfit_quantile(
            points["time"].to_numpy(), points["surv"].to_numpy(), last_time
        )
        # the lower band reaches 0.5 first: it gives the lower limit of the median, as in R
        self.ci_low_ = survfit_quantile(
            points["time"].to_numpy(), points["lower"].to_numpy(), last_time
        )
        self.ci_high_ = survfit_quantile(
            points["time"].to_numpy(), points["upper"].to_numpy(), last_time
        )
        return self

    @property
    def summary(self) -> pd.DataFrame:
        """One row: n, events, median and 95% CI (days), numbers at risk."""
        row = {
            "n": self.n_,
            "events": self.events_,
            "median_days": self.median_,
            "median lower 95%": self.ci_low_,
            "median upper 95%": self.ci_high_,
            **{f"at risk {key[1:]} months": value for key, value in self.at_risk_.items()},
        }
        return pd.DataFrame([row])

    def __repr__(self) -> str:
        if not hasattr(self, "n_"):
            return "<KaplanMeierDuration: not fitted>"
        return f"<KaplanMeierDuration: fitted with {self.n_} durations, {self.events_} events>"
