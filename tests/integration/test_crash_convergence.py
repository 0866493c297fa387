"""Kill `govlake run` mid-write (SIGKILL of the whole process group: Python and the Spark JVM),
twice, rerun to the end, and compare with an uninterrupted run of the same deliveries: silver, the
quarantine and the per-delivery accounting must be the same."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from pyspark.sql import functions as F

from govlake import pipeline
from govlake.checksum import spark_checksum
from govlake.settings import load_settings
from govlake_sim.generator import GenerateOptions, generate

FEEDS = ["civil_affairs_residents", "hotline_12345"]
START, DAYS = "2026-01-01", 3


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    out = tmp_path_factory.mktemp("crashcity")
    generate(GenerateOptions(sf=0.003, days=DAYS, defects="default", seed=11, out=out))
    return out


def _env(prefix):
    return dict(os.environ, GOVLAKE_WAREHOUSE__PREFIX=prefix, PYTHONUNBUFFERED="1")


def _cmd(city):
    cmd = [sys.executable, "-m", "govlake.cli", "run", "--landing", str(city / "landing"), "--start", START,
           "--days", str(DAYS)]
    for f in FEEDS:
        cmd += ["--feed", f]
    return cmd


def _run_and_kill(city, prefix, after_line: str, delay: float) -> bool:
    """Start a run; SIGKILL its process group ``delay`` s after a line containing ``after_line``.
    Returns True when it was killed (False: it finished first)."""
    p = subprocess.Popen(_cmd(city), env=_env(prefix), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True)
    seen = None
    for line in p.stdout:
        if after_line in line:
            seen = time.monotonic()
            break
    if seen is not None:
        time.sleep(delay)
    killed = p.poll() is None
    if killed:
        os.killpg(p.pid, signal.SIGKILL)
    p.wait(timeout=60)
    return killed


def _state(spark, s):
    out = {}
    for layer in ("silver", "quarantine"):
        for t in spark.catalog.listTables(s.schema(layer)):
            df = spark.table(f"{s.schema(layer)}.{t.name}")
            df = df.drop(*[c for c in df.columns if c in ("_ingested_at", "quarantined_at")])
            df = df.select(*[F.to_json(F.col(c)).alias(c) if typ.startswith(("map", "array", "struct"))
                             else F.col(c).cast("string").alias(c) if typ in ("double", "float") else F.col(c)
                             for c, typ in df.dtypes])
            out[f"{layer}.{t.name}"] = spark_checksum(df)
    ops = spark.table(f"{s.schema('ops')}.deliveries")
    out["deliveries"] = sorted(
        (r.delivery_id, r.status, r.rows_read, r.rows_accepted, r.rows_quarantined, r.rows_duplicate, r.silver_status)
        for r in ops.collect())
    return out


def _settings(prefix):
    old = os.environ.get("GOVLAKE_WAREHOUSE__PREFIX")
    os.environ["GOVLAKE_WAREHOUSE__PREFIX"] = prefix
    try:
        return load_settings()
    finally:
        if old is None:
            os.environ.pop("GOVLAKE_WAREHOUSE__PREFIX")
        else:
            os.environ["GOVLAKE_WAREHOUSE__PREFIX"] = old


def test_a_killed_run_converges_to_the_uninterrupted_state(spark, city):
    base = f"cr{uuid.uuid4().hex[:5]}"
    clean, crashed = _settings(f"{base}a_"), _settings(f"{base}b_")
    try:
        for s in (clean, crashed):
            for layer in s.warehouse.schemas:
                spark.sql(f"CREATE SCHEMA IF NOT EXISTS {s.schema(layer)} "
                          f"LOCATION '{s.schema_location(s.schema(layer))}'")
        # the uninterrupted reference runs in this process (the suite's warm Spark session); the runs
        # that are killed and the one that finishes after them are `govlake run` processes
        pipeline.run(clean, city / "landing", dt.date.fromisoformat(START), DAYS, FEEDS, spark=spark,
                     echo=lambda _: None)
        # killed while landing bronze, then while writing silver, then run to the end
        kills = [_run_and_kill(city, crashed.warehouse.prefix, "bronze civil_affairs_residents", 1.0),
                 _run_and_kill(city, crashed.warehouse.prefix, "bronze hotline_12345", 8.0)]
        assert any(kills), "both runs finished before they could be killed"
        final = subprocess.run(_cmd(city), env=_env(crashed.warehouse.prefix), capture_output=True, text=True)
        assert final.returncode == 0, final.stdout[-3000:] + final.stderr[-3000:]
        spark.catalog.clearCache()
        expected, got = _state(spark, clean), _state(spark, crashed)
        assert set(got) == set(expected)
        assert got == expected
        assert len(expected["deliveries"]) >= len(FEEDS) * DAYS
    finally:
        for s in (clean, crashed):
            for layer in s.warehouse.schemas:
                spark.sql(f"DROP SCHEMA IF EXISTS {s.schema(layer)} CASCADE")
