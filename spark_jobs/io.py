"""The only place that reads and writes Delta tables for the jobs."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from urllib.parse import urlparse

from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)


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
