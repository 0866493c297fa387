"""What the bronze jobs share: the result of a landing, the pull failure, the day arguments of the
pull jobs and the range-landing loop of cursor and watermark pulls.

``land_pulls`` lands each range of a pull exactly once, with the progress stored in the same Delta
commit as the records (``spark_jobs.jobs.bronze_http_cursor`` explains the protocol); the reads and
writes are ``spark_jobs.io``'s, the range arithmetic and digests ``spark_jobs.transforms.pull``'s.
``run_pull_job`` is the tail of a pull job's ``main()``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from govlake.contracts import contract
from govlake.errors import GovlakeError
from govlake.settings import Settings
from spark_jobs.io import (
    append_bronze,
    bronze_delivery_ids,
    bronze_lines,
    delivery_rows,
    ensure_landing_tables,
    record_delivery,
)
from spark_jobs.ops import DeliveryRecord
from spark_jobs.transforms.bronze import RawRecord, bronze_arrow
from spark_jobs.transforms.pull import PullRange, pull_digest


@dataclass
class Landed:
    """What became of one delivery (a file or a range): ``landed`` or ``skipped_duplicate``."""

    source: str
    delivery_id: str
    status: str
    rows: int
    reason: str | None = None


class PullError(GovlakeError):
    """A range could not be pulled completely; nothing of it was written."""


# ---- the day arguments of the pull jobs --------------------------------------------------------------
def as_days(day: dt.date | Iterable[dt.date]) -> list[dt.date]:
    return [day] if isinstance(day, dt.date) else sorted(set(day))


def day_arguments(ap: argparse.ArgumentParser) -> None:
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--date", type=dt.date.fromisoformat, help="one delivery day (Asia/Shanghai)")
    g.add_argument("--start", type=dt.date.fromisoformat, help="first delivery day of a run of --days")
    ap.add_argument("--days", type=int, default=1, help="with --start: how many days (default 1)")


def chosen_days(a: argparse.Namespace) -> list[dt.date]:
    if a.date:
        return [a.date]
    if a.days < 1:
        raise SystemExit("--days must be at least 1")
    return [a.start + dt.timedelta(days=i) for i in range(a.days)]


# ---- landing ranges ------------------------------------------------------------------------------------
def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def land_pulls(spark, settings: Settings, feed: str, ranges: Sequence[PullRange],
               pull: Callable[[PullRange], list[RawRecord]], source_of: Callable[[PullRange], str],
               header_of: Callable[[list[RawRecord]], str | None] = lambda _: None, echo=print,
               bronze_table: str | None = None, deliveries_table: str | None = None) -> list[Landed]:
    """Land each range once (see ``bronze_http_cursor``); ``pull`` returns a range's records or raises."""
    c = contract(feed)
    bronze_table = bronze_table or f"{settings.schema('bronze')}.{feed}"
    deliveries_table = deliveries_table or f"{settings.schema('ops')}.deliveries"
    ensure_landing_tables(spark, bronze_table, deliveries_table, f"{c.department.zh} {feed}: records as delivered")
    ids = [r.delivery_id for r in ranges]
    if not ids:
        return []
    known = delivery_rows(spark, deliveries_table, feed,
                          ("delivery_id", "source", "status", "sha256", "bytes", "rows_read"), ids)
    done = {r.delivery_id: r for r in known if r.status == "landed"}
    rerun_noted = {(r.delivery_id, r.source) for r in known if r.status == "skipped_duplicate"}
    open_ranges = [r for r in ranges if r.delivery_id not in done]
    committed = bronze_delivery_ids(spark, bronze_table, [r.delivery_id for r in open_ranges],
                                    days=[r.day for r in open_ranges])
    results: list[Landed] = []
    for r in ranges:
        did, source, started = r.delivery_id, source_of(r), _now()
        if did in done:
            prev = done[did]
            status, rows = "skipped_duplicate", 0
            reason = f"range already landed ({prev.rows_read} records); not pulled again"
            rec = DeliveryRecord(feed, did, f"{source} (rerun)", prev.sha256, prev.bytes, 0, status, reason, None,
                                 r.day, started, _now(), r.range_from, r.range_to)
            if (did, rec.source) in rerun_noted:
                rec = None  # noted by an earlier rerun (the append would be an idempotent no-op anyway)
        elif did in committed:  # bronze commit made, bookkeeping lost: recover from bronze, do not pull
            records = [RawRecord(line, text, None, None) for line, text in bronze_lines(spark, bronze_table, r.day,
                                                                                          did)]
            sha, nbytes = pull_digest(records)
            status, rows = "landed", len(records)
            reason = "recovered: bronze commit found without its ops row; not pulled again"
            rec = DeliveryRecord(feed, did, source, sha, nbytes, rows, status, reason, header_of(records), r.day,
                                 started, _now(), r.range_from, r.range_to)
        else:
            records = pull(r)  # raises PullError: nothing of this range is written
            sha, nbytes = pull_digest(records)
            rows, status, reason = len(records), "landed", None if records else "empty range"
            if records:
                append_bronze(spark, bronze_table, bronze_arrow([(did, source, r.day, records)]),
                              app_id=f"bronze:{did}")
            rec = DeliveryRecord(feed, did, source, sha, nbytes, rows, status, reason, header_of(records), r.day,
                                 started, _now(), r.range_from, r.range_to)
        if rec is not None:
            record_delivery(spark, deliveries_table, rec)
        results.append(Landed(source, did, status, rows, reason))
        echo(f"{bronze_table} {source}: {status}, {rows} records" + (f" ({reason})" if reason else ""))
    return results


# ---- the tail of a pull job's main() -------------------------------------------------------------------
def summary(feed: str, res: list[Any]) -> str:
    landed = [r for r in res if r.status == "landed"]
    return (f"bronze.{feed}: {len(landed)} ranges landed ({sum(r.rows for r in landed)} records), "
            f"{len(res) - len(landed)} skipped")


def run_pull_job(settings: Settings, feed: str, land: Callable[[Any], list[Any]]) -> int:
    """A Spark session, ``land(spark)``, a summary line; a PullError is a clear message and exit code 1,
    and the session is stopped either way."""
    from govlake.spark import spark_session

    try:
        with spark_session(settings, f"bronze-{feed}") as spark:
            res = land(spark)
    except PullError as e:
        print(f"bronze.{feed}: {e}", file=sys.stderr)
        return 1
    print(summary(feed, res))
    return 0
