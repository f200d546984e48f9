"""Platelet counts of simulated patients: their dates, clustered around courses, and their values,
following each patient's state.
"""

from __future__ import annotations

import numpy as np

from itpcohort.synth._arrays import Table, day_keys, patient_last_key, uniform_days
from itpcohort.synth._timeline import MAX_COURSES, Timeline


def simulate_counts(rng: np.random.Generator, t: Timeline, treatments: Table) -> Table:
    """Dates of the platelet counts (clustered around courses) and their values (the patient's
    state on that day: low before a course, rising to the response plateau, low again after the
    loss of response; a transient rise in the ten days after a rescue)."""
    n, K = t.n, MAX_COURSES
    p = np.arange(n)
    pk = np.broadcast_to(p[:, None], (n, K))
    diagnosis, start_day, valid = t.diagnosis, t.start_day, t.valid
    next_start_day, followup_day, loss_day = t.next_start_day, t.followup_day, t.loss_day
    lost, loss_kind, ivig_before = t.lost, t.loss_kind, t.ivig_before
    response, time_to_response = t.response, t.time_to_response
    plateau, low_level = t.plateau, t.low_level
    days: list[np.ndarray] = []
    owners: list[np.ndarray] = []

    def add(mask: np.ndarray, owner: np.ndarray, day: np.ndarray) -> None:
        days.append(np.broadcast_to(day, mask.shape)[mask])
        owners.append(np.broadcast_to(owner, mask.shape)[mask])

    add(rng.random(n) < 0.9, p, diagnosis + uniform_days(rng, 0, 2, n))
    # baseline counts: usually within 30 days before the course (on the start day sometimes),
    # before the IVIg when IVIg was given just before the course
    has_baseline = valid & (rng.random((n, K)) < 0.92)
    closest = np.where(
        ivig_before, uniform_days(rng, 4, 20, (n, K)), uniform_days(rng, 0, 20, (n, K))
    )
    add(has_baseline, pk, start_day - closest)
    add(
        has_baseline & (rng.random((n, K)) < 0.35),
        pk,
        start_day - uniform_days(rng, 21, 45, (n, K)),
    )
    add(
        valid & ~has_baseline & (rng.random((n, K)) < 0.5),
        pk,
        start_day - uniform_days(rng, 35, 70, (n, K)),
    )
    # the weeks after the course
    offsets = np.array([7, 14, 21, 28, 35, 42, 56, 70, 90, 120, 150, 180])
    kept = np.array([0.7, 0.8, 0.6, 0.8, 0.4, 0.6, 0.6, 0.4, 0.7, 0.5, 0.5, 0.6])
    shape = (n, K, len(offsets))
    after_day = start_day[:, :, None] + offsets[None, None, :] + rng.integers(-2, 3, shape)
    after = (
        valid[:, :, None]
        & (rng.random(shape) < kept[None, None, :])
        & (after_day < next_start_day[:, :, None])
    )
    add(after, np.broadcast_to(p[:, None, None], shape), after_day)
    # the loss of response: a low count that day, confirmed a few days later when counts decide
    add(lost & (rng.random((n, K)) < 0.9), pk, loss_day)
    add(lost & (loss_kind == 0), pk, loss_day + uniform_days(rng, 3, 10, (n, K)))
    fixed = np.bincount(np.concatenate(owners), minlength=n)

    # follow-up counts: spread over the quiet periods so that a patient has 20-80 counts in all
    period_start = np.concatenate([(diagnosis + 14)[:, None], start_day + 185], axis=1)
    period_end = np.concatenate(
        [(start_day[:, 0] - 50)[:, None], np.minimum(next_start_day - 40, followup_day[:, None])],
        axis=1,
    )
    period_valid = np.concatenate([np.ones((n, 1), dtype=bool), valid], axis=1) & (
        period_end > period_start
    )
    length = np.where(period_valid, period_end - period_start, 0)
    total_length = np.maximum(length.sum(axis=1), 1)
    wanted = rng.integers(20, 81, n)
    spare = np.maximum(wanted - fixed, 0)
    per_period = np.floor(
        spare[:, None] * length / total_length[:, None] + rng.random(length.shape)
    ).astype(np.int64)
    per_period = np.where(period_valid, per_period, 0).ravel()
    period_owner = np.repeat(np.arange(n), K + 1)
    owner = np.repeat(period_owner, per_period)
    follow_start = np.repeat(period_start.ravel(), per_period)
    follow_length = np.repeat(length.ravel(), per_period)
    days.append(follow_start + (rng.random(owner.size) * (follow_length + 1)).astype(np.int64))
    owners.append(owner)
    # the last visit
    add(rng.random(n) < 0.75, p, followup_day)

    day = np.concatenate(days)
    pidx = np.concatenate(owners)
    keep = day <= followup_day[pidx]
    keep &= ~t.no_counts_after_course1[pidx] | (day <= start_day[pidx, 0])
    day, pidx = day[keep], pidx[keep]

    # the state on each count's day: the last course started strictly before it (course keys
    # increase within a patient, so a sorted search finds it)
    course_key = np.where(valid, day_keys(p[:, None], start_day), patient_last_key(p[:, None]))
    flat_key = course_key.ravel()
    found = np.searchsorted(flat_key, day_keys(pidx, day), side="left") - 1
    course = np.where(
        (found >= 0) & (found // K == pidx), found % K, -1
    )  # -1: before the first course
    at = pidx * K + np.maximum(course, 0)
    since = day - start_day.ravel()[at]
    level_before = low_level[:, :K].ravel()[at]
    level_after = low_level[:, 1:].ravel()[at]
    kind = response.ravel()[at]
    top = plateau.ravel()[at]
    ttr = time_to_response.ravel()[at]
    lost_on = loss_day.ravel()[at]
    noise = np.exp(0.15 * rng.standard_normal(day.size))

    def low(level: np.ndarray) -> np.ndarray:
        return np.clip(level * noise, 1.0, np.minimum(28.0, np.floor(1.25 * level)))

    ramp = level_before + (top - level_before) * (since / np.maximum(ttr, 1)) * noise
    cr_value = np.clip(top * noise, 101.0, 900.0)
    r_value = np.clip(top * noise, np.maximum(31.0, np.ceil(2.5 * level_before)), 99.0)
    responding = np.where(kind == 0, cr_value, r_value)
    value = np.where(since < ttr, np.clip(ramp, 1.0, np.where(kind == 0, 900.0, 99.0)), responding)
    value = np.where(day >= lost_on, low(level_after), value)
    value = np.where(kind == 2, low(level_after), value)
    value = np.where(course < 0, low(low_level[pidx, 0]), value)

    # a transient rise in the ten days after a rescue
    rescue = treatments["rescue"] > 0
    rescue_key = np.unique(day_keys(treatments["pidx"][rescue], treatments["start"][rescue]))
    if rescue_key.size:
        count_key = day_keys(pidx, day - 1)
        found = np.searchsorted(rescue_key, count_key, side="right") - 1
        found_key = rescue_key[np.maximum(found, 0)]
        elapsed = count_key - found_key
        boosted = (found >= 0) & (elapsed >= 0) & (elapsed < 10)
        value = np.where(boosted, np.maximum(value, rng.uniform(40.0, 150.0, day.size)), value)

    order = np.argsort(day_keys(pidx, day), kind="stable")
    return {
        "pidx": pidx[order],
        "date": day[order],
        "platelets": np.round(value[order]).astype(np.int64),
    }
