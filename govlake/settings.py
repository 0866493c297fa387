"""govlake settings: one YAML file per environment plus environment-variable overrides.

``GOVLAKE_ENV`` (default ``local``) selects ``infra/env/<env>.yaml``; any key can be overridden by
``GOVLAKE_<SECTION>__<KEY>`` (e.g. ``GOVLAKE_TRINO__PORT=8095``). Settings are resolved once at an
entry point (CLI, job main) and passed down as plain values.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from govlake.errors import GovlakeError


def project_root() -> Path:
    """The checkout govlake runs from (``GOVLAKE_HOME`` overrides)."""
    env = os.environ.get("GOVLAKE_HOME")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parent.parent


class SettingsError(GovlakeError):
    """A settings file or value that cannot be used."""


class PathsSettings(BaseModel):
    state_dir: Path = Path(".state")
    cache_dir: Path = Path("~/.cache/govlake")


class PostgresSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 5433
    superuser: str = "govlake"
    metastore_db: str = "metastore"
    os_user: str = "postgres"
    shared_buffers: str = "256MB"
    max_connections: int = 100
    bin_dir: Path | None = None


class MetastoreSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 9083
    heap: str = "768m"

    @property
    def uri(self) -> str:
        return f"thrift://{self.host}:{self.port}"


class TrinoSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8085
    heap: str = "3G"
    query_max_memory: str = "1GB"
    catalog: str = "lakehouse"
    user: str = "govlake"
    plugins: list[str] = Field(default_factory=lambda: ["delta-lake", "tpch"])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


class SparkSettings(BaseModel):
    master: str = "local[*]"
    # Spark Connect endpoint (``sc://host:port``): jobs become thin clients of a long-lived Spark server
    # (``make up`` starts one on loopback; on a cluster, the cluster's endpoint). Empty: each process
    # starts its own Spark JVM with the settings below.
    remote: str | None = None
    driver_memory: str = "4g"
    shuffle_partitions: int = 8
    ui_enabled: bool = False
    driver_host: str | None = None
    warehouse_uri: str | None = None
    java_options: list[str] = Field(default_factory=list)  # JVM options of the driver and executors (JIT, GC)
    extra_conf: dict[str, str] = Field(default_factory=dict)


class SparkConnectSettings(BaseModel):
    """The long-lived Spark Connect server ``govlake up`` starts (a Spark driver with Delta and the shared
    metastore, same configuration as every job). Airflow tasks reach Spark through it: a task pays a
    gRPC connection (~2 s) instead of a Spark JVM start. On a cluster, point ``spark.remote`` (or
    ``airflow.spark_remote``) at the cluster's endpoint and set ``start: false``."""

    start: bool = True
    host: str = "127.0.0.1"
    port: int = 15002
    driver_memory: str = "4g"

    @property
    def url(self) -> str:
        return f"sc://{self.host}:{self.port}"


class AirflowSettings(BaseModel):
    """Airflow 3 as four processes (api-server, scheduler, dag-processor, triggerer), LocalExecutor,
    metadata in the project PostgreSQL (own database and role), everything on loopback."""

    start: bool = True
    host: str = "127.0.0.1"
    port: int = 8280
    parallelism: int = Field(default=2, ge=1)  # LocalExecutor workers (each is a forked Python process)
    database: str = "airflow"
    role: str = "airflow"
    admin_user: str = "admin"
    viewer_user: str = "viewer"
    dags_folder: Path = Path("dags")
    # how tasks reach Spark: "connect" (the Spark Connect server above, or spark_remote) or "local"
    # (a Spark JVM started inside each task process; ~10-15 s per task)
    spark_access: Literal["connect", "local"] = "connect"
    spark_remote: str | None = None  # default: the local Spark Connect server's sc:// URL
    spark_pool_slots: int = Field(default=1, ge=1)  # writers of the same tables run one at a time
    alert_webhook_url: str | None = None  # freshness alerts are POSTed here as JSON (besides ops.alerts)
    # the DAGs' start date: the earliest day a run may cover (catch-up is off: when unpaused, a DAG
    # schedules only its latest interval; earlier days are run on purpose with `govlake airflow run`)
    start_date: dt.date = dt.date(2020, 1, 1)
    # runs of one ingest DAG at a time: 2, so that a run waiting for today's delivery does not hold up
    # a run over past days; writers never overlap anyway (the one-slot spark pool)
    max_active_runs: int = Field(default=2, ge=1)
    retries: int = Field(default=2, ge=0)
    start_timeout: float = 180.0


class JavaSettings(BaseModel):
    search_dirs: list[Path] = Field(default_factory=lambda: [Path("/usr/lib/jvm")])
    spark_major: int = 17
    trino_min_major: int = 24
    spark_home: Path | None = None
    trino_home: Path | None = None


class MavenSettings(BaseModel):
    repository: str = "https://repo1.maven.org/maven2"
    timeout_seconds: float = 60


class FeedsSettings(BaseModel):
    out_dir: Path = Path(".state/generated")  # landing zone parent; default --out of `govlake-sim generate`
    police_api_host: str = "127.0.0.1"
    police_api_port: int = 8091
    police_api_scheme: Literal["http", "https"] = "http"
    urban_db: str = "urban_mgmt"


class WarehouseSettings(BaseModel):
    schemas: list[str] = Field(
        default_factory=lambda: ["bronze", "silver", "staging", "gold", "ops", "quarantine", "vault"]
    )
    prefix: str = ""  # e.g. "it3f2a_" gives tests a private set of schemas beside the real ones


class PipelineSettings(BaseModel):
    """How ``govlake run`` schedules its work: feeds (bronze, then silver) run ``parallel_feeds`` at a
    time in one Spark session."""

    parallel_feeds: int = Field(default=2, ge=1)


class DbtSettings(BaseModel):
    """How dbt reaches Spark: ``session`` (dbt in a Spark session of its own, or the pipeline's) or
    ``thrift`` (a long-running Spark Thrift Server started by ``govlake up``)."""

    method: Literal["session", "thrift"] = "session"
    project_dir: Path = Path("dbt_project")
    threads: int = 1
    # the batch's `dbt build` (`govlake run --through gold`, the gold DAG) leaves out dbt's unit tests:
    # they test model logic on fixed inputs, not the day's data, and `make test` runs them
    unit_tests_in_batch: bool = False
    thrift_host: str = "127.0.0.1"
    thrift_port: int = 10000
    thrift_driver_memory: str = "4g"
    start_thrift: bool = False  # `govlake up` starts the Thrift server only when asked


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GOVLAKE_", env_nested_delimiter="__", extra="ignore", frozen=False
    )

    env: str = "local"
    paths: PathsSettings = Field(default_factory=PathsSettings)
    postgres: PostgresSettings = Field(default_factory=PostgresSettings)
    metastore: MetastoreSettings = Field(default_factory=MetastoreSettings)
    trino: TrinoSettings = Field(default_factory=TrinoSettings)
    spark: SparkSettings = Field(default_factory=SparkSettings)
    java: JavaSettings = Field(default_factory=JavaSettings)
    maven: MavenSettings = Field(default_factory=MavenSettings)
    warehouse: WarehouseSettings = Field(default_factory=WarehouseSettings)
    feeds: FeedsSettings = Field(default_factory=FeedsSettings)
    dbt: DbtSettings = Field(default_factory=DbtSettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    spark_connect: SparkConnectSettings = Field(default_factory=SparkConnectSettings)
    airflow: AirflowSettings = Field(default_factory=AirflowSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        env = os.environ.get("GOVLAKE_ENV", "local")
        yaml_file = project_root() / "infra" / "env" / f"{env}.yaml"
        if not yaml_file.is_file():
            raise SettingsError(
                f"GOVLAKE_ENV={env!r} but {yaml_file} does not exist "
                f"(choose one of: {', '.join(p.stem for p in yaml_file.parent.glob('*.yaml'))})"
            )
        return (init_settings, env_settings, YamlConfigSettingsSource(settings_cls, yaml_file=yaml_file))

    # ---- resolved paths -------------------------------------------------------------------
    @staticmethod
    def _resolve(p: Path) -> Path:
        p = Path(os.path.expanduser(str(p)))
        return p if p.is_absolute() else (project_root() / p).resolve()

    @cached_property
    def root(self) -> Path:
        return project_root()

    @cached_property
    def state_dir(self) -> Path:
        return self._resolve(self.paths.state_dir)

    @cached_property
    def cache_dir(self) -> Path:
        return self._resolve(self.paths.cache_dir)

    @cached_property
    def feeds_out_dir(self) -> Path:
        return self._resolve(self.feeds.out_dir)

    @property
    def run_dir(self) -> Path:
        return self.state_dir / "run"

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def secrets_dir(self) -> Path:
        return self.state_dir / "secrets"

    @property
    def warehouse_uri(self) -> str:
        if self.spark.warehouse_uri:
            return self.spark.warehouse_uri.rstrip("/")
        return (self.state_dir / "warehouse").as_uri()

    def schema_location(self, schema: str) -> str:
        return f"{self.warehouse_uri}/{schema}.db"

    def schema(self, layer: str) -> str:
        """The metastore schema of a layer (bronze, silver, gold, ops, quarantine, vault)."""
        if layer not in self.warehouse.schemas:
            raise SettingsError(f"unknown layer {layer!r}")
        return f"{self.warehouse.prefix}{layer}"


def load_settings(**overrides: Any) -> Settings:
    """Resolve settings once (YAML for ``GOVLAKE_ENV`` < environment < explicit overrides)."""
    return Settings(**overrides)
