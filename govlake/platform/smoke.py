"""`make smoke`: Spark writes a Delta table through the shared metastore, Trino reads it back.

Spark creates ``ops.smoke_roundtrip``, appends, MERGE-updates (and inserts), deletes; then both
engines compute the row count and the content checksum of ``govlake.checksum``. The table's Delta
protocol is checked against the features Trino 476 reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from govlake import trino_client
from govlake.checksum import spark_checksum, trino_checksum_sql
from govlake.platform.delta_features import unsupported_features
from govlake.settings import Settings

TABLE = "ops.smoke_roundtrip"


@dataclass
class SmokeResult:
    spark_rows: int
    trino_rows: int
    spark_checksum: Decimal
    trino_checksum: Decimal
    features: list[str]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def line(self) -> str:
        verdict = "match" if self.ok else "mismatch"
        return f"smoke: spark rows={self.spark_rows} trino rows={self.trino_rows} {verdict}"


def write_smoke_table(spark, table: str = TABLE) -> None:
    """Create, append, MERGE (update + insert) and delete — the operations the pipeline uses."""
    # CREATE OR REPLACE, never DROP + CREATE: a recreated table restarts its Delta log at version 0
    # in the same location, and Trino's snapshot cache (delta.metadata.cache-ttl) can then serve the
    # old table's files. Replacing adds a commit to the existing log instead.
    if not spark.catalog.tableExists(table):
        _delete_leftover_location(spark, table)
    spark.sql(
        f"""CREATE OR REPLACE TABLE {table} (
              id BIGINT, name STRING, district_code STRING, amount DECIMAL(12,2),
              event_date DATE, updated_at TIMESTAMP, is_active BOOLEAN)
            USING delta"""
    )
    base = """SELECT id, concat('居民', id) AS name,
                     element_at(array('420102','420106','420111','420115'), CAST(id % 4 AS INT) + 1)
                       AS district_code,
                     CAST(id * 1.25 AS DECIMAL(12,2)) AS amount,
                     date_add(DATE'2026-01-01', CAST(id % 365 AS INT)) AS event_date,
                     timestamp_millis(1767225600000 + id * 1001) AS updated_at,
                     id % 2 = 0 AS is_active"""
    spark.sql(f"INSERT INTO {table} {base} FROM range(0, 1000)")
    spark.sql(
        f"""MERGE INTO {table} t
            USING (SELECT id, concat('更新', id) AS name, CAST(id * 2.5 AS DECIMAL(12,2)) AS amount,
                          timestamp_millis(1767312000000 + id) AS updated_at
                   FROM range(900, 1100)) s
            ON t.id = s.id
            WHEN MATCHED THEN UPDATE SET name = s.name, amount = s.amount, updated_at = s.updated_at
            WHEN NOT MATCHED THEN INSERT (id, name, district_code, amount, event_date, updated_at, is_active)
              VALUES (s.id, s.name, NULL, s.amount, NULL, s.updated_at, NULL)"""
    )
    spark.sql(f"DELETE FROM {table} WHERE id % 10 = 3")


def _delete_leftover_location(spark, table: str) -> None:
    """A crashed earlier run can leave files where the managed table will live: remove them."""
    schema, name = table.split(".")
    db_uri = spark.catalog.getDatabase(schema).locationUri
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(f"{db_uri.rstrip('/')}/{name}")
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    if fs.exists(path):
        fs.delete(path, True)


def table_protocol(spark, table: str) -> tuple[int, int, list[str]]:
    d = spark.sql(f"DESCRIBE DETAIL {table}").collect()[0].asDict()
    return int(d["minReaderVersion"]), int(d["minWriterVersion"]), list(d.get("tableFeatures") or [])


def compare(settings: Settings, spark, table: str) -> SmokeResult:
    """Count + checksum in Spark and in Trino, and the protocol check, for any Spark-written table."""
    df = spark.table(table)
    n_spark, sum_spark = spark_checksum(df)
    cols = [(f.name, f.dataType.typeName()) for f in df.schema.fields]
    trino_table = f"{settings.trino.catalog}.{table}"
    n_trino, sum_trino = trino_client.query(settings, trino_checksum_sql(trino_table, cols))[0]
    reader, writer, features = table_protocol(spark, table)
    result = SmokeResult(n_spark, int(n_trino), sum_spark, Decimal(sum_trino), features)
    if n_spark != n_trino:
        result.problems.append(f"row count differs: spark {n_spark}, trino {n_trino}")
    if sum_spark != Decimal(sum_trino):
        result.problems.append(f"content checksum differs: spark {sum_spark}, trino {sum_trino}")
    bad = unsupported_features(reader, writer, features)
    if bad:
        result.problems.append(f"Delta features Trino 476 cannot read: {', '.join(bad)}")
    return result


def run_smoke(settings: Settings) -> SmokeResult:
    from govlake.spark import spark_session

    with spark_session(settings, "govlake-smoke") as spark:
        write_smoke_table(spark)
        return compare(settings, spark, TABLE)
