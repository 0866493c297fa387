"""Airflow 3 as a platform service: four processes (api-server, scheduler, dag-processor, triggerer),
LocalExecutor, metadata in the project PostgreSQL (database and role of its own), all on loopback.

Not ``airflow standalone`` (it forces its own auth setup, re-initialises the database and leaves
children behind on SIGTERM). Every process gets the same environment (``airflow_env``): the secrets
(JWT, API secret key, fernet key, generated once into ``<state>/secrets``), the database URL, the
execution API URL. The scheduler and triggerer run without their log servers (``--skip-serve-logs``;
those bind every interface): with LocalExecutor on one machine the api-server reads task logs from
``<state>/airflow/logs`` directly.

Logins: ``admin`` (role admin) and ``viewer`` (role viewer), passwords generated at first start into
``<state>/secrets`` and printed by ``govlake info``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from govlake.platform.process import PlatformError, read_pid
from govlake.platform.service import Service, get_json
from govlake.secrets import secret
from govlake.settings import Settings


def home(settings: Settings) -> Path:
    return settings.state_dir / "airflow"


def fernet_key(settings: Settings) -> str:
    """A Fernet key (32 bytes, URL-safe base64 with padding), generated once."""
    path = settings.secrets_dir / "airflow_fernet_key"
    if not path.is_file() and not os.environ.get("GOVLAKE_SECRET_AIRFLOW_FERNET_KEY"):
        from cryptography.fernet import Fernet

        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(Fernet.generate_key().decode())
    return secret(settings, "airflow_fernet_key")


def passwords(settings: Settings) -> dict[str, str]:
    """The UI logins: user → password (generated once)."""
    a = settings.airflow
    return {a.admin_user: secret(settings, "airflow_admin_password", 12),
            a.viewer_user: secret(settings, "airflow_viewer_password", 12)}


def api_url(settings: Settings) -> str:
    return f"http://{settings.airflow.host}:{settings.airflow.port}"


def spark_remote(settings: Settings) -> str | None:
    """The Spark Connect URL tasks use, or None when each task starts its own Spark JVM."""
    a = settings.airflow
    if a.spark_access != "connect":
        return None
    return a.spark_remote or settings.spark.remote or settings.spark_connect.url


def database_url(settings: Settings) -> str:
    pg = settings.postgres
    pw = secret(settings, "airflow_db_password")
    return f"postgresql+psycopg2://{settings.airflow.role}:{pw}@{pg.host}:{pg.port}/{settings.airflow.database}"


def airflow_env(settings: Settings) -> dict[str, str]:
    """The environment of every Airflow process (and so of every task they run)."""
    a = settings.airflow
    h = home(settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env.update({
        "AIRFLOW_HOME": str(h),
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings._resolve(a.dags_folder)),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(a.parallelism),
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(a.parallelism),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__FERNET_KEY": fernet_key(settings),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api_url(settings)}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{a.admin_user}:admin,{a.viewer_user}:viewer",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(h / "simple_auth_manager_passwords.json"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database_url(settings),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE": "3",
        "AIRFLOW__API__HOST": a.host,
        "AIRFLOW__API__PORT": str(a.port),
        "AIRFLOW__API__BASE_URL": api_url(settings),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__SECRET_KEY": secret(settings, "airflow_api_secret_key", 32),
        "AIRFLOW__API_AUTH__JWT_SECRET": secret(settings, "airflow_jwt_secret", 32),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(h / "logs"),
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "60",
        "AIRFLOW__CORE__ALLOWED_DESERIALIZATION_CLASSES_REGEXP": "",
        "GOVLAKE_ENV": settings.env,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(settings.root), os.environ.get("PYTHONPATH")])),
    })
    remote = spark_remote(settings)
    if remote:
        env["GOVLAKE_SPARK__REMOTE"] = remote
    else:
        env.pop("GOVLAKE_SPARK__REMOTE", None)
    return env


# Written to $AIRFLOW_HOME/config/airflow_local_settings.py, which every Airflow process imports.
LOCAL_SETTINGS = """\
# generated by govlake (govlake/platform/airflow.py) — do not edit
# The scheduler's LocalExecutor workers fork every task process: third-party libraries imported here,
# in the scheduler only, are inherited by each task instead of imported by it (Great Expectations
# ~7 s, the Spark Connect client ~2 s per task). Only pinned third-party code: govlake's own modules
# stay out, so a task always runs the project's current code. Nothing is started (no session, no
# thread), so forking stays safe.
import sys

if len(sys.argv) > 1 and sys.argv[1] == "scheduler":
    import great_expectations  # noqa: F401
    import pyspark.sql.connect.session  # noqa: F401
"""


def write_local_settings(settings: Settings) -> None:
    path = home(settings) / "config" / "airflow_local_settings.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text() != LOCAL_SETTINGS:
        path.write_text(LOCAL_SETTINGS)


def airflow_bin() -> str:
    return str(Path(sys.executable).parent / "airflow")


def airflow_cli(settings: Settings, *args: str, timeout: float = 300) -> str:
    """``airflow <args>`` with the platform's environment; PlatformError with its last lines on failure."""
    r = subprocess.run([airflow_bin(), *args], env=airflow_env(settings), capture_output=True, text=True,
                       timeout=timeout, cwd=home(settings))
    if r.returncode != 0:
        tail = "\n".join((r.stderr or r.stdout).strip().splitlines()[-8:])
        raise PlatformError(f"airflow {' '.join(args[:2])} failed:\n{tail}")
    return r.stdout


def health(settings: Settings) -> dict | None:
    return get_json(f"{api_url(settings)}/api/v2/monitor/health")


class AirflowProcess(Service):
    """One Airflow process; ``role`` is its ``airflow`` sub-command."""

    section = "airflow"
    role = ""
    args: tuple[str, ...] = ()
    start_timeout = 120.0
    stop_signal = signal.SIGTERM

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"airflow-{self.role}"

    def pid(self) -> int | None:
        return read_pid(self.pidfile, must_contain="airflow")

    def command(self) -> tuple[list[str], dict[str, str], Path | None]:
        return [airflow_bin(), self.role, *self.args], airflow_env(self.s), home(self.s)

    def health(self) -> tuple[bool, str]:
        """The api-server's health endpoint reports each component's heartbeat."""
        h = health(self.s)
        if h is None:
            return False, "api-server not answering"
        part = h.get(self.role.replace("-", "_"), {})
        st = part.get("status")
        return st == "healthy", f"heartbeat {st or 'none'}"

    poll_interval = 1.0

    @property
    def port(self) -> int:  # type: ignore[override]
        """Only the api-server listens; the others have no port."""
        return self.s.airflow.port if self.role == "api-server" else 0

    def ensure_free(self) -> None:
        if self.port:
            super().ensure_free()

class AirflowApiServer(AirflowProcess):
    """The UI and REST API (and the execution API tasks talk to). Its start provisions what the
    others need: database and role, migrations, login passwords, pools and connections."""

    role = "api-server"

    def health(self) -> tuple[bool, str]:
        ok = health(self.s) is not None
        return ok, "answering" if ok else "not answering"

    def prepare(self) -> None:
        from govlake.platform.postgres import Postgres

        a = self.s.airflow
        h = home(self.s)
        (h / "logs").mkdir(parents=True, exist_ok=True)
        pg = Postgres(self.s)
        pg.ensure_role(a.role, secret(self.s, "airflow_db_password"))
        pg.ensure_database(a.database, owner=a.role)
        write_local_settings(self.s)
        pw_file = h / "simple_auth_manager_passwords.json"
        pw_file.write_text(json.dumps(passwords(self.s)))
        os.chmod(pw_file, 0o600)
        import airflow

        stamp = h / f".migrated-{airflow.__version__}"
        if not stamp.is_file():
            airflow_cli(self.s, "db", "migrate")
            stamp.write_text("migrated\n")

    def after_start(self) -> None:
        provision(self.s)


def connections(settings: Settings) -> dict[str, dict]:
    """The Airflow connections the DAGs use, from settings (written at every start)."""
    t, pg, f = settings.trino, settings.postgres, settings.feeds
    return {
        "govlake_trino": {"conn_type": "trino", "host": t.host, "port": t.port, "login": t.user,
                          "schema": settings.schema("gold"), "extra": json.dumps({"catalog": t.catalog})},
        "govlake_postgres": {"conn_type": "postgres", "host": pg.host, "port": pg.port, "login": pg.superuser,
                             "password": secret(settings, "postgres_password"), "schema": "postgres"},
        "govlake_police_api": {"conn_type": "http", "host": f.police_api_host, "port": f.police_api_port,
                               "schema": f.police_api_scheme},
    }


def provision(settings: Settings) -> None:
    """Pools and connections, idempotently (import with overwrite)."""
    h = home(settings)
    pools = h / "pools.json"
    pools.write_text(json.dumps({"spark": {"slots": settings.airflow.spark_pool_slots, "include_deferred": False,
                                           "description": "writers of the lakehouse tables, one at a time"}}))
    conns = h / "connections.json"
    conns.write_text(json.dumps(connections(settings)))
    os.chmod(conns, 0o600)
    airflow_cli(settings, "pools", "import", str(pools))
    airflow_cli(settings, "connections", "import", "--overwrite", str(conns))


class AirflowScheduler(AirflowProcess):
    role = "scheduler"
    args = ("--skip-serve-logs",)


class AirflowDagProcessor(AirflowProcess):
    role = "dag-processor"


class AirflowTriggerer(AirflowProcess):
    role = "triggerer"
    args = ("--skip-serve-logs",)


AIRFLOW_PROCESSES = (AirflowApiServer, AirflowScheduler, AirflowDagProcessor, AirflowTriggerer)
