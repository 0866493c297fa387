"""Benchmark: the theme library (dbt build) on a generated city, and how dbt reaches Spark.

    .venv/bin/python bench/bench_dbt.py                          # SF0.01 × 30 days, in-process only
    .venv/bin/python bench/bench_dbt.py --methods all            # + fresh `dbt` process, + Thrift server
    .venv/bin/python bench/bench_dbt.py --sf 0.1 --days 3        # a larger city
    .venv/bin/python bench/bench_dbt.py --reuse DIR --methods all  # a city already ingested (the
                                            # tests' GOLD_TEST_REUSE folder: city/ + prefix.txt)

Needs the platform (`make up`). The city is generated into a temporary folder and ingested into a
private sandbox (prefixed schemas), dropped afterwards. Prints: ingestion seconds, `dbt build`
seconds for each way of reaching Spark, the ratio of each to the in-process build measured in the
same run (machines are noisy; ratios travel), and whether a second build without new data left
every gold table's content checksum unchanged.

Ways of reaching Spark (dbt-spark ``method``):
- ``inprocess``: ``govlake run --through gold``: dbt runs in the pipeline's process and dbt-spark's
  session method picks up its Spark session (no JVM start).
- ``session``: ``govlake dbt build`` in a fresh process: dbt-spark starts its own Spark session.
- ``thrift``: ``govlake dbt build --target thrift`` against a running Spark Thrift Server (its start
  is timed separately: it is paid once per platform start, not per build).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from govlake import pipeline
from govlake.checksum import spark_content_checksum
from govlake.settings import load_settings, project_root
from govlake.spark import build_spark
from govlake_sim.generator import GenerateOptions, generate
from govlake_sim.sandbox import sandbox

START = dt.date(2026, 1, 1)


def gold_checksums(spark, settings) -> dict[str, tuple[int, object]]:
    gold = settings.schema("gold")
    out = {}
    for t in sorted(r.tableName for r in spark.sql(f"SHOW TABLES IN {gold}").collect() if not r.isTemporary):
        out[t] = spark_content_checksum(spark.table(f"{gold}.{t}"))
    return out


def timed_cli(args: list[str]) -> tuple[float, bool]:
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "govlake.cli", *args], cwd=project_root(), env=dict(os.environ),
                       capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stdout[-3000:], r.stderr[-3000:], sep="\n")
    return time.perf_counter() - t, r.returncode == 0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sf", type=float, default=0.01)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--methods", default="inprocess", help="inprocess | all (inprocess, session, thrift)")
    ap.add_argument("--keep", action="store_true", help="keep the sandbox schemas (prefix printed)")
    ap.add_argument("--reuse", type=Path, help="a folder with city/ and prefix.txt of an ingested sandbox")
    ap.add_argument("--select", nargs="*", help="only these dbt nodes (dbt selection syntax); default all")
    a = ap.parse_args()
    settings = load_settings()
    spark = build_spark(settings, "bench-dbt")
    spark.range(1).count()  # JVM warm
    reused = a.reuse is not None and (a.reuse / "prefix.txt").is_file()
    prefix = (a.reuse / "prefix.txt").read_text().strip() if reused else f"benchdbt{uuid.uuid4().hex[:6]}_"
    with tempfile.TemporaryDirectory() as tmp:
        out = a.reuse / "city" if reused else Path(tmp) / "city"
        if not reused:
            t = time.perf_counter()
            generate(GenerateOptions(sf=a.sf, days=a.days, start=START, out=out))
            print(f"generated SF{a.sf} × {a.days} days in {time.perf_counter() - t:.0f}s")
        with sandbox(spark, out, prefix, keep=a.keep or reused) as s:
            if reused:
                print(f"reusing the ingested sandbox {prefix} ({out})")
            else:
                t = time.perf_counter()
                summaries = pipeline.run(s, out / "landing", START, a.days, spark=spark, echo=lambda _: None)
                ingest_s = time.perf_counter() - t
                rows = sum(x.rows_read for x in summaries)
                print(f"ingested {rows:,} records into bronze + silver in {ingest_s:.0f}s")

            sel = a.select or None
            t = time.perf_counter()
            if not reused:  # a reused sandbox is built already: its next build is the no-change one
                pipeline.build_gold(s, echo=print, select=sel)
            first = time.perf_counter() - t
            before = gold_checksums(spark, s)
            t = time.perf_counter()
            pipeline.build_gold(s, echo=print, select=sel)
            second = time.perf_counter() - t
            after = gold_checksums(spark, s)
            changed = [k for k in before if before[k] != after.get(k)]
            print(f"\ndbt build in-process: first {first:.0f}s, again without new data {second:.0f}s; "
                  f"{len(before)} gold tables, {sum(v[0] for v in before.values()):,} rows; "
                  f"unchanged after the second build: {'yes' if not changed else 'NO: ' + ', '.join(changed)}")
            results = {"inprocess": second}
            if a.methods == "all":
                extra = ["--select", *sel] if sel else []
                secs, ok = timed_cli(["dbt", "build", *extra])
                results["session"] = secs
                print(f"dbt build, fresh process (method session): {secs:.0f}s{'' if ok else ' (FAILED)'}")
                from govlake.platform.spark_thrift import SparkThrift

                os.environ["GOVLAKE_DBT__THRIFT_PORT"] = os.environ.get("GOVLAKE_DBT__THRIFT_PORT", "10050")
                thrift = SparkThrift(load_settings())
                t = time.perf_counter()
                thrift.start()
                start_s = time.perf_counter() - t
                try:
                    secs, ok = timed_cli(["dbt", "build", "--target", "thrift", *extra])
                    results["thrift"] = secs
                    print(f"dbt build via the Spark Thrift Server (method thrift): {secs:.0f}s"
                          f"{'' if ok else ' (FAILED)'}; server start {start_s:.0f}s (once per platform start)")
                finally:
                    thrift.stop()
            base = results["inprocess"]
            print("\nmethod      seconds  ratio vs in-process (same data, no new rows)")
            for k, v in results.items():
                print(f"{k:<11} {v:7.0f}  {v / base:5.2f}x")
            if a.keep:
                print(f"kept sandbox prefix {prefix}")
    spark.stop()


if __name__ == "__main__":
    main()
