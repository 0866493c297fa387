"""Land a department database table (urban cases) in bronze by an update-time watermark, exactly once per range.

`python -m spark_jobs.jobs.bronze_db_watermark --feed urban_cases --date 2026-01-03` (or `--start D --days N`).

A delivery is one range of the contract's ``watermark_column``: day D is
``SELECT * FROM <table> WHERE <wm> > 'D 00:00:00' AND <wm> <= 'D+1 00:00:00' ORDER BY <wm>, <key>``
with naive local (Asia/Shanghai) timestamps, as the department's database stores them, in one
read-only transaction. Each row lands in ``bronze.<feed>`` as a JSON object (column names as keys in
the table's column order, timestamps as local text ``YYYY-MM-DD HH:MM:SS``, the form the contract
reads as local time), ``_line`` = its position in the pull, ``_source_file`` =
``db:public.um_cases?updated_at=(D 00:00:00,D+1 00:00:00]``, ``_delivered_on`` = D; ``ops.deliveries``
gets one row per range (``range_from``/``range_to`` in ISO with +08:00, sha256 and bytes of the
records as JSON Lines, ``header`` = the column names as JSON).

Progress (the watermark) is stored with the data exactly as for cursor pulls, by the same loop
(``spark_jobs.landing.land_pulls``; ``spark_jobs.jobs.bronze_http_cursor`` explains it):
range-addressed delivery ids in ``_delivery_id``, one idempotent Delta commit per range
(``txnAppId=bronze:<delivery id>``), done ranges read back from bronze and ``ops.deliveries`` before
pulling, a commit without its ops row recovered from bronze without pulling again, a database error
raising ``PullError`` naming the range with nothing written.

What a watermark pull cannot see: the table holds only the latest state of each row, so a row
updated on D and again on D+1 before D is pulled lands once, in D+1's range, in its later state; and
a row written with an update time inside a range that was already pulled (a late commit, a clock
that went back) is never pulled. Pull day D only after D has ended (and the source has committed it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable, Iterable

from govlake.contracts import Contract, contract
from govlake.settings import Settings, load_settings
from spark_jobs.landing import Landed, PullError, as_days, chosen_days, day_arguments, land_pulls, run_pull_job
from spark_jobs.transforms.bronze import RawRecord
from spark_jobs.transforms.pull import PullRange, day_range, db_header, db_row_json, db_source, pulled_records

Connect = Callable[[], object]  # → a new psycopg connection to the department's database


def watermark_query(c: Contract):
    """The range query of a ``db_watermark`` feed (parameters ``from`` and ``to``, naive local)."""
    from psycopg import sql

    table = c.delivery.table.split(".")
    wm = sql.Identifier(c.delivery.watermark_column)
    order = sql.SQL(", ").join([wm, *[sql.Identifier(k) for k in c.table().primary_key]])
    return sql.SQL("SELECT * FROM {t} WHERE {wm} > %(from)s AND {wm} <= %(to)s ORDER BY {order}").format(
        t=sql.Identifier(*table), wm=wm, order=order)


def pull_db_range(r: PullRange, c: Contract, connect: Connect) -> list[RawRecord]:
    """Every row of the range as JSON records, in watermark order; PullError naming the range on failure."""
    import psycopg

    try:
        with connect() as conn:
            conn.read_only = True
            with conn.cursor() as cur:
                cur.execute(watermark_query(c), {"from": r.local_from, "to": r.local_to})
                columns = [d.name for d in cur.description]
                rows = cur.fetchall()
    except psycopg.Error as e:
        raise PullError(f"pull of {r} from {c.delivery.table} failed ({type(e).__name__}: {e}); "
                        "nothing of this range was written") from e
    return pulled_records([db_row_json(columns, row) for row in rows])


def land_watermark_pull(spark, settings: Settings, feed: str, day: dt.date | Iterable[dt.date], echo=print,
                        connect: Connect | None = None, *, bronze_table: str | None = None,
                        deliveries_table: str | None = None) -> list[Landed]:
    """Land the delivery day(s) ``day`` of a ``db_watermark`` feed; one result per day, in day order.

    ``connect()`` opens a connection to the department's database (default: ``settings.feeds.urban_db``
    on the configured PostgreSQL, ``govlake.sources.department_db``).
    """
    c = contract(feed)
    if c.delivery.mode != "db_watermark":
        raise ValueError(f"{feed} is delivered by {c.delivery.mode}, not by a database watermark")
    if connect is None:
        from govlake.sources import department_db

        def connect():
            return department_db(settings)

    ranges = [day_range(feed, d) for d in as_days(day)]
    table, wm = c.delivery.table, c.delivery.watermark_column
    return land_pulls(spark, settings, feed, ranges, lambda r: pull_db_range(r, c, connect),
                      lambda r: db_source(table, wm, r), header_of=db_header, echo=echo,
                      bronze_table=bronze_table, deliveries_table=deliveries_table)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feed", required=True)
    day_arguments(ap)
    ap.add_argument("--dbname", help="the department database (default: settings feeds.urban_db)")
    a = ap.parse_args(argv)
    days = chosen_days(a)
    settings = load_settings()
    if a.dbname:
        settings.feeds.urban_db = a.dbname
    return run_pull_job(settings, a.feed, lambda spark: land_watermark_pull(spark, settings, a.feed, days))


if __name__ == "__main__":
    sys.exit(main())
