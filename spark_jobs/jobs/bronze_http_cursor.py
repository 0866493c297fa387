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
``ops.deliveries`` rows are idempotent per (delivery id, source) (``spark_jobs.io.record_delivery``),
so a recovered ``landed`` row and a late original cannot both appear. Exactly-once therefore holds
per range whatever the crash point; completeness needs every range pulled after it has closed (a
range is never pulled twice, so pulling today before midnight would lose the rest of today — the
orchestrator schedules day D after D ends). Ranges are independent: the job goes through them in
order and stops at the first failed pull; a later run retries it.

The landing loop (``land_pulls``), shared with ``bronze_db_watermark``, is in ``spark_jobs.landing``;
this module is the HTTP client (``pull_api_range``), ``land_cursor_pull`` and the command line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable

from govlake.contracts import contract
from govlake.settings import Settings, load_settings
from spark_jobs.landing import Landed, PullError, as_days, chosen_days, day_arguments, land_pulls, run_pull_job
from spark_jobs.transforms.bronze import RawRecord
from spark_jobs.transforms.pull import PullRange, api_source, day_range, page_items, page_url, pulled_records

PAGE_LIMIT = 1000  # items per page (the stand-in allows 1..5000)
RETRIES = 2  # extra attempts of one page on a transient failure (connection, timeout, HTTP 5xx / 429)
TIMEOUT_SECONDS = 30.0

Fetch = Callable[[str, dict[str, str]], str]  # (url, request headers) → response body text


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
