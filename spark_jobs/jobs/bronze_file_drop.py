"""Land file drops in bronze, exactly once: `python -m spark_jobs.jobs.bronze_file_drop --feed F --landing DIR`.

Every record of every file under ``<landing>/<feed>/<date>/`` goes to ``bronze.<feed>`` as it came;
each delivery is recorded in ``ops.deliveries`` (sha256, bytes, rows read, status, reason). The
delivery id is content-addressed, so a file delivered twice (or a rerun) lands once; the bronze
append uses Delta's idempotent-write options, so a crash between the data commit and the
bookkeeping cannot load a delivery twice either.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path

from govlake.contracts import contract
from govlake.settings import Settings, load_settings
from spark_jobs.ops import BRONZE_COLUMNS, DELIVERIES_COLUMNS, DeliveryRecord, record_delivery
from spark_jobs.transforms.bronze import (
    RawRecord,
    delivery_id,
    parquet_records,
    sha256_hex,
    split_text,
    xlsx_records,
)


@dataclass
class Landed:
    source: str
    delivery_id: str
    status: str
    rows: int
    reason: str | None = None


def read_records(fmt: str, encoding: str, path: Path) -> tuple[str | None, list[RawRecord]]:
    data = path.read_bytes()
    if fmt in ("csv", "jsonl"):
        return split_text(data, encoding, has_header=fmt == "csv")
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return None, parquet_records(pq.read_table(path).to_pylist())
    if fmt == "xlsx":
        import json

        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True)
        headers, recs = xlsx_records({ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets})
        return json.dumps(headers, ensure_ascii=False), recs
    raise ValueError(f"no bronze reader for format {fmt!r}")


def land_file_drop(spark, settings: Settings, feed: str, landing: Path, day: dt.date | None = None,
                   echo=print, bronze_table: str | None = None, deliveries_table: str | None = None
                   ) -> list[Landed]:
    import pyarrow as pa
    from pyspark.sql import functions as F

    from spark_jobs.io import append_once, ensure_table

    c = contract(feed)
    if c.delivery.mode != "file_drop":
        raise ValueError(f"{feed} is delivered by {c.delivery.mode}, not as files")
    bronze_table = bronze_table or f"{settings.schema('bronze')}.{feed}"
    deliveries_table = deliveries_table or f"{settings.schema('ops')}.deliveries"
    ensure_table(spark, bronze_table, BRONZE_COLUMNS, f"{c.department.zh} {feed}: records as delivered")
    ensure_table(spark, deliveries_table, DELIVERIES_COLUMNS, "every delivery and what happened to it")
    known = {r.delivery_id for r in spark.table(deliveries_table)
             .where((F.col("feed") == feed) & (F.col("status") == "landed")).select("delivery_id").collect()}
    folder = landing / feed
    pattern = f"{day.isoformat()}/*" if day else "*/*"
    files = sorted(p for p in folder.glob(pattern) if p.is_file())
    results: list[Landed] = []
    for path in files:
        started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        data = path.read_bytes()
        sha = sha256_hex(data)
        did = delivery_id(feed, sha)
        rel = str(path.relative_to(landing))
        delivered_on = dt.date.fromisoformat(path.parent.name)
        header, records = read_records(c.delivery.format, c.delivery.encoding, path)
        if not records:  # an empty delivery (header only) is its own delivery, whatever its bytes
            did = delivery_id(feed, sha256_hex(data + rel.encode()))
        if did in known:
            status, reason, rows = "skipped_duplicate", "same content as an earlier delivery", 0
        else:
            rows = len(records)
            s = pa.string()
            table = pa.table({
                "_delivery_id": pa.array([did] * rows, s), "_source_file": pa.array([rel] * rows, s),
                "_line": pa.array([r.line for r in records], pa.int32()),
                "_sheet": pa.array([r.sheet for r in records], s), "_record": pa.array([r.record for r in records], s),
                "_raw_b64": pa.array([r.raw_b64 for r in records], s),
                "_problem": pa.array([r.problem for r in records], s),
            })
            sdf = (spark.createDataFrame(table)
                   .withColumn("_delivered_on", F.lit(delivered_on))
                   .withColumn("_ingested_at", F.current_timestamp()))
            append_once(sdf, bronze_table, app_id=f"bronze:{did}", version=1)
            known.add(did)
            damaged = sum(1 for r in records if r.problem)
            status, reason = "landed", (f"{damaged} records with problems kept as delivered" if damaged else None)
        finished = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        record_delivery(spark, deliveries_table, DeliveryRecord(feed, did, rel, sha, len(data), rows, status, reason,
                                                            header, delivered_on, started, finished))
        results.append(Landed(rel, did, status, rows, reason))
        echo(f"{bronze_table} {rel}: {status}, {rows} records" + (f" ({reason})" if reason else ""))
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feed", required=True)
    ap.add_argument("--landing", type=Path, required=True, help="the landing zone (contains <feed>/<date>/)")
    ap.add_argument("--date", type=dt.date.fromisoformat, help="only this delivery date")
    a = ap.parse_args(argv)
    settings = load_settings()
    from govlake.spark import build_spark

    spark = build_spark(settings, f"bronze-{a.feed}")
    try:
        res = land_file_drop(spark, settings, a.feed, a.landing.resolve(), a.date)
    finally:
        spark.stop()
    landed = [r for r in res if r.status == "landed"]
    print(f"bronze.{a.feed}: {len(landed)} deliveries landed ({sum(r.rows for r in landed)} records), "
          f"{len(res) - len(landed)} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
