"""Airflow on the real platform: `govlake airflow run` triggers every feed's ingest DAG over two days of
a generated city (in a private sandbox the runs carry in their conf), the silver asset events trigger
the gold DAG, and gold is built and checked through Trino. Then the sandbox's tables are checked from
Spark: every delivery accounted (rows in = accepted + quarantined + duplicate), gold filled, and
the asset events carry the delivery ids and counts."""

import datetime as dt
import os
import random
import subprocess
import sys
import uuid
from pathlib import Path

GOVLAKE = str(Path(sys.executable).parent / "govlake")


def test_two_days_through_airflow_land_in_silver_and_trigger_gold(spark, tmp_path):
    from govlake.airflow_client import Airflow
    from govlake.settings import load_settings
    from govlake_sim.generator import GenerateOptions, generate
    from govlake_sim.sandbox import sandbox

    # Airflow keeps one run per DAG and logical date, across test sessions on a developer's
    # platform: days of their own (after the DAGs' start date, before today)
    start = dt.date(2020, 1, 1) + dt.timedelta(days=random.randrange(2000))
    out = tmp_path / "city"
    generate(GenerateOptions(sf=0.01, days=2, start=start, defects="default", seed=23, out=out))
    with sandbox(spark, out, f"af{uuid.uuid4().hex[:6]}_") as s:
        env = dict(os.environ, GOVLAKE_FEEDS__OUT_DIR=str(out))
        r = subprocess.run([GOVLAKE, "airflow", "run", "--start", start.isoformat(), "--days", "2",
                            "--timeout", "1800"], env=env, capture_output=True, text=True, timeout=2400)
        assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
        for feed in ("hotline_12345", "police_incidents", "urban_cases", "civil_affairs_residents"):
            assert f"ingest_{feed}.silver: success" in r.stdout
        assert "gold_theme_library triggered by the silver assets" in r.stdout
        assert "gold_theme_library.verify_through_trino: success" in r.stdout

        acc = spark.table(f"{s.schema('ops')}.silver_accounting").collect()
        assert {a.feed for a in acc} >= {"hotline_12345", "police_incidents", "urban_cases", "disputes"}
        assert all(a.rows_in == a.rows_accepted + a.rows_quarantined + a.rows_duplicate for a in acc)
        landed = {r.delivery_id for r in spark.table(f"{s.schema('ops')}.deliveries").select("delivery_id").collect()}
        assert len(landed) >= 9 and landed <= {a.delivery_id for a in acc}  # every landed delivery accounted
        assert spark.table(f"{s.schema('gold')}.theme_public_order").count() > 0

        # the asset event of the hotline's silver table says which deliveries it brought, in the sandbox
        af = Airflow(load_settings())
        name = f"{s.schema('silver')}.tickets"
        assets = af._call("GET", f"/api/v2/assets?name_pattern={name}")["assets"]
        asset = next(a for a in assets if a["name"] == name)
        events = af._call("GET", f"/api/v2/assets/events?asset_id={asset['id']}")["asset_events"]
        ours = [e for e in events if (e.get("extra") or {}).get("sandbox", {}).get("warehouse_prefix")
                == s.warehouse.prefix]
        assert ours and ours[0]["extra"]["deliveries"] and ours[0]["extra"]["accepted"] > 0
