"""DAG integrity: the DAG folder loads in Airflow's DagBag without import errors, with one ingest DAG
per feed contract (tasks, owner, retries, tags, pool, schedule built from the contract), a gold DAG
scheduled on the silver assets, and no Spark/pandas/dbt import at parse time. No services needed."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _parse_in_fresh_interpreter(tmp_path) -> dict:
    """Load the DagBag in a new Python process (so sys.modules shows what parsing imported) and
    describe every DAG as JSON."""
    script = textwrap.dedent(f"""
        import json, sys
        from airflow.dag_processing.dagbag import DagBag
        bag = DagBag(dag_folder={str(ROOT / "dags")!r})
        out = {{"errors": {{k: str(v) for k, v in bag.import_errors.items()}}, "dags": {{}},
                "heavy": sorted({{m.split(".")[0] for m in sys.modules}}
                                & {{"pyspark", "pandas", "dbt", "great_expectations", "delta", "spark_jobs"}})}}
        for dag_id, d in bag.dags.items():
            out["dags"][dag_id] = {{
                "tasks": {{t.task_id: {{"pool": t.pool, "retries": t.retries, "owner": t.owner,
                                        "upstream": sorted(t.upstream_task_ids),
                                        "outlets": [o.name for o in t.outlets]}} for t in d.tasks}},
                "tags": sorted(d.tags), "max_active_runs": d.max_active_runs, "catchup": d.catchup,
                "timetable": type(d.timetable).__name__,
                "cron": getattr(d.timetable, "expression", None),
                "assets": sorted(o.name for o in d.timetable.asset_condition.objects)
                          if getattr(d.timetable, "asset_condition", None) is not None else [],
            }}
        print("JSON" + json.dumps(out))
    """)
    env = {"AIRFLOW_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__UNIT_TEST_MODE": "True"}
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    line = next(x for x in r.stdout.splitlines() if x.startswith("JSON"))
    return json.loads(line[4:])


@pytest.fixture(scope="module")
def bag(tmp_path_factory):
    return _parse_in_fresh_interpreter(tmp_path_factory.mktemp("airflow_home"))


def test_the_dag_folder_loads_without_import_errors_and_imports_nothing_heavy(bag):
    assert bag["errors"] == {}
    assert bag["heavy"] == []


def test_one_ingest_dag_per_contract_with_the_tasks_the_contract_implies(bag):
    from govlake.contracts import all_contracts
    from govlake.settings import load_settings
    from govlake.tasks import silver_tables

    contracts = all_contracts()
    ingest = {k for k in bag["dags"] if k.startswith("ingest_")}
    assert ingest == {f"ingest_{f}" for f in contracts}
    s = load_settings()
    for feed, c in contracts.items():
        d = bag["dags"][f"ingest_{feed}"]
        tasks = d["tasks"]
        want = {"bronze", "silver", "steward_report"} | ({"wait_for_delivery"} if c.delivery.mode == "file_drop"
                                                         else set())
        assert set(tasks) == want, feed
        assert tasks["bronze"]["pool"] == tasks["silver"]["pool"] == "spark"
        assert tasks["steward_report"]["pool"] != "spark"  # reads through Trino, writes no table
        assert tasks["silver"]["upstream"] == ["bronze"]
        if c.delivery.mode == "file_drop":
            assert tasks["bronze"]["upstream"] == ["wait_for_delivery"]
        assert {t["owner"] for t in tasks.values()} == {c.department.en}
        assert all(t["retries"] == s.airflow.retries >= 1 for t in tasks.values())
        assert tasks["silver"]["outlets"] == [name for name, _ in silver_tables(s, feed)]
        assert {"ingest", c.delivery.mode, c.cadence} <= set(d["tags"])
        # a run waiting for today's delivery must not hold up a run over past days; the tasks that
        # write share the one-slot spark pool, so writers never overlap
        assert d["max_active_runs"] == s.airflow.max_active_runs and d["catchup"] is False
        assert d["timetable"] == "CronDataIntervalTimetable"
        assert d["cron"] == ("0 0 * * 1" if c.cadence == "weekly" else "0 0 * * *")


def test_gold_waits_for_the_silver_assets_of_every_feed_delivering_at_least_daily(bag):
    from govlake.contracts import all_contracts
    from govlake.settings import load_settings
    from govlake.tasks import gold_tables, silver_tables

    s = load_settings()
    gold = bag["dags"]["gold_theme_library"]
    assert gold["timetable"] == "AssetTriggeredTimetable"
    expected = sorted(name for f, c in all_contracts().items() if c.cadence != "weekly"
                      for name, _ in silver_tables(s, f))
    assert gold["assets"] == expected
    assert gold["tasks"]["dbt_build"]["pool"] == "spark"
    assert gold["tasks"]["verify_through_trino"]["upstream"] == ["dbt_build"]
    assert gold["tasks"]["verify_through_trino"]["outlets"] == [name for name, _ in gold_tables(s)]
    assert "gold.theme_public_order" in gold["tasks"]["verify_through_trino"]["outlets"]
    assert gold["max_active_runs"] == 1
    maint = bag["dags"]["maintenance_delta"]
    assert maint["tasks"]["optimize_and_vacuum"]["pool"] == "spark"
