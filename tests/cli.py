"""The command line as a user runs it: ``python -m itpcohort ARGS`` in a child process."""

from __future__ import annotations

import subprocess
import sys


def itpcohort(*args: object) -> subprocess.CompletedProcess[str]:
    """Run ``itpcohort`` with ``args`` (each turned into text); its exit status, stdout and
    stderr are in the result, never raised."""
    return subprocess.run(
        [sys.executable, "-m", "itpcohort", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )
