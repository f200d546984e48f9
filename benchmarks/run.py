"""Run every benchmark (``make bench``) and print its figures.

Each module listed in ``BENCHMARKS`` has a ``main()`` that prints its own figures; keep the default
run under about eight minutes: the sizes of the targets that take seconds (``bench_run`` at
200,000 patients, issue 17) are in it, the larger ones are opt-in (see each module).
"""

from __future__ import annotations

import importlib

BENCHMARKS = (
    "benchmarks.bench_synth",
    "benchmarks.import_bench",
    "benchmarks.bench_derive",
    "benchmarks.bench_switch",
    "benchmarks.bench_run",
    # 1,000 patients by default (Spark takes about 100 s of it on two cores); 100k is opt-in:
    # ITPCOHORT_BENCH_ENGINE_PATIENTS=100000
    "benchmarks.bench_engines",
)


def main() -> None:
    """Run the registered benchmarks one after the other."""
    for name in BENCHMARKS:
        print(f"== {name}", flush=True)
        importlib.import_module(name).main([])


if __name__ == "__main__":
    main()
