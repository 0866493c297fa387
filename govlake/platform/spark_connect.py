"""The Spark Connect server: one long-lived Spark driver that Airflow tasks (and any client with
``spark.remote``) reach over gRPC instead of starting a Spark JVM each.

Measured on this machine (docs/airflow.md): a client connects in ~2 s, where an in-process Spark
session costs ~10-15 s of JVM start and catalog initialisation per task.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from govlake.java import spark_jdk
from govlake.platform.service import Service


class SparkConnect(Service):
    """``spark-submit --class …SparkConnectServer`` from pyspark's own jars (``spark-connect_2.13``
    ships inside pyspark 4.1), with the configuration every Spark job uses: Delta, the shared
    metastore, the warehouse. Bound to the configured host (loopback here)."""

    name = "spark-connect"
    section = "spark_connect"
    start_timeout = 180.0
    stop_signal = signal.SIGTERM

    def pid(self) -> int | None:
        from govlake.platform.process import read_pid

        return read_pid(self.pidfile, must_contain="SparkConnectServer")

    def command(self) -> tuple[list[str], dict[str, str], Path | None]:
        from govlake.spark import spark_conf

        sc = self.s.spark_connect
        jdk = spark_jdk(self.s.java)
        conf = spark_conf(self.s, "govlake-spark-connect", {"spark.driver.memory": sc.driver_memory},
                          log_to_file=False)
        # the Delta jars must be on the driver's class path from the start (the catalog plugin is
        # instantiated before the first session; spark.jars come too late)
        conf["spark.driver.extraClassPath"] = conf["spark.jars"].replace(",", ":")
        conf["spark.connect.grpc.binding.address"] = sc.host
        conf["spark.connect.grpc.binding.port"] = str(sc.port)
        # sessions a client left behind (a killed task) are released after 15 idle minutes
        conf.setdefault("spark.connect.session.manager.defaultSessionTimeout", "15min")
        submit = Path(sys.executable).parent / "spark-submit"
        cmd = [str(submit), "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
               "--name", "govlake-spark-connect"]
        for k, v in conf.items():
            cmd += ["--conf", f"{k}={v}"]
        cmd += ["spark-internal"]
        work = self.s.state_dir / "spark-connect"
        work.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, JAVA_HOME=str(jdk.home), SPARK_LOCAL_IP=sc.host, PYSPARK_PYTHON=sys.executable)
        env.pop("SPARK_REMOTE", None)
        env.pop("GOVLAKE_SPARK__REMOTE", None)
        return cmd, env, work
