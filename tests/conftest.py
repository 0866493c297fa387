import os

import pytest

# Tests must not pick up a developer's overrides by accident. GOVLAKE_TEST_KEEP_ENV=1 keeps them on
# purpose (e.g. a second platform on other ports while another checkout's platform is up).
if os.environ.get("GOVLAKE_TEST_KEEP_ENV") != "1":
    for key in list(os.environ):
        if key.startswith("GOVLAKE_") and key not in {"GOVLAKE_HOME"}:
            del os.environ[key]


@pytest.fixture
def settings():
    from govlake.settings import load_settings

    return load_settings()


@pytest.fixture(scope="session")
def spark():
    """One local Spark session for the whole run (Delta + the shared metastore, lazily contacted).

    The session serves the whole suite: the 30-day gold world and its dbt builds, then the ingestion
    acceptance world. At the platform's 4g the replay test at the end ran out of broadcast memory in
    the vault MERGE ("Not enough memory to build and broadcast"), so the test session gets 6g.
    """
    from govlake.settings import load_settings
    from govlake.spark import build_spark

    s = build_spark(
        load_settings(),
        "govlake-tests",
        {"spark.master": "local[2]", "spark.sql.shuffle.partitions": "2", "spark.driver.memory": "6g"},
    )
    yield s
    s.stop()
