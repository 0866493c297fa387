"""Start, stop and report the local platform (PostgreSQL → Hive Metastore → Trino → Spark Connect →
Airflow).

The services are project-local processes, one module each (``postgres``, ``metastore``, ``trino``,
``spark_connect``, ``airflow``, ``spark_thrift``) on the shared base in ``service``;
``services(settings)`` lists them in start order.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from govlake.platform.airflow import AIRFLOW_PROCESSES
from govlake.platform.metastore import Metastore
from govlake.platform.postgres import Postgres
from govlake.platform.process import PlatformError
from govlake.platform.service import Service, ServiceStatus
from govlake.platform.spark_connect import SparkConnect
from govlake.platform.spark_thrift import SparkThrift
from govlake.platform.trino import Trino
from govlake.settings import Settings

Echo = Callable[[str], None]

SERVICES: tuple[type[Service], ...] = (Postgres, Metastore, Trino)


def services(settings: Settings) -> list[Service]:
    """The platform's services in start order: the Spark Connect server and Airflow's four processes
    when settings start them, the Spark Thrift Server when dbt is to use it."""
    out = [cls(settings) for cls in SERVICES]
    if settings.spark_connect.start:
        out.append(SparkConnect(settings))
    if settings.dbt.start_thrift or settings.dbt.method == "thrift":
        out.append(SparkThrift(settings))
    if settings.airflow.start:
        out += [cls(settings) for cls in AIRFLOW_PROCESSES]
    return out


def up(settings: Settings, echo: Echo = print) -> float:
    """Start every service in dependency order, then lay out the warehouse. Returns seconds."""
    t0 = time.monotonic()
    for d in (settings.run_dir, settings.log_dir):
        d.mkdir(parents=True, exist_ok=True)
    for svc in services(settings):
        t = time.monotonic()
        msg = svc.start()
        echo(f"{msg} [{time.monotonic() - t:.1f}s]")
    created = ensure_warehouse(settings)
    echo(
        f"warehouse {settings.warehouse_uri}: schemas {', '.join(settings.warehouse.schemas)}"
        + (f" (created {', '.join(created)})" if created else " (present)")
    )
    return time.monotonic() - t0


def down(settings: Settings, echo: Echo = print) -> None:
    """Stop what `up` started, in reverse order."""
    for svc in reversed(services(settings)):
        echo(svc.stop())


def status(settings: Settings) -> list[ServiceStatus]:
    return [svc.status() for svc in services(settings)]


def ensure_warehouse(settings: Settings) -> list[str]:
    """Create the warehouse schemas in the metastore (through Trino), located under the warehouse."""
    from govlake import trino_client

    if settings.warehouse_uri.startswith("file:"):
        from pathlib import Path
        from urllib.parse import urlparse

        Path(urlparse(settings.warehouse_uri).path).mkdir(parents=True, exist_ok=True)
    cat = settings.trino.catalog
    existing = {r[0] for r in trino_client.query(settings, f"SHOW SCHEMAS FROM {cat}")}
    created = []
    for schema in settings.warehouse.schemas:
        if schema in existing:
            continue
        loc = settings.schema_location(schema)
        trino_client.query(settings, f"CREATE SCHEMA IF NOT EXISTS {cat}.{schema} WITH (location = '{loc}')")
        created.append(schema)
    return created


__all__ = ["SERVICES", "PlatformError", "ServiceStatus", "down", "ensure_warehouse", "services", "status", "up"]
