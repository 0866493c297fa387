"""The only place that reads and writes Delta tables for the jobs."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession


def ensure_table(spark: SparkSession, name: str, ddl_columns: str, comment: str = "") -> None:
    """Create a Delta table once (never DROP + CREATE: see README, Trino's snapshot cache)."""
    c = comment.replace("'", "''")
    spark.sql(f"CREATE TABLE IF NOT EXISTS {name} ({ddl_columns}) USING delta COMMENT '{c}'")


def append_once(df: DataFrame, table: str, app_id: str, version: int) -> None:
    """Append with Delta idempotent-write options: a retry of the same (app_id, version) is a no-op,
    so a crash after the data commit but before the bookkeeping cannot load a delivery twice."""
    (df.write.format("delta").mode("append")
     .option("txnAppId", app_id).option("txnVersion", version)
     .saveAsTable(table))
