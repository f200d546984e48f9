"""Benchmark of the derivation engine alone on a generated in-memory cohort (no import, no CSV).

    python -m benchmarks.derive_engine --patients 100000 --counts 50 --mode materialize

Modes (each best run in its own process, so peak RSS is per mode):

- ``bare``: one DuckDB pass over the counts (a window ``lag`` per patient and an aggregate), the
  yardstick "bare DuckDB pass".
- ``plain``: ``derive_all`` expressions executed as they are, one query per mart.
- ``materialize``: every model created as a DuckDB temp table in dependency order (dbt-style), then
  the marts read back, so shared models are computed once.

Prints seconds, rows and peak RSS; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import time

import ibis
import numpy as np
import pyarrow as pa

from itpcohort.criteria import Criteria
from itpcohort.derive import derive_all
from itpcohort.schema import CANONICAL_COLUMNS, DRUG_CLASSES

_ARROW = {
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "DOUBLE": pa.float64(),
    "INTEGER": pa.int32(),
    "BOOLEAN": pa.bool_(),
}
EPOCH = dt.date(1970, 1, 1)


def _days(d: dt.date) -> int:
    return (d - EPOCH).days


def _table(name: str, columns: dict[str, object]) -> pa.Table:
    arrays = []
    fields = []
    n = len(next(iter(columns.values())))  # type: ignore[arg-type]
    for column, kind in CANONICAL_COLUMNS[name]:
        value = columns.get(column)
        arrays.append(
            pa.array(value, _ARROW[kind]) if value is not None else pa.nulls(n, _ARROW[kind])
        )
        fields.append(pa.field(column, _ARROW[kind]))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype("int32"), pa.int32()).cast(pa.date32())


def generate(n_patients: int, n_counts: int, seed: int = 1) -> dict[str, pa.Table]:
    """A synthetic cohort as canonical Arrow tables (vectorised with numpy, seeded)."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"P{i:07d}" for i in range(n_patients)], dtype=object)
    centers = np.array(["TLS", "BDX", "LYO", "PAR"], dtype=object)[np.arange(n_patients) % 4]
    birth = _days(dt.date(1940, 1, 1)) + rng.integers(0, 60 * 365, n_patients)
    diagnosis = _days(dt.date(2008, 1, 1)) + rng.integers(0, 10 * 365, n_patients)
    first = _days(dt.date(2019, 1, 1)) + rng.integers(0, 365, n_patients)

    # rituximab: 1-3 courses of 1, 2 or 4 infusions
    n_courses = 1 + rng.binomial(2, 0.4, n_patients)
    course_patient = np.repeat(np.arange(n_patients), n_courses)
    course_rank = np.concatenate([np.arange(k) for k in n_courses])
    gaps = np.where(course_rank == 0, 0, rng.integers(90, 700, len(course_patient)))
    total = np.cumsum(gaps)
    block_start = np.r_[0, np.cumsum(n_courses)[:-1]]
    course_start = first[course_patient] + total - np.repeat(total[block_start], n_courses)
    per_course = rng.choice([1, 2, 4], len(course_patient), p=[0.1, 0.4, 0.5])
    inf_course = np.repeat(np.arange(len(course_patient)), per_course)
    inf_rank = np.concatenate([np.arange(k) for k in per_course])
    inf_patient = course_patient[inf_course]
    inf_day = course_start[inf_course] + inf_rank * np.where(per_course[inf_course] == 2, 14, 7)
    dose = np.where(per_course[inf_course] == 2, 1000.0, 375.0)
    unit = np.where(per_course[inf_course] == 2, "mg", "mg/m2").astype(object)

    # other treatments: prednisone before the course, some eltrombopag later, IVIg rescues
    other_patient = np.repeat(np.arange(n_patients), 3)
    other_drug = np.tile(np.array(["prednisone", "eltrombopag", "ivig"], dtype=object), n_patients)
    other_start = (
        first[other_patient]
        + np.tile(np.array([-60, 0, 0]), n_patients)
        + rng.integers(-30, 400, len(other_patient))
    )
    other_end = np.where(
        rng.random(len(other_patient)) < 0.7,
        other_start + rng.integers(0, 90, len(other_patient)),
        -1,
    )
    keep = rng.random(len(other_patient)) < 0.6
    other_patient, other_drug, other_start, other_end = (
        other_patient[keep],
        other_drug[keep],
        other_start[keep],
        other_end[keep],
    )

    count_patient = np.repeat(np.arange(n_patients), n_counts)
    count_day = first[count_patient] + rng.integers(-60, 1100, len(count_patient))
    platelets = np.round(np.exp(rng.normal(3.8, 1.0, len(count_patient))), 0).clip(0, 2000)

    last = np.maximum.reduceat(count_day, np.arange(0, len(count_day), n_counts))
    inf_blocks = np.r_[0, np.cumsum(np.bincount(inf_patient, minlength=n_patients))[:-1]]
    lfu = np.maximum(last, np.maximum.reduceat(inf_day, inf_blocks)) + 10

    bleed_patient = rng.choice(n_patients, n_patients // 2)
    bleed_day = first[bleed_patient] + rng.integers(0, 700, len(bleed_patient))
    bleed_day = np.minimum(bleed_day, lfu[bleed_patient])
    grade = rng.integers(0, 5, len(bleed_patient))
    ae_patient = rng.choice(n_patients, n_patients // 2)
    ae_day = np.minimum(first[ae_patient] + rng.integers(0, 500, len(ae_patient)), lfu[ae_patient])

    treat_patient = np.concatenate([inf_patient, other_patient])
    drugs = np.concatenate([np.full(len(inf_patient), "rituximab", dtype=object), other_drug])
    return {
        "patients": _table(
            "patients",
            {
                "center": centers,
                "patient_id": ids,
                "sex": np.where(rng.random(n_patients) < 0.6, "F", "M").astype(object),
                "birth_date": _dates(birth),
                "birth_date_precision": np.full(n_patients, "day", dtype=object),
                "diagnosis_date": _dates(diagnosis),
                "diagnosis_date_precision": np.full(n_patients, "day", dtype=object),
                "itp_type": np.full(n_patients, "primary", dtype=object),
                "last_followup_date": _dates(lfu),
            },
        ),
        "treatments": _table(
            "treatments",
            {
                "center": centers[treat_patient],
                "patient_id": ids[treat_patient],
                "drug": drugs,
                "drug_class": np.array([DRUG_CLASSES[d] for d in drugs], dtype=object),
                "start_date": _dates(np.concatenate([inf_day, other_start])),
                "end_date": pa.array(
                    [None] * len(inf_day) + [None if e < 0 else int(e) for e in other_end],
                    pa.int32(),
                ).cast(pa.date32()),
                "dose": np.concatenate([dose, np.full(len(other_patient), np.nan)]),
                "dose_unit": np.concatenate(
                    [unit, np.full(len(other_patient), None, dtype=object)]
                ),
                "rescue": np.zeros(len(treat_patient), dtype=bool),
            },
        ),
        "platelet_counts": _table(
            "platelet_counts",
            {
                "center": centers[count_patient],
                "patient_id": ids[count_patient],
                "date": _dates(count_day),
                "platelets": platelets,
            },
        ),
        "bleeding_events": _table(
            "bleeding_events",
            {
                "center": centers[bleed_patient],
                "patient_id": ids[bleed_patient],
                "date": _dates(bleed_day),
                "site": np.full(len(bleed_patient), "skin", dtype=object),
                "who_grade": grade.astype("int32"),
                "severe": grade >= 3,
            },
        ),
        "adverse_events": _table(
            "adverse_events",
            {
                "center": centers[ae_patient],
                "patient_id": ids[ae_patient],
                "onset_date": _dates(ae_day),
                "event": np.full(len(ae_patient), "infection", dtype=object),
            },
        ),
    }


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    """User + system CPU time of this process (all DuckDB threads): steadier than wall time on a
    shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    """Generate the cohort, run one mode, print timings, row counts and peak RSS."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--counts", type=int, default=50)
    parser.add_argument("--mode", choices=("bare", "plain", "materialize"), default="materialize")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    started = time.perf_counter()
    arrow = generate(args.patients, args.counts)
    print(f"generated in {time.perf_counter() - started:.1f} s, rss {_peak_rss_mib():.0f} MiB")
    con = ibis.duckdb.connect(threads=args.threads)
    tables = {name: con.create_table(name, table) for name, table in arrow.items()}
    del arrow
    print(
        f"loaded; rss {_peak_rss_mib():.0f} MiB; counts {tables['platelet_counts'].count().execute()}"
    )

    started = time.perf_counter()
    cpu_started = _cpu_seconds()
    if args.mode == "bare":
        sql = (
            "SELECT count(*), sum(gap) FROM (SELECT date - lag(date) OVER "
            "(PARTITION BY center, patient_id ORDER BY date) AS gap FROM platelet_counts)"
        )
        print(con.raw_sql(sql).fetchall())
    else:
        materialize = None
        if args.mode == "materialize":

            def materialize(name: str, expr: ibis.Table) -> ibis.Table:
                t0 = time.perf_counter()
                table = con.create_table(name, expr, temp=True)
                print(f"  {name:45s} {time.perf_counter() - t0:6.2f} s")
                return table

        marts = derive_all(tables, Criteria(), materialize)
        for name, expr in marts.items():
            t0 = time.perf_counter()
            result = con.to_pyarrow(expr)
            print(f"  mart {name:40s} {time.perf_counter() - t0:6.2f} s  {result.num_rows} rows")
    print(
        f"{args.mode}: {time.perf_counter() - started:.1f} s wall, "
        f"{_cpu_seconds() - cpu_started:.1f} s cpu, peak rss {_peak_rss_mib():.0f} MiB"
    )


if __name__ == "__main__":
    main()
