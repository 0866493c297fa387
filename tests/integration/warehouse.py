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
