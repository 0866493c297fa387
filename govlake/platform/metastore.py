"""The Hive Metastore (2.3.10, from pyspark's own jars) on PostgreSQL: the catalog Spark and Trino share."""

from __future__ import annotations

import os
from pathlib import Path
from xml.sax.saxutils import escape

from govlake.artifacts import artifact_path, pyspark_jars_dir
from govlake.java import spark_jdk
from govlake.platform.postgres import Postgres
from govlake.platform.service import Service


def _hadoop_xml(props: dict[str, str]) -> str:
    body = "\n".join(
        f"  <property><name>{escape(k)}</name><value>{escape(v)}</value></property>"
        for k, v in props.items()
    )
    return f'<?xml version="1.0"?>\n<configuration>\n{body}\n</configuration>\n'


class Metastore(Service):
    name = "metastore"
    section = "metastore"
    start_timeout = 120.0

    @property
    def conf_dir(self) -> Path:
        return self.s.state_dir / "metastore" / "conf"

    def prepare(self) -> None:
        pg = self.s.postgres
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        props = {
            "javax.jdo.option.ConnectionURL": f"jdbc:postgresql://{pg.host}:{pg.port}/{pg.metastore_db}",
            "javax.jdo.option.ConnectionDriverName": "org.postgresql.Driver",
            "javax.jdo.option.ConnectionUserName": pg.superuser,
            "javax.jdo.option.ConnectionPassword": Postgres(self.s).password,
            # Tables and columns are created on first use. Foreign keys created lazily while the same
            # request holds row locks self-deadlock on PostgreSQL (DataNucleus runs that DDL on a
            # second connection), so constraints are not auto-created (autoCreateAll would imply them).
            "datanucleus.schema.autoCreateTables": "true",
            "datanucleus.schema.autoCreateColumns": "true",
            "datanucleus.schema.autoCreateConstraints": "false",
            "datanucleus.autoStartMechanismMode": "ignored",
            "hive.metastore.schema.verification": "false",
            # pyspark ships commons-dbcp, not BoneCP (Hive 2.3's default): without this, DROP DATABASE
            # fails in the ACID listener with NoClassDefFoundError com/jolbox/bonecp/BoneCPConfig
            "datanucleus.connectionPoolingType": "DBCP",
            "hive.async.log.enabled": "false",
            "hive.metastore.warehouse.dir": self.s.warehouse_uri,
            "hive.metastore.event.db.notification.api.auth": "false",
            "hive.metastore.disallow.incompatible.col.type.changes": "false",
        }
        path = self.conf_dir / "hive-site.xml"
        path.write_text(_hadoop_xml(props))
        os.chmod(path, 0o600)
        # WARN and above only: at INFO the metastore logs two lines per call (the call and its audit
        # record), ~130 calls a second during a batch, at a quarter of a core. HiveMetaStore
        # re-initialises logging from hive-log4j2.properties on its classpath: the same file, both names.
        log_conf = (
            "status = error\n"
            "appender.console.type = Console\n"
            "appender.console.name = console\n"
            "appender.console.layout.type = PatternLayout\n"
            "appender.console.layout.pattern = %d{ISO8601} %-5p [%t] %c{2}: %m%n\n"
            "rootLogger.level = warn\n"
            "rootLogger.appenderRef.console.ref = console\n"
        )
        for name in ("log4j2.properties", "hive-log4j2.properties"):
            (self.conf_dir / name).write_text(log_conf)

    def command(self) -> tuple[list[str], dict[str, str], Path | None]:
        jdk = spark_jdk(self.s.java)
        cp = os.pathsep.join(
            [str(self.conf_dir), str(pyspark_jars_dir() / "*"), str(artifact_path(self.s, "postgresql-jdbc"))]
        )
        cmd = [
            str(jdk.java),
            f"-Xmx{self.s.metastore.heap}",
            "-XX:+UseSerialGC",
            f"-Dlog4j2.configurationFile={self.conf_dir / 'log4j2.properties'}",
            # HiveMetaStore re-initialises logging from hive-log4j2.properties: keep that log in state too
            f"-Dhive.log.dir={self.s.log_dir}",
            "-Dhive.log.file=metastore-hive.log",
            "-Djava.net.preferIPv4Stack=true",
            "-cp", cp,
            "org.apache.hadoop.hive.metastore.HiveMetaStore",
            "-p", str(self.port),
        ]
        env = dict(os.environ, JAVA_HOME=str(jdk.home), HADOOP_USER_NAME=os.environ.get("USER", "govlake"))
        return cmd, env, self.conf_dir
