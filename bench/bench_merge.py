"""Benchmark: what one Delta MERGE costs on a small table, and whether Spark/Delta settings change it.

    .venv/bin/python bench/bench_merge.py

Needs the platform (`make up`). Creates a scratch schema ``mbtest`` (dropped afterwards): a
2,000-row Delta table in 1 file, then in 101 files; MERGEs a 20-row source into it (upsert, and
insert-only), six times each after one warm-up, under the default settings and under each variation
(MERGE source materialisation off, AQE off, one shuffle partition, no statistics collection); then
OPTIMIZE. Prints the median and minimum seconds of each (docs/performance.md, "Where a replay's time
goes"). The JVM warms up as the run goes on: read the figures of one table size together.
"""

from __future__ import annotations

import statistics
import time

from govlake.settings import load_settings
from govlake.spark import build_spark

TABLE = "mbtest.t"
VARIATIONS = {
    "materializeSource=none": {"spark.databricks.delta.merge.materializeSource": "none"},
    "AQE off": {"spark.sql.adaptive.enabled": "false"},
    "shuffle.partitions=1": {"spark.sql.shuffle.partitions": "1"},
    "stats.collect off": {"spark.databricks.delta.stats.collect": "false"},
}


def _rows(spark, start: int, end: int):
    return spark.range(start, end).selectExpr("cast(id as string) as id", "cast(id as string) as v").coalesce(1)


def setup(spark, appends: int) -> int:
    """The 2,000-row table plus ``appends`` 10-row appends (one file each) → its number of files."""
    spark.sql(f"DROP TABLE IF EXISTS {TABLE}")
    _rows(spark, 0, 2000).write.format("delta").saveAsTable(TABLE)
    for i in range(appends):
        _rows(spark, 2000 + i * 10, 2010 + i * 10).write.format("delta").mode("append").saveAsTable(TABLE)
    return spark.sql(f"DESCRIBE DETAIL {TABLE}").collect()[0]["numFiles"]


def merge(spark, kind: str) -> None:
    spark.range(1990, 2010).selectExpr("cast(id as string) as id", "concat('x', cast(id as string)) as v") \
        .createOrReplaceTempView("src")
    action = "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *" if kind == "upsert" \
        else "WHEN NOT MATCHED THEN INSERT *"
    spark.sql(f"MERGE INTO {TABLE} t USING src s ON t.id = s.id {action}")


def timed(spark, label: str, kind: str, conf: dict[str, str] | None = None, reps: int = 6) -> None:
    old = {k: spark.conf.get(k, None) for k in conf or {}}
    for k, v in (conf or {}).items():
        spark.conf.set(k, v)
    try:
        merge(spark, kind)  # warm-up
        secs = []
        for _ in range(reps):
            t = time.perf_counter()
            merge(spark, kind)
            secs.append(time.perf_counter() - t)
    finally:
        for k, v in old.items():
            if v is None:
                spark.conf.unset(k)
            else:
                spark.conf.set(k, v)
    print(f"{label:44s} {kind:7s} median {statistics.median(secs):.2f}s min {min(secs):.2f}s", flush=True)


def main() -> None:
    spark = build_spark(load_settings(), "bench-merge")
    spark.sql("CREATE DATABASE IF NOT EXISTS mbtest")
    try:
        for appends in (0, 100):
            files = setup(spark, appends)
            for kind in ("upsert", "insert"):
                timed(spark, f"{files} files, default", kind)
            for label, conf in VARIATIONS.items():
                timed(spark, f"{files} files, {label}", "upsert", conf)
        spark.sql(f"OPTIMIZE {TABLE}")
        timed(spark, "after OPTIMIZE (1 file), default", "upsert")
    finally:
        spark.sql("DROP DATABASE IF EXISTS mbtest CASCADE")
        spark.stop()


if __name__ == "__main__":
    main()
