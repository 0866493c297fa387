"""Helpers for integration tests that need a private corner of the warehouse."""
import os
import uuid
from contextlib import contextmanager


@contextmanager
def prefixed_layers(spark, layers=None):
    """Settings of a private warehouse prefix (GOVLAKE_WAREHOUSE__PREFIX) with the schemas of `layers`
    (default: every warehouse schema) created; dropped and the environment restored afterwards."""
    from govlake.settings import load_settings

    prefix = f"it{uuid.uuid4().hex[:6]}_"
    old = os.environ.get("GOVLAKE_WAREHOUSE__PREFIX")
    os.environ["GOVLAKE_WAREHOUSE__PREFIX"] = prefix
    s = load_settings()
    layers = list(layers or s.warehouse.schemas)
    try:
        for layer in layers:
            spark.sql(f"CREATE SCHEMA IF NOT EXISTS {s.schema(layer)} LOCATION '{s.schema_location(s.schema(layer))}'")
        yield s
    finally:
        for layer in layers:
            spark.sql(f"DROP SCHEMA IF EXISTS {s.schema(layer)} CASCADE")
        if old is None:
            os.environ.pop("GOVLAKE_WAREHOUSE__PREFIX", None)
        else:
            os.environ["GOVLAKE_WAREHOUSE__PREFIX"] = old


# columns that say when a row was written, not what it holds: left out of "same state" comparisons
WRITE_TIME_COLUMNS = ("_ingested_at", "quarantined_at")


def layer_state(spark, s, layers=("silver", "quarantine"), deliveries: bool = True) -> dict:
    """{layer.table: (rows, content checksum)} of every table (not view) of ``layers`` in the settings'
    schemas, write-time columns left out, plus ops.deliveries' per-delivery outcome: what two runs of
    the same deliveries must agree on, however they were scheduled or interrupted."""
    from pyspark.sql import functions as F

    from govlake.checksum import spark_checksum

    out = {}
    for layer in layers:
        for t in spark.catalog.listTables(s.schema(layer)):
            if t.isTemporary or t.tableType == "VIEW":
                continue
            df = spark.table(f"{s.schema(layer)}.{t.name}")
            df = df.drop(*[c for c in df.columns if c in WRITE_TIME_COLUMNS])
            df = df.select(*[F.to_json(F.col(c)).alias(c) if typ.startswith(("map", "array", "struct"))
                             else F.round(F.col(c), 9).cast("string").alias(c) if typ in ("double", "float")
                             else F.col(c) for c, typ in df.dtypes])
            out[f"{layer}.{t.name}"] = spark_checksum(df)
    if not deliveries:  # runs that batch pulls differently: compared per feed by the caller
        return out
    ops = spark.table(f"{s.schema('ops')}.deliveries")
    out["deliveries"] = sorted(
        (r.delivery_id, r.status, r.rows_read, r.rows_accepted, r.rows_quarantined, r.rows_duplicate, r.silver_status)
        for r in ops.collect())
    return out


def differences(a: dict, b: dict) -> list[str]:
    """The keys on which two states disagree (for a readable assertion message)."""
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
