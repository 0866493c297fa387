"""One ingest DAG per feed contract (``schemas/feeds/<feed>/v*.yaml``): adding a contract adds its DAG.

    wait_for_delivery (file drops) → bronze → silver (GX gate, quarantine; emits the silver assets)
                                                     → steward_report (the department's quality pages)

Built from the contract: the schedule from ``cadence`` (a daily data interval, weekly for weekly
feeds), the freshness deadline from ``freshness_hours``, the owner from the department. Every task
calls ``govlake.tasks``, imported inside the task: parsing this file imports no Spark, dbt or pandas.
Spark-writing tasks share the ``spark`` pool (one slot: writers of the same tables run in turn);
retries are safe because every job is idempotent.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG, Asset, CronDataIntervalTimetable, PokeReturnValue, task

from govlake.settings import load_settings
from govlake.tasks import feed_plan, silver_tables

SETTINGS = load_settings()
START = dt.datetime.combine(SETTINGS.airflow.start_date, dt.time(), tzinfo=dt.UTC)
POKE_SECONDS = 300


def _sandbox(context) -> dict:
    """Apply the run's sandbox (``conf["sandbox"]``, set by tests and benchmarks) to this task."""
    from govlake.tasks import use_sandbox

    return use_sandbox((context["dag_run"].conf or {}).get("sandbox"))


def _interval(context) -> tuple[dt.date, dt.date]:
    """The delivery days of this run: its data interval [start, end) as dates."""
    start, end = context["data_interval_start"], context["data_interval_end"]
    return start.date(), max(end.date(), start.date() + dt.timedelta(days=1))


def ingest_dag(feed: str, plan: dict) -> DAG:
    weekly = plan["cadence"] == "weekly"
    silver_assets = [Asset(name=name, uri=uri, group="silver") for name, uri in silver_tables(SETTINGS, feed)]
    with DAG(
        dag_id=f"ingest_{feed}",
        description=f"{plan['department_zh']} ({plan['department']}): {feed} → bronze → silver",
        schedule=CronDataIntervalTimetable("0 0 * * 1" if weekly else "0 0 * * *", timezone="UTC"),
        start_date=START,
        catchup=False,
        max_active_runs=SETTINGS.airflow.max_active_runs,  # writers are serialised by the spark pool
        tags=["ingest", plan["mode"], plan["cadence"], plan["department"]],
        default_args={"owner": plan["department"], "retries": SETTINGS.airflow.retries,
                      "retry_delay": dt.timedelta(minutes=1)},
        doc_md=__doc__,
    ) as d:

        @task(pool="spark")
        def bronze(**context) -> dict:
            from govlake.tasks import check_pull, land

            _sandbox(context)
            start, end = _interval(context)
            landed = land(feed, start, end)
            check_pull(feed, start, landed, context["run_id"])  # a pulled feed's freshness; no-op for files
            return landed

        @task(pool="spark", outlets=silver_assets)
        def silver(landed: dict, **context) -> dict:
            from airflow.sdk.exceptions import AirflowSkipException

            from govlake.tasks import silver as run_silver

            sandbox = _sandbox(context)
            start, _ = _interval(context)
            res = run_silver(feed, start)
            if not res["deliveries"]:
                raise AirflowSkipException(f"{feed}: no new delivery to process (landed: {landed})")
            # a file delivered without a record is the department's "nothing today": silver is current
            # through it and the events go out (the gold DAG waits for every daily feed). An empty pull
            # window proves nothing (bronze raised a freshness alert): no event, gold waits for data
            if plan["mode"] != "file_drop" and not any(t["rows_in"] for t in res["tables"].values()):
                raise AirflowSkipException(f"{feed}: the pull brought no record; gold waits for the next")
            for a in silver_assets:  # the asset events say which deliveries and rows they bring
                table = a.name.split(".", 1)[1]
                context["outlet_events"][a].extra = {"deliveries": res["deliveries"],
                                                     **res["tables"].get(table, {}),
                                                     **({"sandbox": sandbox} if sandbox else {})}
            return res

        @task()
        def steward_report(processed: dict, **context) -> list[str]:
            from govlake.tasks import steward_report as refresh

            _sandbox(context)
            return refresh(feed)

        if plan["mode"] == "file_drop":
            hours = plan["freshness_hours"]

            @task.sensor(poke_interval=POKE_SECONDS, mode="reschedule",
                         timeout=hours * 3600 + 2 * POKE_SECONDS)
            def wait_for_delivery(**context) -> PokeReturnValue:
                """Done when the interval's delivery is in the landing zone; past the contract's
                freshness deadline, one alert in ops.alerts (and the webhook), then the run fails."""
                import datetime as dt

                from airflow.sdk.exceptions import AirflowFailException

                from govlake.tasks import delivered_days, freshness_deadline, raise_freshness_alert

                _sandbox(context)
                start, end = _interval(context)
                found = delivered_days(load_settings(), feed, start, end)
                if found:
                    return PokeReturnValue(is_done=True, xcom_value=[d.isoformat() for d in found])
                deadline = freshness_deadline(feed, context["data_interval_start"])
                if dt.datetime.now(dt.UTC) >= deadline:
                    raise_freshness_alert(feed, start, f"no delivery for {start}..{end} by {deadline:%Y-%m-%d %H:%M} "
                                          f"UTC (freshness {hours:g} h)", context["run_id"])
                    raise AirflowFailException(f"{feed}: no delivery within {hours:g} h of {start}")
                return PokeReturnValue(is_done=False)

            landed = bronze()
            wait_for_delivery() >> landed
        else:
            landed = bronze()
        steward_report(silver(landed))
    return d


for _feed, _plan in feed_plan().items():
    globals()[f"ingest_{_feed}"] = ingest_dag(_feed, _plan)
