"""The Spark Thrift Server, optional (dbt's ``thrift`` method; ``dbt.start_thrift`` in settings)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from govlake.java import spark_jdk
from govlake.platform.service import Service


class SparkThrift(Service):
    """A long-running Spark SQL endpoint (HiveServer2 protocol) with the same configuration as every
    Spark job: Delta, the shared metastore, the warehouse. Started from pyspark's own jars
    (``spark-submit --class …HiveThriftServer2 spark-internal``); pyspark ships no sbin scripts."""

    name = "spark-thrift"
    section = "dbt"
    host_field = "thrift_host"
    port_field = "thrift_port"
    start_timeout = 180.0
    stop_signal = signal.SIGTERM

    def command(self) -> tuple[list[str], dict[str, str], Path | None]:
        import sys

        from govlake.spark import spark_conf

        jdk = spark_jdk(self.s.java)
        # the server logs to its console, which is its log file (spark-thrift.log)
        conf = spark_conf(self.s, "govlake-spark-thrift", {"spark.driver.memory": self.s.dbt.thrift_driver_memory},
                          log_to_file=False)
        submit = Path(sys.executable).parent / "spark-submit"
        cmd = [str(submit), "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
               "--name", "govlake-spark-thrift"]
        # the Delta jars must be on the driver's class path from the start (spark.jars come too late
        # for the catalog plugin the server instantiates before the first session)
        conf["spark.driver.extraClassPath"] = conf["spark.jars"].replace(",", ":")
        # The server's sessions use java.time values; Delta's min/max-from-statistics shortcut then
        # fails with "LocalDate cannot be cast to java.sql.Date" (dim_date's min/max): turn it off.
        conf["spark.databricks.delta.optimizeMetadataQuery.enabled"] = "false"
        for k, v in conf.items():
            cmd += ["--conf", f"{k}={v}"]
        cmd += ["spark-internal", "--hiveconf", f"hive.server2.thrift.port={self.port}",
                "--hiveconf", f"hive.server2.thrift.bind.host={self.host}",
                "--hiveconf", "hive.server2.authentication=NOSASL"]
        work = self.s.state_dir / "spark-thrift"
        work.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, JAVA_HOME=str(jdk.home), SPARK_LOCAL_IP=self.host,
                   PYSPARK_PYTHON=sys.executable)
        return cmd, env, work
