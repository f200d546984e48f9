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


COMMANDS = ("demo", "synth", "validate", "import", "derive", "run", "crf", "export")


def test_version_prints_the_version() -> None:
    from itpcohort import __version__

    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"itpcohort {__version__}"


def test_short_help_works_everywhere_and_shows_flags_as_flags() -> None:
    assert run_cli("-h").stdout == run_cli("--help").stdout
    for command in COMMANDS:
        short, long = run_cli(command, "-h"), run_cli(command, "--help")
        assert short.returncode == 0, command
        assert short.stdout == long.stdout, command
        assert "<bool>" not in short.stdout, command
        assert "{" not in short.stdout, command  # no {inputs}... in the usage line
    usage = run_cli("run", "-h").stdout
    assert "run [OPTIONS] INPUT..." in usage
    assert "--accept-rejected" in usage
