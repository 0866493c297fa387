import os
import uuid

import pytest

from govlake import platform


def pytest_collection_modifyitems(items):
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session", autouse=True)
def platform_is_up():
    """Integration tests use the real services; `make test` starts them."""
    from govlake.settings import load_settings

    rows = platform.status(load_settings())
    down = [f"{r.name} ({r.detail})" for r in rows if not r.healthy]
    if down:
        pytest.fail(f"platform not healthy: {', '.join(down)} — run `make up` (make test does it for you)")


@pytest.fixture
def table_name(spark):
    """A unique table in ops, dropped afterwards."""
    name = f"ops.it_{uuid.uuid4().hex[:10]}"
    yield name
    spark.sql(f"DROP TABLE IF EXISTS {name}")


# The gold world: one generated city (SF0.01 × GOLD_DAYS days, seed 11), ingested into a private
# sandbox and built through gold with dbt, shared by every gold test module of the session.
# For iterating on gold tests only: GOLD_TEST_REUSE=/some/dir keeps the world there (city + schema
# prefix) and reuses it on the next run instead of generating and ingesting again; the build and the
# checks still run. GOLD_TEST_DAYS shortens the month for such iterations. CI sets neither.
GOLD_START = __import__("datetime").date(2026, 1, 1)
GOLD_DAYS = int(os.environ.get("GOLD_TEST_DAYS", "30"))


@pytest.fixture(scope="session")
def gold_world(spark, tmp_path_factory):
    """(settings of the sandbox, the generated folder, the ingestion summaries or None when reused,
    seconds of the dbt build). Prefixed schemas, a private urban database and police API."""
    import time
    from pathlib import Path

    from govlake import pipeline
    from govlake_sim.generator import GenerateOptions, generate
    from govlake_sim.sandbox import sandbox

    reuse = Path(os.environ["GOLD_TEST_REUSE"]) if os.environ.get("GOLD_TEST_REUSE") else None
    marker = reuse / "prefix.txt" if reuse else None
    if reuse and marker.is_file():
        out, prefix = reuse / "city", marker.read_text().strip()
    else:
        out = (reuse / "city") if reuse else tmp_path_factory.mktemp("gold_city")
        prefix = f"gold{uuid.uuid4().hex[:6]}_"
        generate(GenerateOptions(sf=0.01, days=GOLD_DAYS, start=GOLD_START, defects="default", seed=11, out=out))
    with sandbox(spark, out, prefix, keep=reuse is not None) as s:
        summaries = None
        if not (reuse and marker.is_file()):
            summaries = pipeline.run(s, out / "landing", GOLD_START, GOLD_DAYS, spark=spark, echo=print)
            if reuse:
                marker.write_text(prefix)
        t = time.perf_counter()
        _GOLD_BUILD["result"] = pipeline.build_gold(s, echo=print, unit_tests=True)  # dbt's unit tests: here, once
        yield s, out, summaries, time.perf_counter() - t


_GOLD_BUILD: dict = {}


@pytest.fixture(scope="session")
def gold_build(gold_world):
    """The DbtResult of the gold world's first `dbt build` (every node with status and seconds)."""
    return _GOLD_BUILD["result"]
