"""Analysis 7: sensitivity runs, defined as data (``flagship-study.md`` Analysis 7).

Each run is either a change of population on the same derivation (``ne_excluded``) or a
re-derivation under criteria overrides (``confirm_28_days``, ``window_90_days``). The pipeline
re-derives the tables of every run with ``criteria_overrides`` and hands them to ``analyse`` keyed
by run name; the analysis re-runs the results table on each and puts the rows side by side, the
primary analysis first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from itpcohort.protocols import sensitivity_override

if TYPE_CHECKING:  # only named in annotations: the runs' definitions load no scipy (a run's
    # sensitivity criteria are known before the analysis's libraries are loaded, pipeline.run_study)
    from itpcohort.analysis.estimates import Proportion


@dataclass(frozen=True)
class SensitivityRun:
    """One sensitivity analysis: its name, what changes, and how.

    ``criteria_overrides`` are applied on top of the study's criteria by the pipeline (empty: the
    run uses the primary derivation). ``drop_ne_courses`` removes the patients whose response is
    ``NE`` at any of these course numbers.
    """

    name: str
    label: str
    criteria_overrides: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    drop_ne_courses: tuple[int, ...] = ()

    @property
    def needs_rederivation(self) -> bool:
        """True when the pipeline must derive the tables again under ``criteria_overrides``."""
        return bool(self.criteria_overrides)


SENSITIVITY_RUNS: tuple[SensitivityRun, ...] = (
    SensitivityRun(
        "ne_excluded",
        "patients with an NE course (course 1 or 2) excluded",
        drop_ne_courses=(1, 2),
    ),
    SensitivityRun(
        "confirm_28_days",
        "response confirmation over more than 28 days (instead of 7)",
        MappingProxyType({"confirm_days": 28}),
    ),
    SensitivityRun(
        "window_90_days",
        "response assessment window of 90 days (instead of 180)",
        MappingProxyType({"response_window_days": 90}),
    ),
)
SENSITIVITY_RUNS_BY_NAME = {run.name: run for run in SENSITIVITY_RUNS}


def sensitivity_runs(entries: Sequence[str]) -> tuple[SensitivityRun, ...]:
    """The runs of a protocol's ``design.sensitivity``, in its order (``protocols.md``, The
    protocol file; ``flagship-study.md`` Analysis 7).

    A named entry is the run of that name; ``parameter=value`` is the run of ``SENSITIVITY_RUNS``
    with exactly that override when there is one (so the flagship's runs keep their names and
    labels), else a run named after the entry that re-derives under that one override.
    """
    runs = []
    for entry in entries:
        overrides = sensitivity_override(entry)
        known = next(
            (
                run
                for run in SENSITIVITY_RUNS
                if run.name == entry or (overrides and dict(run.criteria_overrides) == overrides)
            ),
            None,
        )
        runs.append(
            known
            or SensitivityRun(
                entry,
                f"criteria override {entry.replace('=', ' = ')}",
                MappingProxyType(overrides),
            )
        )
    return tuple(runs)


@dataclass(frozen=True)
class SensitivityRow:
    """The results table of one run (``sensitivity[]``); ``status`` is ``done`` or ``not run``."""

    name: str
    label: str
    criteria_overrides: dict[str, Any]
    status: str
    n_patients: int | None = None
    orr_course2: Proportion | None = None
    cr_course2: Proportion | None = None
    orr_course1: Proportion | None = None
    response2_among_responders1: Proportion | None = None
    response2_among_nonresponders1: Proportion | None = None
    response_similar_or_better: Proportion | None = None
    duration_similar_or_longer: Proportion | None = None
    mcnemar_p: float | None = None
    median_duration_course1_days: float | None = None
    median_duration_course2_days: float | None = None
    median_duration_course1_months: float | None = None
    median_duration_course2_months: float | None = None
    response_course1_odds_ratio: float | None = None
    response_course1_p: float | None = None
    note: str | None = None
