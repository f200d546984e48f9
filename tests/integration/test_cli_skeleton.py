"""The command line exists and answers usage errors with exit status 2 and no traceback."""

from __future__ import annotations

import subprocess
import sys


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "itpcohort", *args], capture_output=True, text=True, check=False
    )


def test_help_lists_every_command() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("demo", "synth", "validate", "import", "derive", "run", "crf", "export"):
        assert command in result.stdout


def test_unknown_option_is_a_usage_error() -> None:
    result = run_cli("validate", "--no-such-option")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
