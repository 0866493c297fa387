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
import hashlib
import sys
from pathlib import Path

from govlake.contracts import contract
from govlake.settings import Settings, load_settings
from spark_jobs.io import (
    append_bronze,
    bronze_delivery_ids,
    delivery_rows,
    ensure_landing_tables,
    record_deliveries,
)
from spark_jobs.landing import Landed
from spark_jobs.ops import DeliveryRecord
from spark_jobs.transforms.bronze import (
    RawRecord,
    bronze_arrow,
    delivery_id,
    parquet_records,
    sha256_hex,
    split_text,
    xlsx_records,
)


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


def land_file_drop(spark, settings: Settings, feed: str, landing: Path,
                   day: dt.date | list[dt.date] | None = None, echo=print, bronze_table: str | None = None,
                   deliveries_table: str | None = None) -> list[Landed]:
    """Land the files of ``day`` (a date, a list of dates, or None for every date folder).

    All new deliveries of the call go to bronze in ONE commit and to ops.deliveries in one more
    (per-action overhead, not bytes, dominates small files: 168 hourly files a week). Exactly once:
    a delivery is new when ops.deliveries does not list it as landed; one whose rows are already in
    bronze (a crash between the two commits) only gets its ops row; the bronze commit carries
    Delta's idempotent-write id of its delivery set, so retrying the same set is a no-op."""
    c = contract(feed)
    if c.delivery.mode != "file_drop":
        raise ValueError(f"{feed} is delivered by {c.delivery.mode}, not as files")
    bronze_table = bronze_table or f"{settings.schema('bronze')}.{feed}"
    deliveries_table = deliveries_table or f"{settings.schema('ops')}.deliveries"
    ensure_landing_tables(spark, bronze_table, deliveries_table, f"{c.department.zh} {feed}: records as delivered")
    folder = landing / feed
    days = [day] if isinstance(day, dt.date) else day
    patterns = [f"{d.isoformat()}/*" for d in days] if days else ["*/*"]
    files = sorted({p for pat in patterns for p in folder.glob(pat) if p.is_file()})
    known_rows = delivery_rows(spark, deliveries_table, feed, ("delivery_id", "source", "status"))
    known = {r.delivery_id for r in known_rows if r.status == "landed"}
    noted = {(r.delivery_id, r.source) for r in known_rows}
    found = []
    for path in files:
        started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        data = path.read_bytes()
        sha = sha256_hex(data)
        rel = str(path.relative_to(landing))
        header, records = read_records(c.delivery.format, c.delivery.encoding, path)
        did = delivery_id(feed, sha if records else sha256_hex(data + rel.encode()))  # empty: its own delivery
        found.append((path, rel, data, sha, did, header, records, started))
    in_bronze = bronze_delivery_ids(spark, bronze_table, sorted({f[4] for f in found if f[4] not in known}))
    results: list[Landed] = []
    ops_rows: list[DeliveryRecord] = []
    new: list[tuple[str, str, dt.date, list[RawRecord]]] = []  # (delivery id, source, delivered on, records)
    for path, rel, data, sha, did, header, records, started in found:
        delivered_on = dt.date.fromisoformat(path.parent.name)
        if did in known:
            status, reason, rows = "skipped_duplicate", "same content as an earlier delivery", 0
        else:
            rows = len(records)
            if did not in in_bronze:
                new.append((did, rel, delivered_on, records))
            known.add(did)
            damaged = sum(1 for r in records if r.problem)
            status, reason = "landed", (f"{damaged} records with problems kept as delivered" if damaged else None)
            if did in in_bronze:
                reason = "recovered: records were in bronze, the ops row was missing"
        if (did, rel) not in noted:
            ops_rows.append(DeliveryRecord(feed, did, rel, sha, len(data), rows, status, reason, header, delivered_on,
                                           started, dt.datetime.now(dt.UTC).replace(tzinfo=None)))
        results.append(Landed(rel, did, status, rows, reason))
        echo(f"{bronze_table} {rel}: {status}, {rows} records" + (f" ({reason})" if reason else ""))
    if any(records for *_, records in new):
        ids = sorted({did for did, _, _, records in new if records})
        append_bronze(spark, bronze_table, bronze_arrow(new),
                      app_id="bronze:" + hashlib.sha256(",".join(ids).encode()).hexdigest()[:40])
    record_deliveries(spark, deliveries_table, ops_rows)
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feed", required=True)
    ap.add_argument("--landing", type=Path, required=True, help="the landing zone (contains <feed>/<date>/)")
    ap.add_argument("--date", type=dt.date.fromisoformat, help="only this delivery date")
    a = ap.parse_args(argv)
    settings = load_settings()
    from govlake.spark import spark_session

    with spark_session(settings, f"bronze-{a.feed}") as spark:
        res = land_file_drop(spark, settings, a.feed, a.landing.resolve(), a.date)
    landed = [r for r in res if r.status == "landed"]
    print(f"bronze.{a.feed}: {len(landed)} deliveries landed ({sum(r.rows for r in landed)} records), "
          f"{len(res) - len(landed)} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
