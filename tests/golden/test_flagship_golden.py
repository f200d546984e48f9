"""The flagship's outputs stay byte-identical (issue 19, "Tests that prove it"): the demo study's
``derived/*.csv``, ``results.json`` (minus ``generated_at``) and the report's text in English and
French (minus the stamps and the lines printing the protocol) equal the golden files written by the
code before protocols became data (``main`` at 99f76b0), by real runs of the command line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.golden.golden import golden, outputs

pytestmark = pytest.mark.slow


def _itpcohort(*args: str | Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "itpcohort", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ),
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def flagship_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("golden")
    _itpcohort("demo", "--out", root / "en")
    _itpcohort("run", root / "en" / "input", "--out", root / "fr", "--lang", "fr")
    return outputs(root / "en", root / "fr")


def test_the_same_files_are_compared(flagship_outputs: dict[str, str]) -> None:
    assert sorted(flagship_outputs) == sorted(golden())


@pytest.mark.parametrize("name", sorted(golden()))
def test_output_is_byte_identical_to_the_golden_file(
    flagship_outputs: dict[str, str], name: str
) -> None:
    assert flagship_outputs[name] == golden()[name], (
        f"{name} differs from tests/golden/flagship_demo"
    )
