"""Where a batch's time goes: one run landing → gold under cProfile (needs the platform: `make up`).

    .venv/bin/python bench/profile_batch.py                        # the demo city: SF0.01 × 7 days
    .venv/bin/python bench/profile_batch.py --sf 0.1 --days 1 --through silver
    .venv/bin/python bench/profile_batch.py --reuse-city DIR       # a city generated before (DIR/landing …)

The city is generated into a temporary folder (or reused) and ingested into a private sandbox
(prefixed schemas, its own urban database and police API), dropped afterwards. The Spark JVM is
started and warmed before the clock starts, as `govlake run` pays it once per run.

Prints the stage breakdown (bronze and silver per feed, dbt build), the Spark jobs each stage
started, the project functions with the most cumulative time (cProfile: time in the driver
including the waits on the JVM), the slowest dbt nodes and the time per dbt resource type.
`--out FILE.prof` keeps the raw profile (`python -m pstats FILE.prof`, or snakeviz).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pstats
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

from govlake import pipeline
from govlake.settings import load_settings, project_root
from govlake.spark import build_spark
from govlake_sim.generator import GenerateOptions, generate
from govlake_sim.sandbox import sandbox

START = dt.date(2026, 1, 1)
OURS = ("spark_jobs/", "govlake/")


def jobs_started(spark) -> int:
    ids = spark.sparkContext.statusTracker().getJobIdsForGroup(None)
    return max(ids) + 1 if ids else 0


def top_functions(prof: cProfile.Profile, n: int) -> list[tuple[float, int, str]]:
    st = pstats.Stats(prof)
    root = str(project_root()) + "/"
    rows = []
    for (file, line, name), (_cc, nc, _tt, ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
        rel = file.removeprefix(root)
        if rel.startswith(OURS) and name not in ("<module>",):
            rows.append((ct, nc, f"{rel}:{line} {name}"))
    return sorted(rows, reverse=True)[:n]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sf", type=float, default=0.01)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--through", default="gold", choices=["silver", "gold"])
    ap.add_argument("--reuse-city", type=Path, help="a generated city folder (landing/, reference/, …)")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--out", type=Path, help="write the raw cProfile data here")
    a = ap.parse_args()
    settings = load_settings()
    spark = build_spark(settings, "bench-profile")
    spark.range(1).count()
    with tempfile.TemporaryDirectory() as tmp:
        out = a.reuse_city or Path(tmp) / "city"
        if a.reuse_city is None:
            t = time.perf_counter()
            generate(GenerateOptions(sf=a.sf, days=a.days, start=START, out=out))
            print(f"generated SF{a.sf} × {a.days} days in {time.perf_counter() - t:.0f}s")
        with sandbox(spark, out, f"prof{uuid.uuid4().hex[:6]}_") as s:
            stages: list[tuple[str, float, int]] = []
            mark = [time.perf_counter(), jobs_started(spark)]

            def echo(msg: str) -> None:
                now, jobs = time.perf_counter(), jobs_started(spark)
                head = msg.split(":")[0]
                stages.append((head, now - mark[0], jobs - mark[1]))
                mark[:] = [now, jobs]

            prof = cProfile.Profile()
            t0 = time.perf_counter()
            prof.enable()
            summaries = pipeline.run(s, out / "landing", START, a.days, spark=spark, echo=echo)
            res = pipeline.build_gold(s, echo=echo) if a.through == "gold" else None
            prof.disable()
            total = time.perf_counter() - t0
    spark.stop()

    rows = sum(x.rows_read for x in summaries)
    print(f"\nSF{a.sf} × {a.days} days: {rows:,} records, landing → {a.through} in {total:.1f}s "
          f"({sum(j for _, _, j in stages)} Spark jobs)\n")
    print(f"{'stage':<44} {'seconds':>8} {'share':>6} {'jobs':>6}")
    for name, secs, jobs in stages:
        print(f"{name[:44]:<44} {secs:8.1f} {secs / total:6.1%} {jobs:6d}")
    by_kind: dict[str, float] = defaultdict(float)
    for name, secs, _ in stages:
        by_kind[name.split()[0]] += secs
    print("\nby layer: " + ", ".join(f"{k} {v:.1f}s" for k, v in by_kind.items()))

    print(f"\ntop {a.top} project functions by cumulative seconds (driver wall time, JVM waits included)")
    for ct, nc, where in top_functions(prof, a.top):
        print(f"{ct:8.1f}s {nc:6d}×  {where}")
    if a.out:
        prof.dump_stats(a.out)
        print(f"raw profile: {a.out}")

    if res is not None:
        kinds: dict[str, list[float]] = defaultdict(list)
        for r in res.results:
            kinds[r["resource_type"]].append(r["seconds"])
        print("\ndbt: " + ", ".join(f"{k} {len(v)} nodes {sum(v):.0f}s" for k, v in kinds.items()))
        for r in sorted(res.results, key=lambda r: -r["seconds"])[:10]:
            print(f"{r['seconds']:8.1f}s  {r['resource_type']:<10} {r['name']}")


if __name__ == "__main__":
    main()
