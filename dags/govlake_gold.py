"""The gold DAG: scheduled on the silver assets it reads (not on a clock), then ``dbt build`` of the
theme library, then every gold table read back through Trino (its row count must equal Spark's)
before the gold assets are published.

It waits for the silver tables of every feed that delivers at least daily; weekly feeds (party
building) are read as they stand. The maintenance DAG OPTIMIZEs and VACUUMs every Delta table weekly
(retention 7 days, never less) — nothing else vacuums.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG, Asset, AssetAll, CronTriggerTimetable, task

from govlake.settings import load_settings
from govlake.tasks import feed_plan, gold_tables, silver_tables

SETTINGS = load_settings()
START = dt.datetime.combine(SETTINGS.airflow.start_date, dt.time(), tzinfo=dt.UTC)
PLAN = feed_plan()
WAITS_FOR = [Asset(name=name, uri=uri, group="silver")
             for feed, p in PLAN.items() if p["cadence"] != "weekly" for name, uri in silver_tables(SETTINGS, feed)]
GOLD = [Asset(name=name, uri=uri, group="gold") for name, uri in gold_tables(SETTINGS)]
DEFAULTS = {"owner": "data-engineering", "retries": SETTINGS.airflow.retries, "retry_delay": dt.timedelta(minutes=1)}

with DAG(
    dag_id="gold_theme_library",
    description="dbt build of the governance theme library when silver has new deliveries; verified through Trino",
    schedule=AssetAll(*WAITS_FOR),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    tags=["gold", "dbt"],
    default_args=DEFAULTS,
    doc_md=__doc__,
):

    def _sandbox(context) -> dict:
        """The sandbox the triggering silver events came from ({} for the real platform)."""
        from govlake.tasks import sandbox_of_events, use_sandbox

        events = context.get("triggering_asset_events") or {}
        return use_sandbox(sandbox_of_events([e.extra or {} for evs in events.values() for e in evs]))

    @task(pool="spark")
    def dbt_build(**context) -> dict:
        from govlake.tasks import gold

        _sandbox(context)
        return gold()

    @task(outlets=GOLD)
    def verify_through_trino(built: dict, **context) -> dict:
        from govlake.tasks import verify_gold

        _sandbox(context)
        return verify_gold()

    verify_through_trino(dbt_build())


with DAG(
    dag_id="maintenance_delta",
    description="OPTIMIZE and VACUUM (retain 7 days) every Delta table",
    schedule=CronTriggerTimetable("0 3 * * 0", timezone="UTC"),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    tags=["maintenance"],
    default_args=DEFAULTS,
    doc_md=__doc__,
):

    @task(pool="spark")
    def optimize_and_vacuum(**context) -> dict:
        from govlake.tasks import maintain, use_sandbox

        conf = context["dag_run"].conf or {}
        use_sandbox(conf.get("sandbox"))  # a test's private schemas, else the real ones
        return maintain(retention_hours=168, layers=conf.get("layers"))  # a triggered run may name layers

    optimize_and_vacuum()
