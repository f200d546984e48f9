"""Measure a step in a fresh child process: wall time and that process's peak resident memory.

Each step runs in its own interpreter (``python -c``), so the peak RSS is the step's own and not
inherited from an earlier step of the same benchmark run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Measurement:
    """Wall time in seconds and peak resident set size in MiB of one child process."""

    label: str
    seconds: float
    peak_rss_mib: float
    returncode: int

    def line(self) -> str:
        """One printable line: label, seconds and peak memory."""
        status = "" if self.returncode == 0 else f"  (FAILED, exit {self.returncode})"
        return f"{self.label:<48} {self.seconds:9.1f} s  {self.peak_rss_mib:9.0f} MiB{status}"


def measure(label: str, code: str, env: dict[str, str] | None = None) -> Measurement:
    """Run ``python -c code`` in a child process and measure its wall time and peak RSS.

    The child's standard output (a command's summary) is discarded; its errors are shown.
    """
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux
    return Measurement(label, seconds, usage.ru_maxrss / 1024, child.returncode)
