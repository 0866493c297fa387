"""What Airflow tasks call: one function per task kind, each taking plain values (feed, dates) and
returning a small JSON-able dict for XCom and asset events.

The DAG files (``dags/``) import only this module's names inside their task functions, so parsing
a DAG imports no Spark, dbt or pandas. Each function opens its own Spark session: with
``spark.remote`` set (Airflow sets it to the Spark Connect server, see ``govlake.platform.airflow``)
that is a gRPC client of the long-lived server, otherwise an in-process Spark JVM. Every function
is idempotent: a retried task converges to the same tables (the jobs' exactly-once keys).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

from govlake.contracts import all_contracts, contract
from govlake.settings import Settings, load_settings

log = logging.getLogger("govlake.tasks")

ALERTS_TABLE = "alerts"


# A run can carry a sandbox (tests, benchmarks): private schemas, landing zone and department
# stand-ins, as in govlake_sim.sandbox; the task applies it to its own environment before loading
# settings. The silver asset events carry it on, so the gold run they trigger builds that sandbox.
SANDBOX_ENV = {"warehouse_prefix": "GOVLAKE_WAREHOUSE__PREFIX", "feeds_out_dir": "GOVLAKE_FEEDS__OUT_DIR",
               "police_api_port": "GOVLAKE_FEEDS__POLICE_API_PORT", "urban_db": "GOVLAKE_FEEDS__URBAN_DB"}


def sandbox_from_env() -> dict[str, str]:
    """The sandbox this process runs in (from its GOVLAKE_* variables), {} for the real platform."""
    import os

    return {k: os.environ[v] for k, v in SANDBOX_ENV.items() if os.environ.get(v)}


def use_sandbox(sandbox: dict[str, str] | None) -> dict[str, str]:
    """Apply a run's sandbox to this task process; unknown keys are refused."""
    import os

    sandbox = dict(sandbox or {})
    unknown = sorted(set(sandbox) - set(SANDBOX_ENV))
    if unknown:
        raise ValueError(f"unknown sandbox keys {unknown}; known: {sorted(SANDBOX_ENV)}")
    for k, v in sandbox.items():
        os.environ[SANDBOX_ENV[k]] = str(v)
    return sandbox


def sandbox_of_events(extras: list[dict[str, Any]]) -> dict[str, str]:
    """The one sandbox of the asset events that triggered a run ({} for the real platform); events
    from different sandboxes (or a sandbox and the real platform) cannot be built together."""
    found = {json.dumps(e.get("sandbox") or {}, sort_keys=True) for e in extras}
    if len(found) > 1:
        raise ValueError(f"the triggering silver events come from different sandboxes: {sorted(found)}")
    return json.loads(found.pop()) if found else {}


def _settings() -> Settings:
    return load_settings()


def landing_zone(settings: Settings) -> Path:
    return (settings.feeds_out_dir / "landing").resolve()


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """The delivery days of a data interval [start, end); at least ``start``."""
    n = max((end - start).days, 1)
    return [start + dt.timedelta(days=i) for i in range(n)]


# ---- what the DAGs are built from (no Spark; used at parse time) ------------------------------------
def silver_tables(settings: Settings, feed: str) -> list[tuple[str, str]]:
    """(name, uri) of each silver Delta table a feed writes, for Airflow assets."""
    sch = settings.schema("silver")
    return [(f"{sch}.{t.name}", f"{settings.schema_location('silver')}/{t.name}") for t in contract(feed).tables]


def gold_tables(settings: Settings) -> list[tuple[str, str]]:
    """(name, uri) of each gold table the dbt project builds (its marts models), for Airflow assets."""
    models = sorted((settings.root / settings.dbt.project_dir / "models" / "marts").rglob("*.sql"))
    sch = settings.schema("gold")
    return [(f"{sch}.{p.stem}", f"{settings.schema_location('gold')}/{p.stem}") for p in models]


def feed_plan() -> dict[str, dict[str, Any]]:
    """Per feed, what its ingest DAG needs from the contract."""
    out = {}
    for name, c in sorted(all_contracts().items()):
        out[name] = {"mode": c.delivery.mode, "cadence": c.cadence, "freshness_hours": c.freshness_hours,
                     "department": c.department.en, "department_zh": c.department.zh,
                     "tables": [t.name for t in c.tables]}
    return out


# ---- waiting for a delivery ----------------------------------------------------------------------------
def delivered_days(settings: Settings, feed: str, start: dt.date, end: dt.date) -> list[dt.date]:
    """Days in [start, end) for which the feed's delivery is there to land: a date folder holding a
    file for file drops; every day for pulled feeds (the pull is the delivery)."""
    c = contract(feed)
    days = days_between(start, end)
    if c.delivery.mode != "file_drop":
        return days
    folder = landing_zone(settings) / feed
    out = []
    for d in days:
        day_dir = folder / d.isoformat()
        if day_dir.is_dir() and any(p.is_file() and not p.name.startswith(".") for p in day_dir.iterdir()):
            out.append(d)
    return out


def freshness_deadline(feed: str, start: dt.datetime) -> dt.datetime:
    """When a delivery of the interval starting at ``start`` is overdue: ``freshness_hours`` after it."""
    return start + dt.timedelta(hours=contract(feed).freshness_hours)


def raise_freshness_alert(feed: str, day: dt.date, detail: str, run_id: str = "") -> dict[str, Any]:
    """One row in ``ops.alerts`` per (feed, day, kind) — a retried or repeated check adds none — and a
    POST to the configured webhook when the row is new. Returns the alert and whether it was new."""
    s = _settings()
    from govlake.spark import spark_session

    table = f"{s.schema('ops')}.{ALERTS_TABLE}"
    raised = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    alert = {"feed": feed, "day": day.isoformat(), "kind": "freshness", "detail": detail, "run_id": run_id,
             "raised_at": raised.isoformat(timespec="seconds")}
    with spark_session(s, "govlake-alert") as spark:
        spark.sql(f"CREATE TABLE IF NOT EXISTS {table} (feed string, day date, kind string, detail string, "
                  "run_id string, raised_at timestamp) USING delta "
                  "COMMENT 'alerts raised by the platform (one row per feed, day and kind)'")
        before = spark.table(table).where(f"feed = '{feed}' AND day = DATE'{day}' AND kind = 'freshness'").count()
        if before == 0:
            src = spark.createDataFrame([(feed, day, "freshness", detail, run_id, raised)],
                                        "feed string, day date, kind string, detail string, run_id string, "
                                        "raised_at timestamp")
            src.createOrReplaceTempView("govlake_new_alert")
            try:
                spark.sql(f"MERGE INTO {table} t USING govlake_new_alert s ON t.feed = s.feed AND t.day = s.day "
                          "AND t.kind = s.kind WHEN NOT MATCHED THEN INSERT *")
            finally:  # a shared session (tests, one worker) must not see it in every schema afterwards
                spark.catalog.dropTempView("govlake_new_alert")
    new = before == 0
    log.warning("freshness alert %s: %s (%s)", feed, detail, "new" if new else "already raised")
    if new and s.airflow.alert_webhook_url:
        notify(s.airflow.alert_webhook_url, alert)
    return {**alert, "new": new}


def check_pull(feed: str, start: dt.date, landed: dict[str, Any], run_id: str = "") -> dict[str, Any] | None:
    """Freshness of a pulled feed (no file to wait for: the pull is the delivery): pull windows that
    landed without a single record for the interval raise the freshness alert for its first day (a
    continuous departmental system that produced nothing for a day has stopped delivering). The run
    goes on: the empty windows are accounted like any delivery. Returns the alert, or None."""
    if contract(feed).delivery.mode == "file_drop" or not landed.get("landed") or landed.get("rows"):
        return None
    hours = contract(feed).freshness_hours
    return raise_freshness_alert(feed, start, f"{landed['landed']} pull window(s) from {start} landed without a "
                                 f"record (freshness {hours:g} h)", run_id)


def notify(url: str, payload: dict[str, Any]) -> None:
    """POST the alert as JSON; a notifier that is down is logged, never fatal (the row is the record)."""
    import urllib.request

    req = urllib.request.Request(url, data=json.dumps(payload, ensure_ascii=False).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            log.info("alert posted to %s: HTTP %s", url, r.status)
    except OSError as e:
        log.error("alert webhook %s failed: %s", url, e)


# ---- the layers ----------------------------------------------------------------------------------------
def land(feed: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Bronze: the feed's deliveries of [start, end) (already landed ones are skipped)."""
    s = _settings()
    from govlake.pipeline import land as land_feed
    from govlake.spark import spark_session

    with spark_session(s, f"govlake-bronze-{feed}") as spark:
        landed, skipped, rows = land_feed(spark, s, feed, days_between(start, end), landing_zone(s), log.info)
    return {"feed": feed, "landed": landed, "skipped": skipped, "rows": rows}


def silver(feed: str, start: dt.date) -> dict[str, Any]:
    """Silver (with the GX gate and quarantine) for every landed delivery of the feed not yet processed.
    ``deliveries`` lists what this call processed: empty when there was nothing new."""
    s = _settings()
    from govlake.pipeline import reference_csv
    from govlake.spark import spark_session
    from spark_jobs.jobs.silver import run_silver
    from spark_jobs.jobs.silver_divisions import load_divisions

    landing = landing_zone(s)
    ref = reference_csv(s, landing)
    with spark_session(s, f"govlake-silver-{feed}") as spark:
        load_divisions(spark, s, ref, start)
        res = run_silver(spark, s, feed, ref, echo=log.info)
    per_table: dict[str, dict[str, int]] = {}
    for a in res:
        t = per_table.setdefault(a.table, {"rows_in": 0, "accepted": 0, "quarantined": 0, "duplicate": 0})
        for k in t:
            t[k] += getattr(a, k)
    return {"feed": feed, "deliveries": sorted({a.delivery_id for a in res}), "tables": per_table,
            "rejected": sum(a.status == "rejected" for a in res), "blocked": sum(a.status == "blocked" for a in res)}


def steward_report(feed: str) -> list[str]:
    """Refresh the department's quality pages (read through Trino)."""
    s = _settings()
    from govlake.report import write_quality_reports

    written = write_quality_reports(s, s.state_dir / "reports" / "quality", feed, None, None, False, log.info)
    return [str(p) for p in written.files]


def gold() -> dict[str, Any]:
    """``dbt build`` of the theme library (models, seeds, data tests) in one dbt invocation."""
    s = _settings()
    from govlake.pipeline import build_gold
    from govlake.spark import spark_session

    with spark_session(s, "govlake-gold"):
        res = build_gold(s, log.info)
    return {"nodes": len(res.results), "failed": len(res.failures())}


def verify_gold() -> dict[str, int]:
    """Every gold table read back through Trino: its row count must equal Spark's. Returns the counts;
    raises naming the tables that differ (the gold assets are then not published)."""
    s = _settings()
    from govlake import trino_client
    from govlake.spark import spark_session

    names = [n.split(".", 1)[1] for n, _ in gold_tables(s)]
    gold_schema = s.schema("gold")
    with spark_session(s, "govlake-verify-gold") as spark:
        present = {r.tableName for r in spark.sql(f"SHOW TABLES IN {gold_schema}").collect() if not r.isTemporary}
        names = [n for n in names if n in present]
        spark_counts = {n: spark.table(f"{gold_schema}.{n}").count() for n in names}
    trino_counts = {n: int(trino_client.query(s, f"SELECT count(*) FROM {s.trino.catalog}.{gold_schema}.{n}")[0][0])
                    for n in names}
    differ = {n: (spark_counts[n], trino_counts[n]) for n in names if spark_counts[n] != trino_counts[n]}
    if differ:
        raise RuntimeError("gold read back through Trino differs from Spark (table: spark, trino): "
                           + ", ".join(f"{n}: {a}, {b}" for n, (a, b) in differ.items()))
    return trino_counts


def maintain(retention_hours: int = 168, layers: list[str] | None = None) -> dict[str, int]:
    """OPTIMIZE then VACUUM every Delta table of every layer (or of ``layers``); retention never below
    7 days (Trino readers and time travel of the last week keep working). Returns tables optimised
    per schema."""
    if retention_hours < 168:
        raise ValueError("VACUUM retention below 7 days (168 h) would break readers and time travel")
    s = _settings()
    unknown = sorted(set(layers or []) - set(s.warehouse.schemas))
    if unknown:
        raise ValueError(f"unknown layers {unknown}; known: {list(s.warehouse.schemas)}")
    from govlake.spark import spark_session

    done: dict[str, int] = {}
    with spark_session(s, "govlake-maintenance") as spark:
        for layer in layers or s.warehouse.schemas:
            sch = s.schema(layer)
            # views (dbt's staging models) and temporary views have no Delta log to optimise
            tables = [t.name for t in spark.catalog.listTables(sch) if t.tableType in ("MANAGED", "EXTERNAL")]
            n = 0
            for t in tables:
                fmt = spark.sql(f"DESCRIBE DETAIL {sch}.{t}").select("format").first()
                if fmt is None or fmt[0] != "delta":
                    continue
                spark.sql(f"OPTIMIZE {sch}.{t}")
                spark.sql(f"VACUUM {sch}.{t} RETAIN {retention_hours} HOURS")
                n += 1
            done[sch] = n
            log.info("maintenance %s: %d Delta tables optimised and vacuumed", sch, n)
    return done
