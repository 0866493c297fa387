"""Every read and write of a Delta table the jobs make, in one module.

* Tables: ``ensure_table`` (CREATE once, never DROP + CREATE), ``set_aside_interrupted_create``,
  ``append_once`` (Delta's idempotent-write options: a retried commit is a no-op).
* Bronze and ``ops.deliveries`` (the bronze jobs): ``delivery_rows`` and ``bronze_delivery_ids`` (what
  is landed already), ``bronze_lines`` (a committed range read back), ``append_bronze``,
  ``record_delivery`` / ``record_deliveries``.

The rows written are built by the pure functions of ``spark_jobs.transforms``; the layouts of the
shared tables are in ``spark_jobs.ops``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import astuple, fields
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from spark_jobs.ops import (
    BRONZE_COLUMNS,
    DELIVERIES_COLUMNS,
    DeliveryRecord,
    spark_ddl,
)

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, Row, SparkSession

log = logging.getLogger(__name__)


# ---- tables ------------------------------------------------------------------------------------------
def ensure_table(spark: SparkSession, name: str, ddl_columns: str, comment: str = "") -> None:
    """Create a Delta table once (never DROP + CREATE: see README, Trino's snapshot cache)."""
    if not spark.catalog.tableExists(name):
        set_aside_interrupted_create(spark, name)
    c = comment.replace("'", "''")
    spark.sql(f"CREATE TABLE IF NOT EXISTS {name} ({ddl_columns}) USING delta COMMENT '{c}'")


def set_aside_interrupted_create(spark: SparkSession, name: str) -> Path | None:
    """A job killed while creating a table leaves files at the table's location but no Delta
    commit (and no catalog entry); CREATE then refuses the non-empty location. Nothing there was
    ever committed or visible, but nothing is deleted either: the folder is renamed beside it
    (``<table>.interrupted-<UTC time>``) and the creation proceeds. Local warehouses only; on object
    stores the error stands and names the location."""
    schema, table = name.split(".")
    rows = spark.sql(f"DESCRIBE SCHEMA EXTENDED {schema}").collect()
    location = next((r[1] for r in rows if r[0].lower() == "location"), None)
    if not location:
        return None
    uri = urlparse(location)
    if uri.scheme not in ("", "file"):
        return None
    path = Path(uri.path) / table.lower()
    if not path.exists() or any((path / "_delta_log").glob("*.json")):
        return None
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.interrupted-{stamp}")
    path.rename(target)
    log.warning("%s: set aside the files of an interrupted creation at %s", name, target)
    return target


def append_once(df: DataFrame, table: str, app_id: str, version: int) -> None:
    """Append with Delta idempotent-write options: a retry of the same (app_id, version) is a no-op,
    so a crash after the data commit but before the bookkeeping cannot load a delivery twice."""
    (df.write.format("delta").mode("append")
     .option("txnAppId", app_id).option("txnVersion", version)
     .saveAsTable(table))


def _merge(spark: SparkSession, source: DataFrame, view: str, statement: str) -> DataFrame:
    """Run ``statement`` (a MERGE reading the temporary view ``view``) with ``source`` as that view."""
    source.createOrReplaceTempView(view)
    try:
        return spark.sql(statement)
    finally:
        spark.catalog.dropTempView(view)


# ---- bronze and ops.deliveries -------------------------------------------------------------------------
def ensure_landing_tables(spark: SparkSession, bronze_table: str, deliveries_table: str, bronze_comment: str) -> None:
    """``bronze.<feed>`` (records as delivered) and ``ops.deliveries``, created once."""
    ensure_table(spark, bronze_table, BRONZE_COLUMNS, bronze_comment)
    ensure_table(spark, deliveries_table, DELIVERIES_COLUMNS, "every delivery and what happened to it")


def delivery_rows(spark: SparkSession, deliveries_table: str, feed: str, columns: Sequence[str],
                  delivery_ids: Sequence[str] | None = None) -> list[Row]:
    """``columns`` of the ``ops.deliveries`` rows of ``feed`` (only ``delivery_ids`` when given)."""
    from pyspark.sql import functions as F

    where = F.col("feed") == feed
    if delivery_ids is not None:
        where = where & F.col("delivery_id").isin(list(delivery_ids))
    return spark.table(deliveries_table).where(where).select(*columns).collect()


def bronze_delivery_ids(spark: SparkSession, bronze_table: str, delivery_ids: Sequence[str],
                        days: Sequence[dt.date] | None = None) -> set[str]:
    """Which of ``delivery_ids`` have rows in bronze (``days``: only those ``_delivered_on`` partitions)."""
    from pyspark.sql import functions as F

    if not delivery_ids:
        return set()
    where = F.col("_delivery_id").isin(list(delivery_ids))
    if days is not None:
        where = F.col("_delivered_on").isin(list(days)) & where
    return {r["_delivery_id"] for r in spark.table(bronze_table).where(where).select("_delivery_id")
            .distinct().collect()}


def bronze_lines(spark: SparkSession, bronze_table: str, day: dt.date, delivery_id: str) -> list[tuple[int, str]]:
    """(``_line``, ``_record``) of one delivery's bronze rows, in line order."""
    from pyspark.sql import functions as F

    got = (spark.table(bronze_table).where((F.col("_delivered_on") == day) & (F.col("_delivery_id") == delivery_id))
           .select("_line", "_record").orderBy("_line").collect())
    return [(x["_line"], x["_record"]) for x in got]


def append_bronze(spark: SparkSession, bronze_table: str, rows: pa.Table, app_id: str) -> None:
    """Bronze rows (``transforms.bronze.bronze_arrow``) stamped ``_ingested_at`` → one idempotent commit."""
    from pyspark.sql import functions as F

    sdf = spark.createDataFrame(rows).withColumn("_ingested_at", F.current_timestamp()).select(
        *[x.split()[0] for x in BRONZE_COLUMNS.split(", ")])
    append_once(sdf, bronze_table, app_id=app_id, version=1)


def record_delivery(spark: SparkSession, table: str, rec: DeliveryRecord) -> None:
    """Append one ``ops.deliveries`` row, idempotently per (delivery id, source)."""
    record_deliveries(spark, table, [rec])


def record_deliveries(spark: SparkSession, table: str, recs: list[DeliveryRecord]) -> None:
    """Append ``ops.deliveries`` rows in one commit, idempotently per set of (delivery id, source)."""
    if not recs:
        return
    ensure_table(spark, table, DELIVERIES_COLUMNS, "every delivery and what happened to it")
    n_silver = len(DELIVERIES_COLUMNS.split(",")) - len(fields(DeliveryRecord))
    rows = [(*astuple(rec), *([None] * n_silver)) for rec in recs]
    df = spark.createDataFrame(rows, spark_ddl(DELIVERIES_COLUMNS))
    if len(recs) == 1:  # the id a single row always had (kept stable for tables written before)
        app_id = f"ops:{recs[0].delivery_id}:{recs[0].source}"
    else:
        app_id = "ops:" + hashlib.sha256("\n".join(sorted(f"{r.delivery_id}:{r.source}" for r in recs))
                                         .encode()).hexdigest()[:40]
    append_once(df, table, app_id=app_id, version=1)
