"""Trino DB-API connections for govlake's own checks (analysts use the same driver)."""

from __future__ import annotations

from typing import Any

import trino

from govlake.settings import Settings


def connect(settings: Settings, schema: str | None = None, **kw: Any) -> trino.dbapi.Connection:
    return trino.dbapi.connect(
        host=settings.trino.host,
        port=settings.trino.port,
        user=settings.trino.user,
        catalog=settings.trino.catalog,
        schema=schema,
        http_scheme="http",
        **kw,
    )


def query(settings: Settings, sql: str, params: list[Any] | None = None) -> list[tuple]:
    conn = connect(settings)
    try:
        cur = conn.cursor()
        cur.execute(sql, params) if params else cur.execute(sql)
        return [tuple(r) for r in cur.fetchall()]
    finally:
        conn.close()
