"""Every read and write of a Delta table the jobs make, in one module.

* Tables: ``ensure_table`` (CREATE once, never DROP + CREATE), ``set_aside_interrupted_create``,
  ``append_once`` (Delta's idempotent-write options: a retried commit is a no-op).
* Bronze and ``ops.deliveries`` (the bronze jobs): ``delivery_rows`` and ``bronze_delivery_ids`` (what
  is landed already), ``bronze_lines`` (a committed range read back), ``append_bronze``,
  ``record_delivery`` / ``record_deliveries``.
* Silver (``spark_jobs.jobs.silver``): ``read_bronze``, ``read_reference``, ``create_silver``, the
  MERGEs (``merge_quarantine``, ``upsert_silver``, ``merge_vault``, ``merge_history``,
  ``merge_snapshot_changes``, ``merge_scd2``, ``merge_delivery_outcomes``) and the ops appends
  (``append_accounting``, ``append_quality``).

The rows written are built by the pure functions of ``spark_jobs.transforms``; the layouts of the
shared tables are in ``spark_jobs.ops``. Each MERGE is keyed so that a rerun or a replay of the
same delivery converges instead of adding rows twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import astuple, fields
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from spark_jobs.ops import (
    ACCOUNTING_COLUMNS,
    BRONZE_COLUMNS,
    DELIVERIES_COLUMNS,
    QUALITY_COLUMNS,
    QUARANTINE_COLUMNS,
    VAULT_COLUMNS,
    DeliveryRecord,
    spark_ddl,
)

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, Row, SparkSession

log = logging.getLogger(__name__)

# Feeds run in parallel threads of one Spark session (govlake.pipeline). Their own tables are theirs
# alone; the shared ones (vault.person_identity, ops.deliveries) take MERGEs one at a time, since two
# MERGEs reading the whole of one Delta table conflict. Blind appends (the ops logs) do not conflict.
_TABLE_LOCKS: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
_LOCKS_LOCK = threading.Lock()


def table_lock(table: str) -> threading.Lock:
    """The lock that serialises this process's MERGEs (and its creation) of ``table``."""
    with _LOCKS_LOCK:
        return _TABLE_LOCKS[table.lower()]


# ---- tables ------------------------------------------------------------------------------------------
def ensure_table(spark: SparkSession, name: str, ddl_columns: str, comment: str = "") -> None:
    """Create a Delta table once (never DROP + CREATE: see README, Trino's snapshot cache)."""
    if spark.catalog.tableExists(name):
        return
    with table_lock(name):
        if spark.catalog.tableExists(name):  # another thread of this run created it meanwhile
            return
        set_aside_interrupted_create(spark, name)
        c = comment.replace("'", "''")
        spark.sql(f"CREATE TABLE IF NOT EXISTS {name} ({ddl_columns}) USING delta COMMENT '{c}'")


def set_aside_interrupted_create(spark: SparkSession, name: str) -> Path | None:
    """A job killed while creating a table leaves files at the table's location but no catalog
    entry: data files without a commit, or the creation commit itself (Delta commits, then registers
    the table in the metastore); CREATE then refuses the non-empty location. When no commit there
    adds data, nothing there was ever visible, but nothing is deleted either: the folder is renamed
    beside it (``<table>.interrupted-<UTC time>``) and the creation proceeds. A location whose log
    adds data is left alone (the error stands and names it). Local warehouses only; on object stores
    the error stands."""
    schema, table = name.split(".")
    rows = spark.sql(f"DESCRIBE SCHEMA EXTENDED {schema}").collect()
    location = next((r[1] for r in rows if r[0].lower() == "location"), None)
    if not location:
        return None
    uri = urlparse(location)
    if uri.scheme not in ("", "file"):
        return None
    path = Path(uri.path) / table.lower()
    if not path.exists() or _log_adds_data(path / "_delta_log"):
        return None
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.interrupted-{stamp}")
    path.rename(target)
    log.warning("%s: set aside the files of an interrupted creation at %s", name, target)
    return target


def _log_adds_data(log_dir: Path) -> bool:
    """Whether a Delta log holds a checkpoint or a commit that adds a data file."""
    if any(log_dir.glob("*.checkpoint*.parquet")):
        return True
    for commit in log_dir.glob("*.json"):
        for line in commit.read_text(encoding="utf-8").splitlines():
            if line.strip() and "add" in json.loads(line):
                return True
    return False


def append_once(df: DataFrame, table: str, app_id: str, version: int) -> None:
    """Append with Delta idempotent-write options: a retry of the same (app_id, version) is a no-op,
    so a crash after the data commit but before the bookkeeping cannot load a delivery twice."""
    with table_lock(table):  # a MERGE of another thread reading the whole table would conflict with it
        (df.write.format("delta").mode("append")
         .option("txnAppId", app_id).option("txnVersion", version)
         .saveAsTable(table))


def _merge(spark: SparkSession, source: DataFrame, target: str, statement: str) -> DataFrame:
    """Run ``statement`` (``MERGE INTO {target} t USING {src} s …``) with ``source`` as ``{src}``: a
    temporary view named for this call alone (threads of one session share their temporary views),
    under ``target``'s lock."""
    view = f"_src_{uuid.uuid4().hex[:16]}"
    source.createOrReplaceTempView(view)
    try:
        with table_lock(target):
            return spark.sql(statement.replace("{target}", target).replace("{src}", view))
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


# ---- silver: reads -------------------------------------------------------------------------------------
def read_bronze(spark: SparkSession, bronze_table: str, delivery_ids: Sequence[str], sheet: str | None) -> DataFrame:
    """The bronze rows of ``delivery_ids`` (of one XLSX sheet when ``sheet`` is given)."""
    from pyspark.sql import functions as F

    bronze = spark.table(bronze_table).where(F.col("_delivery_id").isin(list(delivery_ids)))
    if sheet:
        bronze = bronze.where(F.col("_sheet") == sheet)
    return bronze


def read_reference(spark: SparkSession, reference_csv: Path) -> DataFrame:
    """The division code table (``level, code, parent_code``) from its CSV, cached: the caller unpersists it."""
    return spark.read.option("header", True).csv(str(reference_csv)).select("level", "code", "parent_code").cache()


def landed_deliveries(spark: SparkSession, deliveries_table: str, feed: str) -> list[Row]:
    """The ``landed`` rows of ``feed`` in ``ops.deliveries``, by delivery date and source."""
    from pyspark.sql import functions as F

    return (spark.table(deliveries_table).where((F.col("feed") == feed) & (F.col("status") == "landed"))
            .orderBy("delivered_on", "source").collect())


def landed_delivery(spark: SparkSession, deliveries_table: str, delivery_id: str) -> Row | None:
    """The ``landed`` row of one delivery (None when there is none)."""
    from pyspark.sql import functions as F

    found = (spark.table(deliveries_table)
             .where((F.col("delivery_id") == delivery_id) & (F.col("status") == "landed")).limit(1).collect())
    return found[0] if found else None


def ensure_accounting_table(spark: SparkSession, table: str) -> str:
    ensure_table(spark, table, ACCOUNTING_COLUMNS,
                 "per delivery and table: rows in = accepted + quarantined + duplicate")
    return table


def accounted_keys(spark: SparkSession, accounting_table: str, feed: str) -> set[tuple[str, str]]:
    """(delivery id, table name) pairs of ``feed`` that silver has accounted for."""
    from pyspark.sql import functions as F

    return {(r.delivery_id, r.table_name) for r in spark.table(accounting_table)
            .where(F.col("feed") == feed).select("delivery_id", "table_name").collect()}


def accounting_count(spark: SparkSession, accounting_table: str, delivery_id: str) -> int:
    """How many accounting rows one delivery has (numbers its replays)."""
    from pyspark.sql import functions as F

    return spark.table(accounting_table).where(F.col("delivery_id") == delivery_id).count()


def read_accounting(spark: SparkSession, accounting_table: str) -> DataFrame:
    return spark.table(accounting_table)


def silver_targets(spark: SparkSession, silver_table: str, columns: Sequence[str]) -> DataFrame:
    """``columns`` of what ``silver_table`` holds (the keys a batch is compared with)."""
    return spark.table(silver_table).select(*columns)


def holds_deliveries(spark: SparkSession, table: str, delivery_ids: Sequence[str]) -> bool:
    """Whether ``table`` has any row of ``delivery_ids``."""
    from pyspark.sql import functions as F

    return bool(spark.table(table).where(F.col("_delivery_id").isin(list(delivery_ids))).limit(1).count())


def current_versions(spark: SparkSession, table: str) -> DataFrame:
    """The open versions (``is_current``) of an SCD2 table."""
    return spark.table(table).where("is_current")


def table_columns(spark: SparkSession, table: str) -> list[str]:
    return spark.table(table).columns


# ---- silver: writes ------------------------------------------------------------------------------------
def ensure_quarantine_table(spark: SparkSession, table: str, feed: str) -> None:
    ensure_table(spark, table, QUARANTINE_COLUMNS, f"rows of {feed} that failed a rule, with the reason")


def ensure_vault_table(spark: SparkSession, table: str) -> None:
    ensure_table(spark, table, VAULT_COLUMNS,
                 "clear identifiers behind person tokens (restricted: lawful re-identification only)")


def merge_quarantine(spark: SparkSession, table: str, rows: DataFrame) -> None:
    """Quarantine rows (``transforms.silver.quarantine_rows``), once per (delivery, source, table, line):
    a rerun or a replay of the same delivery does not add them twice."""
    _merge(spark, rows, table, "MERGE INTO {target} t USING {src} s ON t.delivery_id = s.delivery_id AND "
                               "t.source_file = s.source_file AND t.table_name = s.table_name AND t.line = s.line "
                               "WHEN NOT MATCHED THEN INSERT *")


def create_silver(spark: SparkSession, silver_table: str, rows: DataFrame, comment: str,
                  properties: dict[str, str]) -> None:
    """Create ``silver_table`` with the columns of ``rows`` (no rows), once."""
    if spark.catalog.tableExists(silver_table):
        return
    set_aside_interrupted_create(spark, silver_table)
    rows.limit(0).write.format("delta").option("comment", comment).saveAsTable(silver_table)
    props = ", ".join(f"'{k}' = '{v}'" for k, v in properties.items())
    spark.sql(f"ALTER TABLE {silver_table} SET TBLPROPERTIES ({props})")


def upsert_silver(spark: SparkSession, silver_table: str, rows: DataFrame, keys: Sequence[str],
                  columns: Sequence[str]) -> None:
    """MERGE ``rows`` on ``keys``: a held key is updated, a new one inserted (``columns``: the silver order)."""
    cols = [f"`{x}`" for x in columns]
    on = " AND ".join(f"t.`{k}` = s.`{k}`" for k in keys)
    _merge(spark, rows, silver_table,
           f"MERGE INTO {{target}} t USING {{src}} s ON {on} WHEN MATCHED THEN UPDATE SET * "
           f"WHEN NOT MATCHED THEN INSERT ({', '.join(cols)}) VALUES ({', '.join('s.' + x for x in cols)})")


def merge_vault(spark: SparkSession, vault_table: str, rows: DataFrame) -> None:
    """Vault rows (token → clear identifiers), each token once (``first_seen`` = now)."""
    from pyspark.sql import functions as F

    _merge(spark, rows.withColumn("first_seen", F.current_timestamp()), vault_table,
           "MERGE INTO {target} t USING {src} s ON t.token = s.token WHEN NOT MATCHED THEN INSERT *")


def merge_history(spark: SparkSession, history_table: str, ddl_columns: str, comment: str, rows: DataFrame,
                  on: Sequence[str]) -> None:
    """Status history rows (``transforms.silver.history_rows``), once per ``on`` (null-safe)."""
    ensure_table(spark, history_table, ddl_columns, comment)
    cond = " AND ".join(f"t.`{k}` <=> s.`{k}`" for k in on)
    _merge(spark, rows, history_table,
           f"MERGE INTO {{target}} t USING {{src}} s ON {cond} WHEN NOT MATCHED THEN INSERT *")


def merge_snapshot_changes(spark: SparkSession, changes_table: str, key: str, changes: DataFrame) -> None:
    """Change records of full snapshots (``snapshot_diff``'s ``changes``), once per (key, date, type)."""
    ensure_table(spark, changes_table, f"`{key}` STRING, change_type STRING, snapshot_date DATE, "
                 "changed_columns ARRAY<STRING>, _delivery_id STRING",
                 "register changes between consecutive full snapshots: new / changed / gone")
    _merge(spark, changes, changes_table, f"MERGE INTO {{target}} t USING {{src}} s ON t.`{key}` = s.`{key}` AND "
                                          "t.snapshot_date = s.snapshot_date AND t.change_type = s.change_type "
                                          "WHEN NOT MATCHED THEN INSERT *")


def merge_scd2(spark: SparkSession, silver_table: str, key: str, source: DataFrame, columns: Sequence[str]) -> None:
    """One atomic MERGE of ``transforms.snapshot.scd2_merge_source``: rows with a ``_merge_key`` close
    the open version of that key, rows without one are inserted."""
    _merge(spark, source, silver_table,
           f"MERGE INTO {{target}} t USING {{src}} s ON t.`{key}` = s._merge_key AND t.is_current "
           "WHEN MATCHED THEN UPDATE SET valid_to = s.valid_to, is_current = false "
           f"WHEN NOT MATCHED THEN INSERT ({', '.join(f'`{x}`' for x in columns)}) "
           f"VALUES ({', '.join(f's.`{x}`' for x in columns)})")


def append_quality(spark: SparkSession, table: str, rows: list[tuple], batch_id: str) -> None:
    """GX outcome rows (``transforms.accounting.quality_rows``) → ``ops.quality_results``, once per batch."""
    ensure_table(spark, table, QUALITY_COLUMNS, "Great Expectations outcomes per delivery and silver table")
    if rows:
        df = spark.createDataFrame(rows, spark_ddl(QUALITY_COLUMNS).replace(" DOUBLE", " double")
                                   .replace(" BOOLEAN", " boolean").replace(" TIMESTAMP", " timestamp"))
        append_once(df, table, app_id=f"quality:{hashlib.sha256(batch_id.encode()).hexdigest()[:32]}", version=1)


def append_accounting(spark: SparkSession, table: str, rows: list[tuple], app_id: str) -> None:
    """Accounting rows (``transforms.accounting.accounting_rows``) → ``ops.silver_accounting``, once per ``app_id``."""
    append_once(spark.createDataFrame(rows, spark_ddl(ACCOUNTING_COLUMNS)), ensure_accounting_table(spark, table),
                app_id=app_id, version=1)


def merge_delivery_outcomes(spark: SparkSession, deliveries_table: str, feed: str, outcomes: DataFrame) -> None:
    """Silver's outcome per delivery (``transforms.accounting.delivery_outcomes``) onto its ``landed`` row."""
    _merge(spark, outcomes, deliveries_table, f"""MERGE INTO {{target}} t USING {{src}} s
                  ON t.delivery_id = s.delivery_id AND t.feed = '{feed}' AND t.status = 'landed'
                  WHEN MATCHED THEN UPDATE SET rows_accepted = s.rows_accepted,
                    rows_quarantined = s.rows_quarantined, rows_duplicate = s.rows_duplicate,
                    silver_status = s.silver_status, silver_reason = nullif(s.silver_reason, ''),
                    silver_at = s.silver_at""")
