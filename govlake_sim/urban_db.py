"""The urban-management department's own database: a table the pipeline pulls by ``updated_at``.

It lives in its own database (settings ``feeds.urban_db``) of the project's PostgreSQL cluster, as a
department system would: ``govlake-sim generate`` loads the generator's day files
(``urban_cases_db/<YYYY-MM-DD>.jsonl``) into it day by day (inserts of new cases and updates of their
lifecycle), and ingestion reads it only through a watermark query.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import psycopg

from govlake.platform.postgres import Postgres
from govlake.platform.process import PlatformError, port_open
from govlake.settings import Settings
from govlake.sources import department_db

COLUMNS = ["case_id", "source", "case_type", "case_class", "case_subclass", "grid_code", "address", "status",
           "reported_at", "verified_at", "dispatched_at", "handled_at", "checked_at", "closed_at",
           "handling_unit", "reporter_mobile", "updated_at"]
TIMESTAMPS = {c for c in COLUMNS if c.endswith("_at")}

DDL = f"""
CREATE TABLE IF NOT EXISTS public.um_cases (
  {", ".join(f"{c} {'timestamp' if c in TIMESTAMPS else 'text'}" for c in COLUMNS)},
  PRIMARY KEY (case_id)
);
CREATE INDEX IF NOT EXISTS um_cases_updated_at ON public.um_cases (updated_at);
COMMENT ON TABLE public.um_cases IS '数字城管案件 (local time, Asia/Shanghai)';
"""


@dataclass
class DayLoad:
    day: str
    inserted: int
    updated: int


def connect(settings: Settings, autocommit: bool = False) -> psycopg.Connection:
    """The department's database (created when absent), through the same connection govlake pulls with."""
    pg = settings.postgres
    if not port_open(pg.host, pg.port):
        raise PlatformError(f"PostgreSQL is not running on {pg.host}:{pg.port}: run `make up` first "
                            "(or generate with --no-db).")
    Postgres(settings).ensure_database(settings.feeds.urban_db)
    return department_db(settings, autocommit=autocommit)


def reset_table(conn: psycopg.Connection) -> None:
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS public.um_cases")
        cur.execute(DDL)
    conn.commit()


def apply_day(conn: psycopg.Connection, rows: list[dict], day: str) -> DayLoad:
    """Upsert one day's rows (the department system's inserts and updates) in one transaction."""
    cols = ", ".join(COLUMNS)
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS if c != "case_id")
    sql = (f"INSERT INTO public.um_cases ({cols}) VALUES ({placeholders}) ON CONFLICT (case_id) DO UPDATE SET "
           f"{updates} RETURNING (xmax = 0) AS inserted")
    inserted = updated = 0
    with conn.cursor() as cur:
        for r in rows:
            cur.execute(sql, [r.get(c) for c in COLUMNS])
            if cur.fetchone()[0]:
                inserted += 1
            else:
                updated += 1
    conn.commit()
    return DayLoad(day, inserted, updated)


def day_files(out_dir: Path) -> list[Path]:
    return sorted((out_dir / "urban_cases_db").glob("*.jsonl"))


def read_day(path: Path) -> list[dict]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            rows.append({k: (v.replace("T", " ")[:19] if k in TIMESTAMPS and v else v) for k, v in r.items()})
    return rows


def load_all(settings: Settings, out_dir: Path) -> list[DayLoad]:
    """Recreate the table and replay every generated day in order."""
    with connect(settings) as conn:
        reset_table(conn)
        return [apply_day(conn, read_day(p), p.stem) for p in day_files(out_dir)]
