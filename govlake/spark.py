"""The one Spark session factory: Delta + the shared Hive Metastore, everything from settings.

Master (``local[*]`` here, ``spark://…`` or ``k8s://…`` on a cluster), warehouse URI (``file://``
here, ``s3a://`` later) and memory come from settings only; no code change is needed to scale out.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from govlake.artifacts import artifact_path
from govlake.platform.java import spark_jdk
from govlake.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def spark_conf(settings: Settings, app_name: str, overrides: dict[str, str] | None = None) -> dict[str, str]:
    sp = settings.spark
    jars = [str(artifact_path(settings, "delta-spark")), str(artifact_path(settings, "delta-storage"))]
    conf = {
        "spark.app.name": app_name,
        "spark.master": sp.master,
        "spark.driver.memory": sp.driver_memory,
        "spark.jars": ",".join(jars),
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.sql.catalogImplementation": "hive",
        "spark.hadoop.hive.metastore.uris": settings.metastore.uri,
        "spark.sql.warehouse.dir": settings.warehouse_uri,
        "spark.sql.shuffle.partitions": str(sp.shuffle_partitions),
        "spark.ui.enabled": str(sp.ui_enabled).lower(),
        "spark.sql.session.timeZone": "UTC",
        "spark.driver.extraJavaOptions": "-Duser.timezone=UTC -Dfile.encoding=UTF-8",
        "spark.executor.extraJavaOptions": "-Duser.timezone=UTC -Dfile.encoding=UTF-8",
        # Keep new Delta tables inside the feature set Trino 476 reads (see platform/delta_features.py).
        "spark.databricks.delta.properties.defaults.enableDeletionVectors": "false",
        "spark.databricks.delta.properties.defaults.enableRowTracking": "false",
        "spark.databricks.delta.properties.defaults.enableInCommitTimestamps": "false",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.hadoop.hive.metastore.client.socket.timeout": "300",
        "spark.ui.showConsoleProgress": "false",
    }
    if sp.driver_host:
        conf["spark.driver.host"] = sp.driver_host
        conf["spark.driver.bindAddress"] = sp.driver_host
    conf.update(sp.extra_conf)
    conf.update(overrides or {})
    return conf


def build_spark(settings: Settings, app_name: str, overrides: dict[str, str] | None = None) -> SparkSession:
    """Create (or return the running) Spark session for ``app_name``."""
    # The JVM that pyspark launches must be Java 17 (Spark's Hive path fails on newer ones).
    jdk = spark_jdk(settings.java)
    os.environ["JAVA_HOME"] = str(jdk.home)
    os.environ.setdefault("PYSPARK_PYTHON", os.environ.get("PYSPARK_PYTHON") or _python())
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    for k, v in spark_conf(settings, app_name, overrides).items():
        builder = builder.config(k, v)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


def _python() -> str:
    import sys

    return sys.executable
