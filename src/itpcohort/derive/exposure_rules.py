"""The course rules of an exposure protocol (``protocols.md``, "Exposure courses").

``ExposureRules`` holds only what the exposure models read: the protocol's agents and the two
day counts of its ``[courses]`` table. When the protocol file is loaded, ``Protocol.courses``
(``kind = "exposure"``) maps onto it field for field (``agents``, ``era_gap_days``,
``exposure_effect_days``); the response rules stay those of the study's ``Criteria``.
"""

from __future__ import annotations

from dataclasses import dataclass

from itpcohort.schema import DRUGS, LOSS_STOP_REASONS, STOP_REASONS


@dataclass(frozen=True)
class ExposureRules:
    """Agents whose exposures make courses, and the era and effect windows in days.

    ``era_gap_days``: rows of one agent whose start is at most this many days after the era's
    latest last day merge into one era (30 days apart: one era; 31: two). ``exposure_effect_days``:
    counts up to this many days after a course's end still belong to it (window, baseline carried
    across a switch, adverse-event attribution).
    """

    agents: tuple[str, ...]
    era_gap_days: int = 30
    exposure_effect_days: int = 14

    def __post_init__(self) -> None:
        if not self.agents:
            raise ValueError("an exposure protocol names at least one agent")
        unknown = [a for a in self.agents if a not in DRUGS]
        if unknown:
            raise ValueError(f"unknown agent {', '.join(unknown)}; allowed: {', '.join(DRUGS)}")
        for name in ("era_gap_days", "exposure_effect_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number of days >= 0, not {value!r}")


__all__ = ["LOSS_STOP_REASONS", "STOP_REASONS", "ExposureRules"]
