"""The local platform: PostgreSQL, the Hive Metastore and Trino as project-local processes.

Each service writes its pid to ``<state>/run/<name>.pid`` and its log to ``<state>/logs/<name>.log``;
``down`` stops exactly the processes whose pid files ``up`` wrote.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from govlake.artifacts import artifact_path, pyspark_jars_dir
from govlake.platform.java import spark_jdk, trino_jdk
from govlake.platform.process import (
    PlatformError,
    ensure_port_free,
    pid_alive,
    port_open,
    read_pid,
    rss_mb,
    spawn,
    stop_pid,
    wait_until,
)
from govlake.secrets import secret
from govlake.settings import Settings


@dataclass
class ServiceStatus:
    name: str
    host: str
    port: int
    pid: int | None
    healthy: bool
    detail: str
    rss_mb: float | None = None


def trino_install_dir(settings: Settings) -> Path:
    tarball = artifact_path(settings, "trino-server")
    dest = settings.cache_dir / "trino" / tarball.name.removesuffix(".tar.gz")
    found = [p for p in dest.glob("trino-server-*") if p.is_dir()] if dest.is_dir() else []
    if not found or not (dest / ".extracted").is_file():
        raise PlatformError("the Trino server is not unpacked yet: run `make setup` first.")
    return found[0]


def get_json(url: str, timeout: float = 3) -> dict | None:
    """A health endpoint's JSON, or None when it does not answer."""
    import json
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return json.load(r)
    except (OSError, ValueError):
        return None


class Service:
    name: str = ""
    setting: str = ""

    def __init__(self, settings: Settings):
        self.s = settings

    # -- to override --------------------------------------------------------------------------
    @property
    def host(self) -> str:
        raise NotImplementedError

    @property
    def port(self) -> int:
        raise NotImplementedError

    def command(self) -> tuple[list[str], dict[str, str], Path | None]:
        raise NotImplementedError

    def prepare(self) -> None:
        """Write config, initialise data folders (idempotent)."""

    def after_start(self) -> None:
        """Provision what the service should hold (idempotent)."""

    def health(self) -> tuple[bool, str]:
        ok = port_open(self.host, self.port)
        return ok, "accepting connections" if ok else "port closed"

    start_timeout: float = 60.0
    stop_signal: int = signal.SIGTERM

    # -- common -------------------------------------------------------------------------------
    @property
    def pidfile(self) -> Path:
        return self.s.run_dir / f"{self.name}.pid"

    @property
    def logfile(self) -> Path:
        return self.s.log_dir / f"{self.name}.log"

    def pid(self) -> int | None:
        return read_pid(self.pidfile, must_contain=str(self.s.state_dir))

    def start(self) -> str:
        pid = self.pid()
        if pid:
            ok, detail = self.health()
            return f"{self.name} already running (pid {pid}, {'healthy' if ok else detail})"
        self.pidfile.unlink(missing_ok=True)
        ensure_port_free(self.name, self.host, self.port, self.setting)
        self.prepare()
        cmd, env, cwd = self.command()
        pid = spawn(cmd, self.pidfile, self.logfile, env=env, cwd=cwd)
        if not wait_until(lambda: self.health()[0] or not pid_alive(pid), self.start_timeout):
            raise PlatformError(
                f"{self.name} did not become healthy within {self.start_timeout:.0f}s; see {self.logfile}"
            )
        if not pid_alive(pid):
            self.pidfile.unlink(missing_ok=True)
            raise PlatformError(f"{self.name} exited during start; see the end of {self.logfile}")
        self.after_start()
        return f"{self.name} started (pid {pid}) on {self.host}:{self.port}"

    def stop(self) -> str:
        pid = self.pid()
        if not pid:
            self.pidfile.unlink(missing_ok=True)
            return f"{self.name} not running"
        stop_pid(pid, self.stop_signal)
        self.pidfile.unlink(missing_ok=True)
        return f"{self.name} stopped (pid {pid})"

    def restart(self) -> list[str]:
        """Stop (when running) and start again, e.g. to pick up new data or settings."""
        return [*([self.stop()] if self.pid() else []), self.start()]

    def status(self) -> ServiceStatus:
        pid = self.pid()
        if not pid:
            return ServiceStatus(self.name, self.host, self.port, None, False, "not running")
        ok, detail = self.health()
        return ServiceStatus(self.name, self.host, self.port, pid, ok, detail, rss_mb(pid))


# ---------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------
def postgres_bin_dir(settings: Settings) -> Path | None:
    if settings.postgres.bin_dir:
        return settings.postgres.bin_dir
    cands = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4])
    )
    if cands:
        return Path(cands[-1]).parent
    found = shutil.which("postgres")
    return Path(found).resolve().parent if found else None


class Postgres(Service):
    name = "postgres"
    setting = "GOVLAKE_POSTGRES__PORT"
    stop_signal = signal.SIGINT  # PostgreSQL "fast" shutdown
    start_timeout = 60.0

    @property
    def host(self) -> str:
        return self.s.postgres.host

    @property
    def port(self) -> int:
        return self.s.postgres.port

    @property
    def data_dir(self) -> Path:
        return self.s.state_dir / "postgres" / "data"

    @property
    def socket_dir(self) -> Path:
        return self.s.run_dir / "postgres"

    @property
    def bin_dir(self) -> Path:
        b = postgres_bin_dir(self.s)
        if not b or not (b / "postgres").is_file():
            raise PlatformError("PostgreSQL server binaries not found: run `make setup` (installs postgresql).")
        return b

    @property
    def password(self) -> str:
        return secret(self.s, "postgres_password")

    def _as_user(self) -> list[str]:
        """PostgreSQL refuses to run as root: drop to the configured OS user when root."""
        if os.geteuid() != 0:
            return []
        user = self.s.postgres.os_user
        try:
            pwd.getpwnam(user)
        except KeyError as e:
            raise PlatformError(f"OS user {user!r} for PostgreSQL does not exist: run `make setup`.") from e
        return ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--"]

    def _own(self, path: Path) -> None:
        if os.geteuid() == 0:
            pw = pwd.getpwnam(self.s.postgres.os_user)
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def _grant_traverse(self, path: Path) -> None:
        """The postgres OS user must be able to reach the state folder (o+x on each parent)."""
        if os.geteuid() != 0:
            return
        for parent in [path, *path.parents]:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                os.chmod(parent, mode | 0o001)

    def prepare(self) -> None:
        for d in (self.data_dir.parent, self.socket_dir):
            d.mkdir(parents=True, exist_ok=True)
            self._own(d)
        self._grant_traverse(self.data_dir.parent)
        if (self.data_dir / "PG_VERSION").is_file():
            return
        self.data_dir.mkdir(mode=0o700, exist_ok=True)
        self._own(self.data_dir)
        pwfile = self.data_dir.parent / ".pwfile"
        pwfile.write_text(self.password + "\n")
        os.chmod(pwfile, 0o600)
        self._own(pwfile)
        try:
            r = subprocess.run(
                [
                    *self._as_user(),
                    str(self.bin_dir / "initdb"),
                    "-D", str(self.data_dir),
                    "-U", self.s.postgres.superuser,
                    f"--pwfile={pwfile}",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "-E", "UTF8",
                    "--no-locale",
                ],
                capture_output=True,
                text=True,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if r.returncode != 0:
            raise PlatformError(f"initdb failed: {r.stderr.strip().splitlines()[-1] if r.stderr else r.stdout}")
        with (self.data_dir / "pg_hba.conf").open("w") as f:
            f.write(
                "# govlake: socket for the OS user, password over loopback only\n"
                "local all all trust\n"
                "host all all 127.0.0.1/32 scram-sha-256\n"
                "host all all ::1/128 scram-sha-256\n"
            )

    def command(self) -> tuple[list[str], dict[str, str], Path | None]:
        pg = self.s.postgres
        return (
            [
                *self._as_user(),
                str(self.bin_dir / "postgres"),
                "-D", str(self.data_dir),
                "-c", f"port={pg.port}",
                "-c", f"listen_addresses={pg.host}",
                "-c", f"unix_socket_directories={self.socket_dir}",
                "-c", f"shared_buffers={pg.shared_buffers}",
                "-c", f"max_connections={pg.max_connections}",
                "-c", "log_destination=stderr",
                "-c", "logging_collector=off",
            ],
            dict(os.environ),
            self.data_dir.parent,
        )

    def psql(self, sql: str, db: str = "postgres") -> str:
        env = dict(os.environ, PGPASSWORD=self.password, PGCONNECT_TIMEOUT="5")
        r = subprocess.run(
            [
                str(self.bin_dir / "psql"), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
                "-h", self.host, "-p", str(self.port), "-U", self.s.postgres.superuser, "-d", db,
                "-c", sql,
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        if r.returncode != 0:
            raise PlatformError(f"psql failed: {r.stderr.strip()}")
        return r.stdout.strip()

    def ensure_database(self, name: str) -> None:
        if not self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):
            self.psql(f'CREATE DATABASE "{name}"')

    def after_start(self) -> None:
        self.ensure_database(self.s.postgres.metastore_db)

    def health(self) -> tuple[bool, str]:
        if not port_open(self.host, self.port):
            return False, "port closed"
        r = subprocess.run(
            [str(self.bin_dir / "pg_isready"), "-h", self.host, "-p", str(self.port), "-t", "3"],
            capture_output=True,
            text=True,
        )
        return r.returncode == 0, r.stdout.strip().split(" - ")[-1] or "not ready"


# ---------------------------------------------------------------------------------------------
# Hive Metastore (2.3.10, from pyspark's own jars) on PostgreSQL
# ---------------------------------------------------------------------------------------------
def _hadoop_xml(props: dict[str, str]) -> str:
    body = "\n".join(
        f"  <property><name>{escape(k)}</name><value>{escape(v)}</value></property>"
        for k, v in props.items()
    )
    return f'<?xml version="1.0"?>\n<configuration>\n{body}\n</configuration>\n'


class Metastore(Service):
    name = "metastore"
    setting = "GOVLAKE_METASTORE__PORT"
    start_timeout = 120.0

    @property
    def host(self) -> str:
        return self.s.metastore.host

    @property
    def port(self) -> int:
        return self.s.metastore.port

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
        (self.conf_dir / "log4j2.properties").write_text(
            "status = error\n"
            "appender.console.type = Console\n"
            "appender.console.name = console\n"
            "appender.console.layout.type = PatternLayout\n"
            "appender.console.layout.pattern = %d{ISO8601} %-5p [%t] %c{2}: %m%n\n"
            "rootLogger.level = warn\n"
            "rootLogger.appenderRef.console.ref = console\n"
            "logger.hms.name = org.apache.hadoop.hive.metastore.HiveMetaStore\n"
            "logger.hms.level = info\n"
        )

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


# ---------------------------------------------------------------------------------------------
# Trino 476 (single node: coordinator + worker)
# ---------------------------------------------------------------------------------------------
class Trino(Service):
    name = "trino"
    setting = "GOVLAKE_TRINO__PORT"
    start_timeout = 180.0

    @property
    def host(self) -> str:
        return self.s.trino.host

    @property
    def port(self) -> int:
        return self.s.trino.port

    @property
    def etc_dir(self) -> Path:
        return self.s.state_dir / "trino" / "etc"

    @property
    def data_dir(self) -> Path:
        return self.s.state_dir / "trino" / "data"

    def catalog_properties(self) -> dict[str, dict[str, str]]:
        return {
            self.s.trino.catalog: {
                "connector.name": "delta_lake",
                "hive.metastore.uri": self.s.metastore.uri,
                "fs.native-local.enabled": "true",
                "local.location": "/",
                "delta.register-table-procedure.enabled": "true",
            },
            "tpch": {"connector.name": "tpch"},
        }

    def prepare(self) -> None:
        t = self.s.trino
        (self.etc_dir / "catalog").mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        node_id_file = self.s.state_dir / "trino" / "node.id"
        if not node_id_file.is_file():
            node_id_file.write_text(str(uuid.uuid4()))
        install = trino_install_dir(self.s)
        props = {
            "coordinator": "true",
            "node-scheduler.include-coordinator": "true",
            "http-server.http.port": str(t.port),
            "discovery.uri": f"http://{t.host}:{t.port}",
            "node.internal-address": t.host,
            "query.max-memory": t.query_max_memory,
            "query.max-memory-per-node": t.query_max_memory,
            "plugin.dir": str(install / "plugin"),
            "catalog.config-dir": str(self.etc_dir / "catalog"),
            "catalog.management": "static",
        }
        (self.etc_dir / "config.properties").write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        (self.etc_dir / "log.properties").write_text("io.trino=INFO\n")
        for cat in (self.etc_dir / "catalog").glob("*.properties"):
            cat.unlink()
        for name, cprops in self.catalog_properties().items():
            (self.etc_dir / "catalog" / f"{name}.properties").write_text(
                "".join(f"{k}={v}\n" for k, v in cprops.items())
            )

    def jvm_options(self) -> list[str]:
        return [
            "-server",
            f"-Xmx{self.s.trino.heap}",
            "-XX:InitialRAMPercentage=5",
            "-XX:+ExplicitGCInvokesConcurrent",
            "-XX:+ExitOnOutOfMemoryError",
            "-XX:+HeapDumpOnOutOfMemoryError",
            f"-XX:HeapDumpPath={self.data_dir}",
            "-XX:-OmitStackTraceInFastThrow",
            "-XX:ReservedCodeCacheSize=256M",
            "-XX:PerMethodRecompilationCutoff=10000",
            "-XX:PerBytecodeRecompilationCutoff=10000",
            "-Djdk.attach.allowAttachSelf=true",
            "-Djdk.nio.maxCachedBufferSize=2000000",
            "-Dfile.encoding=UTF-8",
            "-XX:+EnableDynamicAgentLoading",
            "--add-modules=jdk.incubator.vector",
            "--enable-native-access=ALL-UNNAMED",
            "-Djava.net.preferIPv4Stack=true",
        ]

    def command(self) -> tuple[list[str], dict[str, str], Path | None]:
        jdk = trino_jdk(self.s.java)
        install = trino_install_dir(self.s)
        node_id = (self.s.state_dir / "trino" / "node.id").read_text().strip()
        cmd = [
            str(jdk.java),
            *self.jvm_options(),
            "-Dnode.environment=govlake",
            f"-Dnode.id={node_id}",
            f"-Dnode.data-dir={self.data_dir}",
            f"-Dnode.bind-ip={self.s.trino.host}",
            f"-Dconfig={self.etc_dir / 'config.properties'}",
            f"-Dlog.levels-file={self.etc_dir / 'log.properties'}",
            "-cp", str(install / "lib" / "*"),
            "io.trino.server.TrinoServer",
        ]
        return cmd, dict(os.environ, JAVA_HOME=str(jdk.home)), self.data_dir

    def health(self) -> tuple[bool, str]:
        info = get_json(f"{self.s.trino.url}/v1/info")
        if info is None:
            return False, "not answering"
        if info.get("starting"):
            return False, "starting"
        return True, f"version {info.get('nodeVersion', {}).get('version', '?')}, up {info.get('uptime', '?')}"


# ---------------------------------------------------------------------------------------------
# Spark Thrift Server (optional: dbt's `thrift` method; `dbt.start_thrift` in settings)
# ---------------------------------------------------------------------------------------------
class SparkThrift(Service):
    """A long-running Spark SQL endpoint (HiveServer2 protocol) with the same configuration as every
    Spark job: Delta, the shared metastore, the warehouse. Started from pyspark's own jars
    (``spark-submit --class …HiveThriftServer2 spark-internal``); pyspark ships no sbin scripts."""

    name = "spark-thrift"
    setting = "GOVLAKE_DBT__THRIFT_PORT"
    start_timeout = 180.0
    stop_signal = signal.SIGTERM

    @property
    def host(self) -> str:
        return self.s.dbt.thrift_host

    @property
    def port(self) -> int:
        return self.s.dbt.thrift_port

    def command(self) -> tuple[list[str], dict[str, str], Path | None]:
        import sys

        from govlake.spark import spark_conf

        jdk = spark_jdk(self.s.java)
        conf = spark_conf(self.s, "govlake-spark-thrift", {"spark.driver.memory": self.s.dbt.thrift_driver_memory})
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


SERVICES: tuple[type[Service], ...] = (Postgres, Metastore, Trino)


def services(settings: Settings) -> list[Service]:
    out = [cls(settings) for cls in SERVICES]
    if settings.dbt.start_thrift or settings.dbt.method == "thrift":
        out.append(SparkThrift(settings))
    return out
