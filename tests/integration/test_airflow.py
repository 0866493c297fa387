"""Airflow on the real platform: `govlake airflow run` triggers every feed's ingest DAG over three days of
a generated city (in a private sandbox the runs carry in their conf), the silver asset events trigger
the gold DAG, and gold is built and checked through Trino. Then the sandbox's tables are checked from
Spark (every delivery accounted, gold filled), the asset events' extra, and the UI is looked at in
headless Chromium as a person would: log in, the DAG list, each DAG, one successful run
(screenshots under .state/test-artifacts/airflow-ui/)."""

import datetime as dt
import os
import random
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

GOVLAKE = str(Path(sys.executable).parent / "govlake")


@pytest.fixture(scope="module")
def through_airflow(spark, tmp_path_factory):
    """(sandbox settings, the CLI's output, the first day) after three days went through Airflow."""
    from govlake_sim.generator import GenerateOptions, generate
    from govlake_sim.sandbox import sandbox

    # Airflow keeps one run per DAG and logical date, across test sessions on a developer's
    # platform: days of their own (after the DAGs' start date, long before today). They begin on a
    # 3rd: assistance is paid on the 3rd, 5th and 6th, and a feed that has never delivered a row has
    # no silver table for gold to read (issue 13: such a feed must not stop gold)
    start = dt.date(random.randrange(2020, 2026), random.randrange(1, 13), 3)
    out = tmp_path_factory.mktemp("airflow_city")
    generate(GenerateOptions(sf=0.01, days=3, start=start, defects="default", seed=23, out=out))
    with sandbox(spark, out, f"af{uuid.uuid4().hex[:6]}_") as s:
        env = dict(os.environ, GOVLAKE_FEEDS__OUT_DIR=str(out))
        r = subprocess.run([GOVLAKE, "airflow", "run", "--start", start.isoformat(), "--days", "3",
                            "--timeout", "1800"], env=env, capture_output=True, text=True, timeout=2400)
        print(r.stdout[-6000:])
        assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
        yield s, r.stdout, start


def test_three_days_through_airflow_land_in_silver_and_trigger_gold(spark, through_airflow):
    from govlake.airflow_client import Airflow
    from govlake.settings import load_settings

    s, stdout, _ = through_airflow
    for feed in ("hotline_12345", "police_incidents", "urban_cases", "civil_affairs_residents"):
        assert f"ingest_{feed}.silver: success" in stdout
    assert "gold_theme_library triggered by the silver assets" in stdout
    assert "gold_theme_library.verify_through_trino: success" in stdout

    acc = spark.table(f"{s.schema('ops')}.silver_accounting").collect()
    assert {a.feed for a in acc} >= {"hotline_12345", "police_incidents", "urban_cases", "disputes"}
    assert all(a.rows_in == a.rows_accepted + a.rows_quarantined + a.rows_duplicate for a in acc)
    landed = {r.delivery_id for r in spark.table(f"{s.schema('ops')}.deliveries").select("delivery_id").collect()}
    assert len(landed) >= 9 and landed <= {a.delivery_id for a in acc}  # every landed delivery accounted
    assert spark.table(f"{s.schema('gold')}.theme_public_order").count() > 0

    # the asset event of the hotline's silver table says which deliveries it brought, in which sandbox
    af = Airflow(load_settings())
    name = "silver.tickets"  # assets are named for the real tables; a sandbox travels in the events' extra
    assets = af._call("GET", f"/api/v2/assets?name_pattern={name}")["assets"]
    asset = next(a for a in assets if a["name"] == name)
    events = af._call("GET", f"/api/v2/assets/events?asset_id={asset['id']}")["asset_events"]
    ours = [e for e in events if ((e.get("extra") or {}).get("sandbox") or {}).get("warehouse_prefix")
            == s.warehouse.prefix]
    assert ours and ours[0]["extra"]["deliveries"] and ours[0]["extra"]["accepted"] > 0


def test_the_ui_shows_every_dag_and_a_green_run_to_a_person_who_logs_in(through_airflow):
    from playwright.sync_api import sync_playwright

    from govlake.airflow_client import Airflow
    from govlake.platform.airflow import api_url, passwords
    from govlake.settings import load_settings
    from govlake.tasks import feed_plan

    s = load_settings()
    base, shots = api_url(s), s.state_dir / "test-artifacts" / "airflow-ui"
    shots.mkdir(parents=True, exist_ok=True)
    _, _, start = through_airflow
    af = Airflow(s)
    run = next(r for r in af.runs("ingest_hotline_12345") if r["logical_date"].startswith(start.isoformat()))
    assert run["state"] == "success"
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: `make setup` installs it"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(base + "/")
        page.wait_for_url("**/auth/login**", timeout=30_000)  # nothing without a login
        page.fill("input[name=username]", s.airflow.admin_user)
        page.fill("input[name=password]", passwords(s)[s.airflow.admin_user])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda u: "/auth/login" not in u, timeout=30_000)
        page.goto(base + "/dags")
        page.get_by_text("gold_theme_library", exact=True).wait_for(timeout=30_000)
        page.screenshot(path=str(shots / "01-dag-list.png"))
        for dag_id in [*(f"ingest_{f}" for f in feed_plan()), "gold_theme_library", "maintenance_delta"]:
            page.goto(f"{base}/dags/{dag_id}")
            page.get_by_text(dag_id, exact=True).first.wait_for(timeout=30_000)
        page.goto(f"{base}/dags/ingest_hotline_12345/runs/{run['dag_run_id']}")
        page.get_by_text("silver", exact=True).first.wait_for(timeout=30_000)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(shots / "02-ingest-run.png"), full_page=True)
        assert page.get_by_text("failed", exact=True).count() == 0
        browser.close()
    assert (shots / "02-ingest-run.png").stat().st_size > 10_000
