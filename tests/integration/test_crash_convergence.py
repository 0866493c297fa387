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

from govlake import pipeline
from govlake.settings import load_settings
from govlake_sim.generator import GenerateOptions, generate
from tests.integration.warehouse import layer_state

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
        expected, got = layer_state(spark, clean), layer_state(spark, crashed)
        assert set(got) == set(expected)
        assert got == expected
        assert len(expected["deliveries"]) >= len(FEEDS) * DAYS
    finally:
        for s in (clean, crashed):
            for layer in s.warehouse.schemas:
                spark.sql(f"DROP SCHEMA IF EXISTS {s.schema(layer)} CASCADE")
