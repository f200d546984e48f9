"""Synthetic multicentre ITP cohorts in the input layout (``data-model.md``).

``generate_study`` writes a realistic multicentre study, one folder per center with each center's
format habits, clinically plausible rituximab timelines, and optionally realistic input errors
listed in ``injected_errors.csv``; ``itpcohort synth`` and ``itpcohort demo`` call it.
"""

from itpcohort.synth._protocol import SIMULATED_AGENT, check_protocol, simulates_exposures
from itpcohort.synth._study import (
    MANIFEST,
    SynthSummary,
    generate_exposure_study,
    generate_study,
)
from itpcohort.synth._switch import SwitchSummary, generate_switch_study

__all__ = [
    "MANIFEST",
    "SIMULATED_AGENT",
    "SwitchSummary",
    "SynthSummary",
    "check_protocol",
    "generate_exposure_study",
    "generate_study",
    "generate_switch_study",
    "simulates_exposures",
]
