"""Benchmark: ingestion throughput, bronze and silver, per feed (needs the platform: `make up`).

    .venv/bin/python bench/bench_ingest.py                  # baseline SF0.01 and SF0.1, one day each
    .venv/bin/python bench/bench_ingest.py --sf 0.1 --sf 1  # the closing-note figures

Each scale factor gets a freshly generated one-day city and a private sandbox (schemas with a
prefix, its own urban database and police API), dropped afterwards. Prints records/s into bronze
and into silver per feed and in total, and the ratio of the total rates to the SF0.01 baseline
measured in the same run (machines are noisy; ratios travel). One Spark session serves all runs,
as in `govlake run`; its JVM start is not counted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
import uuid
from pathlib import Path

from govlake import pipeline
from govlake.settings import load_settings
from govlake.spark import build_spark
from govlake_sim.generator import GenerateOptions, generate
from govlake_sim.sandbox import sandbox

START = dt.date(2026, 1, 1)


def one(spark, sf: float, tmp: Path) -> tuple[list[pipeline.FeedSummary], float]:
    out = tmp / f"sf{sf}"
    t = time.perf_counter()
    generate(GenerateOptions(sf=sf, days=1, start=START, out=out))
    gen_s = time.perf_counter() - t
    with sandbox(spark, out, f"bench{uuid.uuid4().hex[:6]}_") as s:
        summaries = pipeline.run(s, out / "landing", START, 1, spark=spark, echo=lambda _: None)
    return summaries, gen_s


def totals(summaries) -> tuple[int, float, float, int]:
    rows = sum(x.rows_read for x in summaries)
    return (rows, sum(x.bronze_s for x in summaries), sum(x.silver_s for x in summaries),
            sum(x.quarantined for x in summaries))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sf", type=float, action="append", help="scale factors (repeatable); default 0.1")
    a = ap.parse_args()
    scales = a.sf or [0.1]
    spark = build_spark(load_settings(), "bench-ingest")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            spark.range(1).count()  # JVM warm
            base, _ = one(spark, 0.01, Path(tmp))
            b_rows, b_bronze, b_silver, _ = totals(base)
            print(f"baseline SF0.01×1: {b_rows:>10,} records  bronze {b_rows / b_bronze:>8,.0f} rec/s  "
                  f"silver {b_rows / b_silver:>8,.0f} rec/s")
            for sf in scales:
                res, gen_s = one(spark, sf, Path(tmp))
                rows, bronze_s, silver_s, quarantined = totals(res)
                print(f"\nSF{sf}×1: {rows:,} records (generated in {gen_s:.0f}s), {quarantined:,} quarantined")
                for layer, secs, base_rate in (("bronze", bronze_s, b_rows / b_bronze),
                                               ("silver", silver_s, b_rows / b_silver)):
                    print(f"  {layer} {secs:7.1f}s {rows / secs:>9,.0f} rec/s  ratio {rows / secs / base_rate:.1f}x "
                          "vs SF0.01")
                print(f"  {'feed':<26} {'mode':<13} {'records':>10} {'bronze s':>9} {'silver s':>9} "
                      f"{'bronze rec/s':>13} {'silver rec/s':>13} {'quarantined':>11}")
                for x in res:
                    rb, rs = x.rows_read / max(x.bronze_s, 1e-9), x.rows_read / max(x.silver_s, 1e-9)
                    print(f"  {x.feed:<26} {x.mode:<13} {x.rows_read:>10,} {x.bronze_s:>9.1f} {x.silver_s:>9.1f} "
                          f"{rb:>13,.0f} {rs:>13,.0f} {x.quarantined:>11,}")
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
