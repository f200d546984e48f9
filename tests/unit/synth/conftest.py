"""Synthetic studies shared by the synth tests (generated once per session, small and fast)."""

from __future__ import annotations

from pathlib import Path

import pytest

from itpcohort.synth import SynthSummary, generate_study

PATIENTS = 400
CENTERS = 8  # every format habit of _centers.py appears once
SEED = 11
MESSY = 0.05


@pytest.fixture(scope="session")
def clean_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthSummary]:
    folder = tmp_path_factory.mktemp("synth") / "clean"
    return folder, generate_study(folder, PATIENTS, CENTERS, SEED)


@pytest.fixture(scope="session")
def messy_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthSummary]:
    folder = tmp_path_factory.mktemp("synth") / "messy"
    return folder, generate_study(folder, PATIENTS, CENTERS, SEED, messy=MESSY)
