"""A private set of everything a run touches, for tests and benchmarks on a running platform.

``sandbox(spark, out, prefix)`` gives private layer schemas (``warehouse.prefix``), a private
urban-management database loaded from ``out`` and a private police API on a free loopback port
serving ``out``'s incidents; the real tables, database and API stand-in are never touched. Settings
come through the environment (``GOVLAKE_*``), so jobs started in subprocesses see the same sandbox.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from govlake.settings import Settings, load_settings

ENV = ("GOVLAKE_WAREHOUSE__PREFIX", "GOVLAKE_FEEDS__URBAN_DB", "GOVLAKE_FEEDS__POLICE_API_PORT")


@contextmanager
def sandbox(spark, out: Path, prefix: str, keep: bool = False) -> Iterator[Settings]:
    from govlake.platform.postgres import Postgres
    from govlake.secrets import secret
    from govlake_sim import urban_db
    from govlake_sim.police_api import make_server

    saved = {k: os.environ.get(k) for k in ENV}
    server = None
    s = None
    try:
        os.environ["GOVLAKE_WAREHOUSE__PREFIX"] = prefix
        os.environ["GOVLAKE_FEEDS__URBAN_DB"] = f"{prefix}urban"
        s = load_settings()
        server = make_server(out / "police_api" / "incidents.jsonl", port=0, token=secret(s, "police_api_token"))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        os.environ["GOVLAKE_FEEDS__POLICE_API_PORT"] = str(server.server_address[1])
        s = load_settings()
        urban_db.load_all(s, out)
        for layer in s.warehouse.schemas:
            spark.sql(f"CREATE SCHEMA IF NOT EXISTS {s.schema(layer)} LOCATION '{s.schema_location(s.schema(layer))}'")
        yield s
    finally:
        if server is not None:
            server.shutdown()
        if s is not None and not keep:
            for layer in s.warehouse.schemas:
                spark.sql(f"DROP SCHEMA IF EXISTS {s.schema(layer)} CASCADE")
            Postgres(s).psql(f'DROP DATABASE IF EXISTS "{prefix}urban" WITH (FORCE)')
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
