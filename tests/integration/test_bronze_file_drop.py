"""Bronze landing of file drops on the real platform: everything kept, exactly once."""

import json
import uuid

import pytest
from pyspark.sql import functions as F

from govlake import trino_client
from govlake_sim.generator import GenerateOptions, generate
from spark_jobs.io import append_once
from spark_jobs.jobs.bronze_file_drop import land_file_drop


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    out = tmp_path_factory.mktemp("city")
    generate(GenerateOptions(sf=0.003, days=3, defects="default", seed=11, out=out))
    return out


@pytest.fixture
def tables(spark):
    tag = uuid.uuid4().hex[:8]
    names = (f"ops.it_bronze_{tag}", f"ops.it_deliveries_{tag}")
    yield names
    for n in names:
        spark.sql(f"DROP TABLE IF EXISTS {n}")


def data_lines(path) -> int:
    data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    lines = [x for x in data.split(b"\n")]
    if lines and lines[-1] == b"":
        lines = lines[:-1]
    return sum(1 for x in lines[1:] if x.strip(b"\r") != b"")  # minus the header


@pytest.mark.parametrize("feed", ["civil_affairs_residents", "disputes"])
def test_every_record_lands_once_and_reruns_change_nothing(spark, settings, city, tables, feed):
    bronze, deliveries = tables
    landing = city / "landing"
    first = land_file_drop(spark, settings, feed, landing, echo=lambda _: None, bronze_table=bronze,
                           deliveries_table=deliveries)
    truth = [json.loads(x) for x in (city / "ground_truth" / "defects.jsonl").read_text().splitlines()]
    resent = {r["delivery"].removeprefix("landing/") for r in truth
              if r["kind"] == "duplicate_file" and r["feed"] == feed}
    assert {x.source for x in first if x.status == "skipped_duplicate"} == resent
    counts = {r["_source_file"]: r["n"] for r in spark.table(bronze).groupBy("_source_file").agg(
        F.count("*").alias("n")).collect()}
    for x in first:
        if x.status == "landed":
            assert counts.get(x.source, 0) == x.rows == data_lines(landing / x.source), x.source
    total = spark.table(bronze).count()
    # damaged lines are kept with their bytes and the reason
    damaged = spark.table(bronze).where(F.col("_problem").isNotNull()).count()
    expected_damaged = sum(1 for r in truth if r["feed"] == feed
                           and r["kind"] in ("invalid_gbk_bytes", "truncated_file")
                           and r["delivery"].removeprefix("landing/") not in resent)
    assert damaged == expected_damaged
    # a rerun lands nothing new and says so
    second = land_file_drop(spark, settings, feed, landing, echo=lambda _: None, bronze_table=bronze,
                            deliveries_table=deliveries)
    assert {x.status for x in second} == {"skipped_duplicate"}
    assert spark.table(bronze).count() == total
    # Trino reads the same table with the same count
    n = trino_client.query(settings, f"SELECT count(*) FROM {settings.trino.catalog}.{bronze}")[0][0]
    assert n == total


def test_a_retried_append_after_a_crash_is_a_no_op(spark, tables):
    bronze, _ = tables
    df = spark.createDataFrame([(1, "a"), (2, "b")], "id int, v string")
    spark.sql(f"CREATE TABLE {bronze} (id INT, v STRING) USING delta")
    append_once(df, bronze, app_id="delivery-x", version=1)
    append_once(df, bronze, app_id="delivery-x", version=1)  # the rerun of a job that died before bookkeeping
    assert spark.table(bronze).count() == 2
    append_once(df, bronze, app_id="delivery-y", version=1)
    assert spark.table(bronze).count() == 4
