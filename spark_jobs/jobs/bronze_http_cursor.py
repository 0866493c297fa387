"""Land an HTTP cursor API (the police incidents) in bronze, exactly once per range.

`python -m spark_jobs.jobs.bronze_http_cursor --feed police_incidents --date 2026-01-03` (or `--start D --days N`).

A delivery is one *range* of the API's update time: day D (Asia/Shanghai) is
``updated_since=D 00:00+08:00`` (exclusive) ``until=D+1 00:00+08:00`` (inclusive), every page
followed through ``next_cursor``. Each item (one version of an incident) lands in ``bronze.<feed>``
as the JSON text received, ``_line`` = its position in the pull, ``_source_file`` = the readable
range (``api:/api/v1/incidents?updated_since=…&until=…``), ``_delivered_on`` = D; ``ops.deliveries``
gets one row per range with ``range_from``/``range_to``, sha256 and bytes of the records as JSON
Lines, rows read and the status.

Progress is stored transactionally with the data
-----------------------------------------------
There is no separate cursor/watermark store that could disagree with the data. The delivery id is
range-addressed (``<feed>:<from>..<to>``, ``spark_jobs.transforms.pull``), every bronze row carries
it in ``_delivery_id``, and the rows of a range are appended in ONE Delta commit with the
idempotent-write options ``txnAppId=bronze:<delivery id>``, ``txnVersion=1``: the commit that adds
the records is the commit that records the range as done, and a retry of it is a no-op.
Before pulling, a run reads which of its ranges are done:

* ``ops.deliveries`` has a ``landed`` row for the range → nothing is pulled; the run records one
  ``skipped_duplicate`` row (source ``<range> (rerun)``, written once however often it is rerun).
* bronze holds rows with the range's delivery id but ``ops.deliveries`` has no ``landed`` row (the
  job died after the bronze commit, before the bookkeeping) → the range is NOT pulled again; the
  missing ``landed`` row is written from the bronze rows (count, and the sha256/bytes recomputed
  from the records in ``_line`` order, which is what the original pull would have recorded).
* neither → pull every page into memory; a failure on any page (HTTP error, bad page, cursor that
  does not advance) raises ``PullError`` naming the range, and nothing of the range is written.
  Then one bronze commit (skipped for an empty range), then the ``landed`` row.

An empty range has no bronze commit (so that an append with the range's txnAppId can never be
"already done" without rows); its ``landed`` row with 0 rows is what marks it done, so it is not
pulled forever. A crash between its (absent) commit and that row only means pulling nothing again.
``ops.deliveries`` rows are idempotent per (delivery id, source) (``spark_jobs.ops.record_delivery``),
so a recovered ``landed`` row and a late original cannot both appear. Exactly-once therefore holds
per range whatever the crash point; completeness needs every range pulled after it has closed (a
range is never pulled twice, so pulling today before midnight would lose the rest of today — the
orchestrator schedules day D after D ends). Ranges are independent: the job goes through them in
order and stops at the first failed pull; a later run retries it.

The landing machinery (``land_pulls``) is shared with ``bronze_db_watermark``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from govlake.contracts import contract
from govlake.errors import GovlakeError
from govlake.settings import Settings, load_settings
from spark_jobs.jobs.bronze_file_drop import Landed
from spark_jobs.ops import BRONZE_COLUMNS, DELIVERIES_COLUMNS, DeliveryRecord, record_delivery
from spark_jobs.transforms.bronze import RawRecord
from spark_jobs.transforms.pull import (
    PullRange,
    api_source,
    day_range,
    page_items,
    page_url,
    pull_digest,
    pulled_records,
)

PAGE_LIMIT = 1000  # items per page (the stand-in allows 1..5000)
RETRIES = 2  # extra attempts of one page on a transient failure (connection, timeout, HTTP 5xx / 429)
TIMEOUT_SECONDS = 30.0

Fetch = Callable[[str, dict[str, str]], str]  # (url, request headers) → response body text


class PullError(GovlakeError):
    """A range could not be pulled completely; nothing of it was written."""


# ---- the shared landing machinery (cursor and watermark pulls) --------------------------------------
def as_days(day: dt.date | Iterable[dt.date]) -> list[dt.date]:
    return [day] if isinstance(day, dt.date) else sorted(set(day))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def land_pulls(spark, settings: Settings, feed: str, ranges: Sequence[PullRange],
               pull: Callable[[PullRange], list[RawRecord]], source_of: Callable[[PullRange], str],
               header_of: Callable[[list[RawRecord]], str | None] = lambda _: None, echo=print,
               bronze_table: str | None = None, deliveries_table: str | None = None) -> list[Landed]:
    """Land each range once (see the module docstring); ``pull`` returns a range's records or raises."""
    import pyarrow as pa
    from pyspark.sql import functions as F

    from spark_jobs.io import append_once, ensure_table

    c = contract(feed)
    bronze_table = bronze_table or f"{settings.schema('bronze')}.{feed}"
    deliveries_table = deliveries_table or f"{settings.schema('ops')}.deliveries"
    ensure_table(spark, bronze_table, BRONZE_COLUMNS, f"{c.department.zh} {feed}: records as delivered")
    ensure_table(spark, deliveries_table, DELIVERIES_COLUMNS, "every delivery and what happened to it")
    ids = [r.delivery_id for r in ranges]
    if not ids:
        return []
    known = (spark.table(deliveries_table).where((F.col("feed") == feed) & F.col("delivery_id").isin(ids))
             .select("delivery_id", "source", "status", "sha256", "bytes", "rows_read").collect())
    done = {r.delivery_id: r for r in known if r.status == "landed"}
    rerun_noted = {(r.delivery_id, r.source) for r in known if r.status == "skipped_duplicate"}
    open_ranges = [r for r in ranges if r.delivery_id not in done]
    committed = {r["_delivery_id"] for r in spark.table(bronze_table)
                 .where(F.col("_delivered_on").isin([r.day for r in open_ranges])
                        & F.col("_delivery_id").isin([r.delivery_id for r in open_ranges]))
                 .select("_delivery_id").distinct().collect()} if open_ranges else set()
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
            got = (spark.table(bronze_table).where((F.col("_delivered_on") == r.day) & (F.col("_delivery_id") == did))
                   .select("_line", "_record").orderBy("_line").collect())
            records = [RawRecord(x["_line"], x["_record"], None, None) for x in got]
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
                s = pa.string()
                table = pa.table({
                    "_delivery_id": pa.array([did] * rows, s), "_source_file": pa.array([source] * rows, s),
                    "_line": pa.array([x.line for x in records], pa.int32()),
                    "_sheet": pa.array([None] * rows, s), "_record": pa.array([x.record for x in records], s),
                    "_raw_b64": pa.array([x.raw_b64 for x in records], s),
                    "_problem": pa.array([x.problem for x in records], s),
                })
                sdf = (spark.createDataFrame(table)
                       .withColumn("_delivered_on", F.lit(r.day))
                       .withColumn("_ingested_at", F.current_timestamp()))
                append_once(sdf, bronze_table, app_id=f"bronze:{did}", version=1)
            rec = DeliveryRecord(feed, did, source, sha, nbytes, rows, status, reason, header_of(records), r.day,
                                 started, _now(), r.range_from, r.range_to)
        if rec is not None:
            record_delivery(spark, deliveries_table, rec)
        results.append(Landed(source, did, status, rows, reason))
        echo(f"{bronze_table} {source}: {status}, {rows} records" + (f" ({reason})" if reason else ""))
    return results


# ---- the HTTP cursor pull --------------------------------------------------------------------------
def http_get(url: str, headers: dict[str, str], timeout: float = TIMEOUT_SECONDS) -> str:
    req = urllib.request.Request(url, headers={"Accept": "application/json", **headers})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.read().decode("utf-8")


def _http_problem(e: Exception) -> tuple[str, bool]:
    """(what went wrong, worth retrying)."""
    if isinstance(e, urllib.error.HTTPError):
        try:
            detail = json.loads(e.read().decode("utf-8")).get("error") or e.reason
        except (OSError, ValueError, AttributeError):
            detail = e.reason
        return f"HTTP {e.code} {detail}", e.code >= 500 or e.code == 429
    if isinstance(e, urllib.error.URLError):
        return f"connection failed ({e.reason})", True
    return f"{type(e).__name__}: {e}", isinstance(e, OSError)


def pull_api_range(r: PullRange, base_url: str, endpoint: str, cursor_param: str, token: str | None,
                   limit: int = PAGE_LIMIT, fetch: Fetch | None = None, retries: int = RETRIES,
                   backoff: float = 0.5) -> list[str]:
    """Every item of the range, following ``next_cursor``, as the exact JSON texts received.

    Raises PullError naming the range and the page when any page fails (after ``retries`` extra
    attempts for transient failures) or does not look like a page of this API.
    """
    fetch = fetch or http_get
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    items: list[str] = []
    cursor: str | None = None
    seen: set[str] = set()
    page = 0
    while True:
        page += 1
        url = page_url(base_url, endpoint, cursor_param, r, limit, cursor)
        where = f"pull of {r} failed on page {page}"
        for attempt in range(retries + 1):
            try:
                body = fetch(url, headers)
                break
            except Exception as e:
                problem, transient = _http_problem(e)
                if not transient or attempt == retries:
                    raise PullError(f"{where} ({problem}; {attempt + 1} attempt(s)); nothing of this range "
                                    "was written") from e
                time.sleep(backoff * 2 ** attempt)
        try:
            got, nxt = page_items(body)
        except ValueError as e:
            raise PullError(f"{where}: {e}; nothing of this range was written") from None
        items.extend(got)
        if nxt is None:
            return items
        if nxt in seen or not got:
            raise PullError(f"{where}: the cursor does not advance; nothing of this range was written")
        seen.add(nxt)
        cursor = nxt


def land_cursor_pull(spark, settings: Settings, feed: str, day: dt.date | Iterable[dt.date], echo=print,
                     fetch: Fetch | None = None, *, base_url: str | None = None, token: str | None = None,
                     page_limit: int = PAGE_LIMIT, retries: int = RETRIES, bronze_table: str | None = None,
                     deliveries_table: str | None = None) -> list[Landed]:
    """Land the delivery day(s) ``day`` of an ``http_cursor`` feed; one result per day, in day order.

    ``base_url`` and ``token`` default to the police API of the settings (``govlake.sources``);
    ``fetch(url, headers) -> body`` replaces the HTTP client (tests).
    """
    c = contract(feed)
    if c.delivery.mode != "http_cursor":
        raise ValueError(f"{feed} is delivered by {c.delivery.mode}, not through a cursor API")
    if base_url is None or token is None:
        from govlake.sources import police_api

        default_url, default_token = police_api(settings)
        base_url, token = base_url or default_url, token or default_token
    endpoint, param = c.delivery.endpoint, c.delivery.cursor_param
    ranges = [day_range(feed, d) for d in as_days(day)]

    def pull(r: PullRange) -> list[RawRecord]:
        return pulled_records(pull_api_range(r, base_url, endpoint, param, token, page_limit, fetch, retries))

    return land_pulls(spark, settings, feed, ranges, pull, lambda r: api_source(endpoint, param, r),
                      echo=echo, bronze_table=bronze_table, deliveries_table=deliveries_table)


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


def summary(feed: str, res: list[Any]) -> str:
    landed = [r for r in res if r.status == "landed"]
    return (f"bronze.{feed}: {len(landed)} ranges landed ({sum(r.rows for r in landed)} records), "
            f"{len(res) - len(landed)} skipped")


def run_pull_job(settings: Settings, feed: str, land: Callable[[Any], list[Any]]) -> int:
    """The tail of a pull job's main(): a Spark session, ``land(spark)``, a summary line; a PullError
    is a clear message and exit code 1, and the session is stopped either way."""
    from govlake.spark import build_spark

    spark = build_spark(settings, f"bronze-{feed}")
    try:
        res = land(spark)
    except PullError as e:
        print(f"bronze.{feed}: {e}", file=sys.stderr)
        return 1
    finally:
        spark.stop()
    print(summary(feed, res))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feed", required=True)
    day_arguments(ap)
    ap.add_argument("--page-limit", type=int, default=PAGE_LIMIT, help=f"items per page (default {PAGE_LIMIT})")
    ap.add_argument("--base-url", help="API base URL (default: the police API of the settings)")
    a = ap.parse_args(argv)
    days = chosen_days(a)
    settings = load_settings()
    return run_pull_job(settings, a.feed, lambda spark: land_cursor_pull(
        spark, settings, a.feed, days, base_url=a.base_url, page_limit=a.page_limit))


if __name__ == "__main__":
    sys.exit(main())
