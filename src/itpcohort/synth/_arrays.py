"""Whole-array building blocks of the simulation: random draws, day keys, row collection.

Dates are whole days since 1970-01-01 (``NO_DATE`` = an empty cell); a table is a dict of equally
long numpy arrays, one per column, with the local patient index in ``pidx``.
"""

from __future__ import annotations

import numpy as np

Table = dict[str, np.ndarray]

NO_DATE = -(10**9)  # an empty date cell
_KEY_SHIFT = 40_000  # makes every date positive inside combined (patient, date) keys
_KEY_SCALE = 1 << 17  # more days than any date + _KEY_SHIFT


def day_keys(pidx: np.ndarray, day: np.ndarray) -> np.ndarray:
    """One sortable int64 per (patient, day): sorted keys are sorted by patient, then by day."""
    return pidx.astype(np.int64) * _KEY_SCALE + (day + _KEY_SHIFT)


def patient_last_key(pidx: np.ndarray) -> np.ndarray:
    """A key above every day key of the patient and below those of the next patient."""
    return pidx.astype(np.int64) * _KEY_SCALE + (_KEY_SCALE - 1)


def categorical(
    rng: np.random.Generator, p: tuple[float, ...], size: int | tuple[int, ...]
) -> np.ndarray:
    """Indices drawn with probabilities ``p``."""
    cumulative = np.cumsum(p)
    cumulative /= cumulative[-1]
    return np.searchsorted(cumulative, rng.random(size), side="right").astype(np.int64)


def lognormal(
    rng: np.random.Generator,
    median: float,
    sigma: float,
    size: int | tuple[int, ...],
    low: float,
    high: float,
) -> np.ndarray:
    """Log-normal draws of the given median, clipped to [low, high]."""
    return np.clip(median * np.exp(sigma * rng.standard_normal(size)), low, high)


def uniform_days(
    rng: np.random.Generator, low: int, high: int, size: int | tuple[int, ...]
) -> np.ndarray:
    """Whole days in [low, high]."""
    return rng.integers(low, high + 1, size=size, dtype=np.int64)


class Rows:
    """Collects blocks of rows of one table and builds it sorted by patient, date and block order."""

    def __init__(self, defaults: dict[str, tuple[type, object]]) -> None:
        self.defaults = defaults
        self.blocks: list[dict[str, np.ndarray]] = []

    def add(self, mask: np.ndarray, **columns: np.ndarray | float | int) -> None:
        """Add the rows where ``mask`` is true; columns broadcast to the mask's shape."""
        block = {}
        for name, value in columns.items():
            block[name] = np.broadcast_to(np.asarray(value), mask.shape)[mask]
        block["tie"] = np.full(int(mask.sum()), len(self.blocks), dtype=np.int64)
        self.blocks.append(block)

    def build(self, date_column: str) -> Table:
        """Concatenate the blocks (missing columns take their default) and sort the rows."""
        out: Table = {}
        for name, (dtype, default) in {**self.defaults, "tie": (np.int64, 0)}.items():
            parts: list[np.ndarray] = [
                b[name].astype(dtype)
                if name in b
                else np.full(len(b["pidx"]), default, dtype=dtype)
                for b in self.blocks
            ]
            out[name] = np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
        order = np.argsort(day_keys(out["pidx"], out[date_column]) * 64 + out["tie"], kind="stable")
        return {name: column[order] for name, column in out.items() if name != "tie"}


def keep(table: Table, mask: np.ndarray) -> Table:
    """The rows of ``table`` where ``mask`` is true."""
    return {name: column[mask] for name, column in table.items()}
