"""Bronze for the pull-mode feeds on the real platform, in private schemas (prefix): the police API
(a private stand-in on a free loopback port, serving a tiny generated city) and the urban-management
database (a private PostgreSQL database loaded day by day). Every version of a range lands exactly
once, reruns land nothing, a crash between the bronze commit and the bookkeeping is recovered
without pulling again, and a pull that fails half-way writes nothing."""

import datetime as dt
import json
import secrets
import threading
import uuid

import psycopg
import pytest
from pyspark.sql import functions as F

from govlake import trino_client
from govlake.platform.postgres import Postgres
from govlake_sim import urban_db
from govlake_sim.generator import GenerateOptions, generate
from govlake_sim.police_api import make_server, parse_aware
from spark_jobs import landing as bronze_http_cursor  # land_pulls (and its record_delivery) moved there
from spark_jobs.jobs.bronze_db_watermark import land_watermark_pull
from spark_jobs.jobs.bronze_http_cursor import land_cursor_pull, pull_api_range
from spark_jobs.landing import PullError
from spark_jobs.transforms.pull import day_range, pull_digest, pulled_records
from tests.integration.warehouse import prefixed_layers

DAYS = [dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(2026, 1, 3)]
TOKEN = secrets.token_urlsafe(16)
POLICE, URBAN = "police_incidents", "urban_cases"


def quiet(_):
    return None


@pytest.fixture(scope="module")
def layers(spark):
    with prefixed_layers(spark) as s:
        yield s


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    out = tmp_path_factory.mktemp("city")
    generate(GenerateOptions(sf=0.002, days=3, defects="default", seed=5, out=out))
    return out


def serve(path, fail_after_first_page=False):
    server = make_server(path, "127.0.0.1", 0, TOKEN)
    calls = []
    page = server.api.page

    def counted(since, until, cursor, limit):
        calls.append(cursor)
        if fail_after_first_page and cursor is not None:
            raise RuntimeError("backend down")  # the handler answers 500
        return page(since, until, cursor, limit)

    server.api.page = counted
    threading.Thread(target=server.serve_forever, name="it-police-api", daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}", calls


@pytest.fixture(scope="module")
def api(city):
    server, url, calls = serve(city / "police_api" / "incidents.jsonl")
    yield url, calls
    server.shutdown()
    server.server_close()


def served_lines(city, day):
    r = day_range(POLICE, day)
    lines = [x for x in (city / "police_api" / "incidents.jsonl").read_text(encoding="utf-8").splitlines() if x]
    return [x for x in lines if r.start < parse_aware(json.loads(x)["updated_at"]) <= r.end]


def tables(layers, tag):
    return f"{layers.schema('bronze')}.{tag}", f"{layers.schema('ops')}.deliveries_{tag}"


def ops_rows(spark, deliveries, did):
    return spark.table(deliveries).where(F.col("delivery_id") == did).collect()


def no_fetch(url, headers):
    raise AssertionError(f"a done range must not be pulled again: {url}")


# ---- police API (http_cursor) ---------------------------------------------------------------------
def test_police_every_version_of_a_day_lands_once_and_a_rerun_lands_nothing(spark, layers, city, api):
    url, calls = api
    bronze, deliveries = tables(layers, "police_incidents")
    res = land_cursor_pull(spark, layers, POLICE, DAYS, echo=quiet, base_url=url, token=TOKEN, page_limit=4,
                           bronze_table=bronze, deliveries_table=deliveries)
    expected = {d: served_lines(city, d) for d in DAYS}
    assert [len(v) for v in expected.values()] == [0, 9, 10]  # this city: day 1 has no versions (empty range)
    assert [(x.status, x.rows) for x in res] == [("landed", len(expected[d])) for d in DAYS]
    assert len(calls) == 1 + 3 + 3  # an empty range is one page; 9 and 10 versions are 3 pages of 4
    landed = spark.table(bronze).orderBy("_delivery_id", "_line").collect()
    ops = {o.delivery_id: o for o in spark.table(deliveries).collect()}
    assert len(ops) == 3
    for d, x in zip(DAYS, res, strict=True):
        r = day_range(POLICE, d)
        got = [g for g in landed if g["_delivery_id"] == r.delivery_id]
        assert [g["_record"] for g in got] == expected[d]  # the text as served, each version once, in API order
        assert [g["_line"] for g in got] == list(range(1, len(got) + 1))
        assert {g["_delivered_on"] for g in got} <= {d}
        assert {g["_source_file"] for g in got} <= {x.source} and x.source == (
            f"api:/api/v1/incidents?updated_since={r.range_from}&until={r.range_to}")
        op = ops[r.delivery_id]
        sha, nbytes = pull_digest(pulled_records(expected[d]))
        assert (op.status, op.rows_read, op.sha256, op.bytes, op.range_from, op.range_to, op.delivered_on) == (
            "landed", len(expected[d]), sha, nbytes, r.range_from, r.range_to, d)
    total = len(landed)
    assert total == 19 == len({g["_record"] for g in landed})
    n = trino_client.query(layers, f"SELECT count(*) FROM {layers.trino.catalog}.{bronze}")[0][0]
    assert n == total

    # a rerun pulls nothing, lands nothing, and says so once per range however often it runs
    for _ in range(2):
        again = land_cursor_pull(spark, layers, POLICE, DAYS, echo=quiet, fetch=no_fetch, base_url=url, token=TOKEN,
                                 bronze_table=bronze, deliveries_table=deliveries)
        assert [(x.status, x.rows) for x in again] == [("skipped_duplicate", 0)] * 3
    assert spark.table(bronze).count() == total
    ops = spark.table(deliveries).groupBy("status").count().collect()
    assert {o.status: o["count"] for o in ops} == {"landed": 3, "skipped_duplicate": 3}


def test_police_crash_after_the_bronze_commit_is_recovered_without_pulling(spark, layers, city, api,
                                                                             monkeypatch):
    url, _ = api
    bronze, deliveries = tables(layers, "police_crash")
    day = DAYS[2]
    did = day_range(POLICE, day).delivery_id

    def crash(*_a, **_k):
        raise RuntimeError("killed between the bronze commit and the bookkeeping")

    monkeypatch.setattr(bronze_http_cursor, "record_delivery", crash)
    with pytest.raises(RuntimeError, match="killed"):
        land_cursor_pull(spark, layers, POLICE, day, echo=quiet, base_url=url, token=TOKEN, page_limit=4,
                         bronze_table=bronze, deliveries_table=deliveries)
    monkeypatch.undo()
    assert spark.table(bronze).where(F.col("_delivery_id") == did).count() == 10
    assert not spark.catalog.tableExists(deliveries) or not ops_rows(spark, deliveries, did)

    (x,) = land_cursor_pull(spark, layers, POLICE, day, echo=quiet, fetch=no_fetch, base_url=url, token=TOKEN,
                            bronze_table=bronze, deliveries_table=deliveries)
    assert (x.status, x.rows) == ("landed", 10) and x.reason.startswith("recovered")
    assert spark.table(bronze).count() == 10
    (op,) = ops_rows(spark, deliveries, did)
    clean = pull_api_range(day_range(POLICE, day), url, "/api/v1/incidents", "updated_since", TOKEN, limit=4)
    assert (op.status, op.rows_read) == ("landed", 10)
    assert (op.sha256, op.bytes) == pull_digest(pulled_records(clean))  # as the lost bookkeeping would have said

    # the next run sees the range as done
    (y,) = land_cursor_pull(spark, layers, POLICE, day, echo=quiet, fetch=no_fetch, base_url=url, token=TOKEN,
                            bronze_table=bronze, deliveries_table=deliveries)
    assert y.status == "skipped_duplicate" and spark.table(bronze).count() == 10
    assert [o.status for o in ops_rows(spark, deliveries, did)].count("landed") == 1


def test_police_pull_failing_on_page_two_writes_nothing_and_names_the_range(spark, layers, city):
    server, url, calls = serve(city / "police_api" / "incidents.jsonl", fail_after_first_page=True)
    bronze, deliveries = tables(layers, "police_failing")
    r = day_range(POLICE, DAYS[1])
    try:
        with pytest.raises(PullError) as e:
            land_cursor_pull(spark, layers, POLICE, DAYS[1:], echo=quiet, base_url=url, token=TOKEN, page_limit=4,
                             bronze_table=bronze, deliveries_table=deliveries)
    finally:
        server.shutdown()
        server.server_close()
    msg = str(e.value)
    assert r.range_from in msg and r.range_to in msg and "page 2" in msg and "HTTP 500" in msg
    assert len(calls) == 1 + 3  # page 1, then page 2 tried 1 + RETRIES times; day 3 not attempted
    assert spark.table(bronze).count() == 0
    assert spark.table(deliveries).count() == 0


def test_police_wrong_token_is_not_retried(spark, layers, city, api):
    url, _ = api
    bronze, deliveries = tables(layers, "police_token")
    with pytest.raises(PullError, match="HTTP 401"):
        land_cursor_pull(spark, layers, POLICE, DAYS[1], echo=quiet, base_url=url, token="wrong",
                         bronze_table=bronze, deliveries_table=deliveries)
    assert spark.table(bronze).count() == 0


# ---- urban-management database (db_watermark) -------------------------------------------------------
@pytest.fixture(scope="module")
def urban(layers):
    """A private database on the project cluster (the shared urban_mgmt database is not touched)."""
    s = layers.model_copy(deep=True)
    s.feeds.urban_db = f"it_urban_{uuid.uuid4().hex[:8]}"
    with urban_db.connect(s) as conn:  # creates the database
        urban_db.reset_table(conn)
    yield s, (lambda: urban_db.connect(s))
    pg = s.postgres
    with psycopg.connect(host=pg.host, port=pg.port, user=pg.superuser, password=Postgres(s).password,
                         dbname="postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{s.feeds.urban_db}" WITH (FORCE)')


def db_count(connect, r):
    with connect() as conn:
        return conn.execute("SELECT count(*) FROM public.um_cases WHERE updated_at > %s AND updated_at <= %s",
                            (r.local_from, r.local_to)).fetchone()[0]


def test_urban_rows_of_each_day_land_once_as_the_database_holds_them(spark, layers, city, urban):
    _, connect = urban
    bronze, deliveries = tables(layers, "urban_cases")
    total = 0
    for path in urban_db.day_files(city):  # the department writes a day, the pipeline pulls it after midnight
        day = dt.date.fromisoformat(path.stem)
        r = day_range(URBAN, day)
        rows = urban_db.read_day(path)
        with connect() as conn:
            urban_db.apply_day(conn, rows, path.stem)
        expected = [x for x in rows if r.local_from < dt.datetime.fromisoformat(x["updated_at"]) <= r.local_to]
        assert expected and len(expected) == db_count(connect, r)
        (x,) = land_watermark_pull(spark, layers, URBAN, day, echo=quiet, connect=connect, bronze_table=bronze,
                                   deliveries_table=deliveries)
        assert (x.status, x.rows) == ("landed", len(expected))
        assert x.source == f"db:public.um_cases?updated_at=({day} 00:00:00,{day + dt.timedelta(days=1)} 00:00:00]"
        got = spark.table(bronze).where(F.col("_delivery_id") == r.delivery_id).orderBy("_line").collect()
        recs = [json.loads(g["_record"]) for g in got]
        assert [list(g) for g in recs] == [urban_db.COLUMNS] * len(recs)  # the table's columns, in order
        key = lambda d: (d["updated_at"], d["case_id"])  # noqa: E731
        assert recs == sorted(expected, key=key)  # every row once, timestamps as the local text delivered
        assert [g["_line"] for g in got] == list(range(1, len(got) + 1))
        (op,) = ops_rows(spark, deliveries, r.delivery_id)
        assert (op.status, op.rows_read, op.range_from, op.range_to) == ("landed", len(expected), r.range_from,
                                                                          r.range_to)
        assert json.loads(op.header) == urban_db.COLUMNS
        total += len(expected)
    assert spark.table(bronze).count() == total

    days = [dt.date.fromisoformat(p.stem) for p in urban_db.day_files(city)]
    again = land_watermark_pull(spark, layers, URBAN, days, echo=quiet, connect=connect, bronze_table=bronze,
                                deliveries_table=deliveries)
    assert {x.status for x in again} == {"skipped_duplicate"} and spark.table(bronze).count() == total


def test_urban_crash_after_the_bronze_commit_is_recovered_without_pulling(spark, layers, city, urban,
                                                                            monkeypatch):
    _, connect = urban
    bronze, deliveries = tables(layers, "urban_crash")
    day = DAYS[2]
    r = day_range(URBAN, day)
    n = db_count(connect, r)
    monkeypatch.setattr(bronze_http_cursor, "record_delivery",
                        lambda *a, **k: (_ for _ in ()).throw(RuntimeError("killed")))
    with pytest.raises(RuntimeError, match="killed"):
        land_watermark_pull(spark, layers, URBAN, day, echo=quiet, connect=connect, bronze_table=bronze,
                            deliveries_table=deliveries)
    monkeypatch.undo()

    def unreachable():
        raise AssertionError("a committed range must not be pulled again")

    (x,) = land_watermark_pull(spark, layers, URBAN, day, echo=quiet, connect=unreachable, bronze_table=bronze,
                               deliveries_table=deliveries)
    assert (x.status, x.rows) == ("landed", n) and spark.table(bronze).count() == n
    (op,) = ops_rows(spark, deliveries, r.delivery_id)
    assert op.rows_read == n and json.loads(op.header) == urban_db.COLUMNS


def test_urban_database_error_writes_nothing_and_names_the_range(spark, layers, urban):
    s, _ = urban
    bronze, deliveries = tables(layers, "urban_failing")
    broken = s.model_copy(deep=True)
    broken.feeds.urban_db = f"{s.feeds.urban_db}_empty"  # a database without the table

    def connect():
        return urban_db.connect(broken)

    r = day_range(URBAN, DAYS[0])
    try:
        with pytest.raises(PullError) as e:
            land_watermark_pull(spark, layers, URBAN, DAYS[0], echo=quiet, connect=connect, bronze_table=bronze,
                                deliveries_table=deliveries)
    finally:
        pg = s.postgres
        with psycopg.connect(host=pg.host, port=pg.port, user=pg.superuser, password=Postgres(s).password,
                             dbname="postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{broken.feeds.urban_db}" WITH (FORCE)')
    assert r.range_from in str(e.value) and "um_cases" in str(e.value)
    assert spark.table(bronze).count() == 0 and spark.table(deliveries).count() == 0
