"""A plain local Spark session for the pure transforms: no Delta, no metastore, no warehouse.

It overrides the suite's ``spark`` fixture (tests/conftest.py: Delta + the shared metastore) for the
tests in this folder, which need neither. When a session is already running in this process (tests
elsewhere started the Delta one), that session is used and left to its owner; the pure transforms
run on it just as well. The reverse does not hold: Spark's static configuration (the Delta
extension, the catalog) is fixed when the first session starts, so a run that starts this plain
session first and needs the Delta one later must run those tests in a separate pytest process
(pytest's own order does not: tests/unit/transforms comes after every other folder that uses Spark).
"""

import functools
import os
import sys
import types

import pytest


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    running = SparkSession.getActiveSession()
    if running is not None:
        yield running
        return
    from govlake.java import spark_jdk
    from govlake.settings import load_settings

    os.environ["JAVA_HOME"] = str(spark_jdk(load_settings().java).home)  # Spark 4 needs Java 17
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    s = (SparkSession.builder.master("local[2]").appName("govlake-transforms-tests")
         .config("spark.sql.shuffle.partitions", "2")
         .config("spark.ui.enabled", "false")
         .config("spark.ui.showConsoleProgress", "false")
         .config("spark.sql.catalogImplementation", "in-memory")
         .config("spark.sql.session.timeZone", "UTC")  # as in every govlake session (govlake.spark)
         .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC -Dfile.encoding=UTF-8")
         .config("spark.executor.extraJavaOptions", "-Duser.timezone=UTC -Dfile.encoding=UTF-8")
         .getOrCreate())
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


@functools.cache
def _pandas_on_spark_imports() -> bool:
    try:
        import pyspark.pandas  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(autouse=True)
def _assert_dataframe_equal_without_pandas_on_spark(monkeypatch):
    """``pyspark.testing.assertDataFrameEqual`` imports ``pyspark.pandas`` whenever pandas and pyarrow
    are installed, only to recognise pandas-on-Spark frames, and pyspark 4.1's pandas API does not
    import with pandas 3 (ImportError on ``pandas.tseries.frequencies.DateOffset``). For the length of
    a test, stand-ins that recognise no frame let it compare Spark DataFrames; when ``pyspark.pandas``
    imports (a pandas it supports), nothing is replaced."""
    if not _pandas_on_spark_imports():
        ps = types.ModuleType("pyspark.pandas")
        ps.DataFrame = type("DataFrame", (), {})
        utils = types.ModuleType("pyspark.testing.pandasutils")
        utils.PandasOnSparkTestUtils = type("PandasOnSparkTestUtils", (), {})
        monkeypatch.setitem(sys.modules, "pyspark.pandas", ps)
        monkeypatch.setitem(sys.modules, "pyspark.testing.pandasutils", utils)
