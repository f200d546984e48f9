"""The derivation of one synthetic study on DuckDB, PostgreSQL and local Spark: wall and memory.

    python -m benchmarks.bench_engines                      # 1,000 patients
    ITPCOHORT_BENCH_ENGINE_PATIENTS=100000 python -m benchmarks.bench_engines
    ITPCOHORT_BENCH_ENGINES=spark ITPCOHORT_SPARK_DRIVER_MEMORY=8g ...   # some engines, more heap

The study is generated and imported once (``study.duckdb``); each engine then derives it from the
same canonical tables in a child process (``engines.derive_study_on``: the tables go to
the engine as Arrow, the marts come back). Peak memory is the highest summed resident memory of
the child, its descendants (Spark's JVM) and, for PostgreSQL, the server's processes, sampled
every 0.2 s. PostgreSQL is the server the libpq environment names (``PGHOST``...) or, without
``PGHOST``, one started for the benchmark in a temporary folder (``tests/engines/servers.py``).
Prints one line per engine; asserts nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

from itpcohort.io import resolve_config
from itpcohort.store import import_study
from itpcohort.synth import generate_study

ENGINES = ("duckdb", "postgres", "spark")

_CHILD = """
import sys
from pathlib import Path
from itpcohort.criteria import Criteria
from itpcohort.engines import derive_study_on
marts = derive_study_on(sys.argv[1], Path(sys.argv[2]), Criteria())
print(marts["courses"].num_rows)
"""


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(root: int) -> set[int]:
    """``root`` and every process descending from it."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found.update(children)
        frontier.extend(children)
    return found


def _server_pids() -> set[int]:
    """The PostgreSQL server processes of this machine (to add the server's memory)."""
    pids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(f"/proc/{entry}/comm").read_text().strip() == "postgres":
                    pids.add(int(entry))
            except OSError:
                continue
    return pids


def _measure(engine: str, database: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, peak MiB and exit status of one engine's derivation in a child process."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, engine, str(database)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
    )
    peak = 0
    servers = _server_pids() if engine == "postgres" else set()

    def sample() -> None:
        nonlocal peak
        while child.poll() is None:
            peak = max(peak, sum(_rss_kib(pid) for pid in _tree(child.pid) | servers))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample)
    sampler.start()
    child.wait()
    sampler.join()
    return time.perf_counter() - started, peak / 1024, child.returncode


def main(argv: list[str] | None = None) -> None:
    """Generate, import, then derive on every engine; print wall time and peak memory."""
    patients = int(os.environ.get("ITPCOHORT_BENCH_ENGINE_PATIENTS", "1000"))
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-engines-")))
        generate_study(folder / "study", patients=patients, centers=4, seed=7)
        database = folder / "study.duckdb"
        import_study([folder / "study"], resolve_config([folder / "study"], None), database)
        env: dict[str, str] = {}
        if "PGHOST" not in os.environ:
            sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
            from tests.engines.servers import postgres_server

            server = stack.enter_context(postgres_server())
            env = {
                "PGHOST": server.host,
                "PGPORT": str(server.port),
                "PGUSER": server.user,
                "PGDATABASE": server.database,
            }
        print(f"derivation of {patients:,} synthetic patients, from the same canonical tables")
        chosen = os.environ.get("ITPCOHORT_BENCH_ENGINES", ",".join(ENGINES)).split(",")
        for engine in (e for e in ENGINES if e in chosen):
            seconds, peak_mib, status = _measure(engine, database, env)
            failed = "" if status == 0 else f"  (FAILED, exit {status})"
            print(f"{engine:<10} {seconds:9.1f} s  {peak_mib:9.0f} MiB peak{failed}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
