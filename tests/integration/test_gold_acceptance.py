"""Acceptance of the theme library (gold) on a generated city: SF0.01 × 30 days, real services.

The `gold_world` fixture (tests/integration/conftest.py) generates the city, ingests it into a
private sandbox and runs `dbt build` (every model, seed, data test and unit test) in the test
session's Spark session; a failing model or test fails the fixture. These tests then check what
the build produced: every node passed, a rebuild without new data changes nothing, small cells are
suppressed, no personal data reaches gold, the cross-department findings find the generator's
injected contradictions, and a steward's decision survives the next run.
"""

from __future__ import annotations

import json
import re

import pytest

from govlake import pipeline
from govlake.checksum import spark_content_checksum

pytestmark = pytest.mark.integration

THEMES = {"theme_party_building", "theme_disputes", "theme_public_order", "theme_public_safety",
          "theme_cyber_security", "theme_harmonious_city"}
REQUIRED = THEMES | {
    "dim_district", "dim_street", "dim_community", "dim_grid", "dim_person", "dim_date",
    "fct_police_incidents", "fct_hotline_tickets", "fct_urban_cases", "fct_disputes", "fct_dispute_escalations",
    "fct_health_events", "fct_public_opinion_posts", "fct_party_activities", "fct_assistance_payments",
    "community_portrait", "key_person_alerts", "reconciliation_findings", "governance_kpis",
}
# a clear ID number or mobile standing alone (not inside a longer code such as a dispute id
# "JF420115202601040001" or a 64-hex token); ID candidates must also pass the check character
ID_18 = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")


def _looks_personal(value: str) -> bool:
    from govlake.identity import is_valid_id

    return any(is_valid_id(m) for m in ID_18.findall(value)) or bool(MOBILE.search(value))


def _content(spark, table: str):
    """(rows, checksum) of a table's content, independent of row order and of float noise."""
    return spark_content_checksum(spark.table(table))


def _gold_tables(spark, s) -> list[str]:
    gold = s.schema("gold")
    return sorted(r.tableName for r in spark.sql(f"SHOW TABLES IN {gold}").collect() if not r.isTemporary)


def test_dbt_build_passes_every_model_seed_test_and_unit_test(gold_build, gold_world, spark):
    s = gold_world[0]
    kinds: dict[str, int] = {}
    for r in gold_build.results:
        kinds[r["resource_type"]] = kinds.get(r["resource_type"], 0) + 1
    bad = [r for r in gold_build.results if r["status"] not in ("success", "pass")]
    assert gold_build.ok and not bad, bad[:5]
    assert kinds.get("model", 0) >= len(REQUIRED) and kinds.get("seed", 0) >= 5, kinds
    assert kinds.get("test", 0) >= 100 and kinds.get("unit_test", 0) >= 15, kinds
    # the cheap column checks run as one test per model or source (tests/generic/test_column_checks.sql)
    assert sum("column_checks" in r["name"] for r in gold_build.results) >= 50
    leftovers = [t.name for t in spark.catalog.listTables(s.schema("gold")) if t.isTemporary]
    assert not leftovers, f"dbt left session temp views behind: {leftovers}"  # they show in every schema
    missing = REQUIRED - set(_gold_tables(spark, s))
    assert not missing, f"gold lacks {sorted(missing)}"
    for t in THEMES | {"governance_kpis", "community_portrait", "fct_police_incidents", "fct_hotline_tickets"}:
        assert spark.table(f"{s.schema('gold')}.{t}").limit(1).count() == 1, f"{t} is empty"


def test_themes_cover_every_hierarchy_level(gold_world, spark):
    s = gold_world[0]
    for t in THEMES - {"theme_party_building"}:  # party data stop at community (no grid)
        levels = {r[0] for r in spark.table(f"{s.schema('gold')}.{t}").select("hierarchy_level").distinct().collect()}
        assert {"city", "district", "street", "community"} <= levels, (t, levels)


def test_a_second_build_without_new_data_leaves_every_gold_table_unchanged(gold_world, spark):
    s = gold_world[0]
    tables = _gold_tables(spark, s)
    before = {t: _content(spark, f"{s.schema('gold')}.{t}") for t in tables}
    res = pipeline.build_gold(s, echo=print)
    after = {t: _content(spark, f"{s.schema('gold')}.{t}") for t in tables}
    # the batch's build (settings default) leaves dbt's unit tests out: they test logic, not data
    assert {r["resource_type"] for r in res.results} >= {"model", "test"}
    assert not [r for r in res.results if r["resource_type"] == "unit_test"]
    changed = {t: (before[t], after[t]) for t in tables if before[t] != after[t]}
    assert not changed, changed
    assert sum(n for n, _ in before.values()) > 10_000


def test_community_portrait_publishes_no_count_below_five_through_trino(gold_world):
    from govlake.trino_client import query

    s = gold_world[0]
    t = f"{s.trino.catalog}.{s.schema('gold')}.community_portrait"
    small, unflagged, published = query(s, f"""
        SELECT count_if(value < 5), count_if((value IS NULL) <> is_suppressed), count_if(value IS NOT NULL)
        FROM {t}""")[0]
    assert small == 0 and unflagged == 0
    assert published > 0  # the city is small, but some cells (residents of big communities) are published


def test_no_personal_data_reaches_gold(gold_world, spark):
    """No clear ID number, mobile or name from the deliveries appears in any gold string column."""
    s, out, _, _ = gold_world
    names, ids = set(), set()
    for path in (out / "landing" / "civil_affairs_residents").rglob("*.csv"):
        for line in path.read_bytes().decode("gbk", errors="replace").splitlines()[1:200]:
            cells = line.split(",")
            if len(cells) > 2:
                ids.add(cells[0].strip())
                names.add(cells[1].strip())
    ids = {i for i in ids if ID_18.fullmatch(i)}
    names = {n for n in names if len(n) >= 2}
    assert len(ids) > 50 and len(names) > 50
    from pyspark.sql import functions as F

    for t in _gold_tables(spark, s):
        df = spark.table(f"{s.schema('gold')}.{t}")
        assert not {c.lower() for c in df.columns} & {"name", "id_number", "mobile", "address", "caller_name"}, t
        strings = [f.name for f in df.schema.fields if f.dataType.simpleString() == "string"]
        if not strings:
            continue
        values = {v for r in df.select(F.explode(F.array(*[F.col(c) for c in strings]))).distinct().collect()
                  for v in [r[0]] if v}
        leaked = [v for v in values if v in ids or v in names or _looks_personal(v)]
        assert not leaked, (t, leaked[:3])


def test_reconciliation_finds_the_injected_contradictions(gold_world, spark):
    from govlake.findings import token_key
    from govlake.reconciliation_eval import evaluate_file

    s, out, _, _ = gold_world
    rows = spark.table(f"{s.schema('gold')}.reconciliation_findings").select("finding_type", "person_id").collect()
    ev = evaluate_file([(r[0], r[1]) for r in rows], out / "ground_truth" / "defects.jsonl", token_key(s))
    print("\n".join(ev.lines()))
    assert ev.overall.expected >= 6
    assert ev.overall.recall >= 0.95 and ev.overall.precision >= 0.95, ev.lines()


def test_a_stewards_decision_survives_the_next_run(gold_world, spark):
    from govlake.findings import append_decision

    s = gold_world[0]
    table = f"{s.schema('gold')}.reconciliation_findings"
    finding = spark.table(table).where("status = 'open'").orderBy("finding_id").first()
    assert finding is not None
    import datetime as dt

    append_decision(s, (finding.finding_id, "confirmed", "test-steward", dt.datetime.now(dt.UTC), "checked"),
                    spark=spark)
    pipeline.build_gold(s, echo=print, select=["reconciliation_findings", "reconciliation_summary"])
    again = spark.table(table).where(f"finding_id = '{finding.finding_id}'").collect()
    assert [r.status for r in again] == ["confirmed"]
    others = spark.table(table).where(f"finding_id <> '{finding.finding_id}' AND status <> 'open'").count()
    assert others == 0


def test_every_alert_names_its_rule_and_the_events_behind_it(gold_world, spark):
    s = gold_world[0]
    alerts = spark.table(f"{s.schema('gold')}.key_person_alerts").collect()
    rules = {r.rule_id for r in spark.table(f"{s.schema('gold')}.key_person_alert_rules").collect()}
    assert len(rules) >= 4
    for a in alerts:
        assert a.rule_id in rules and a.alert_id and a.event_ids and a.first_seen <= a.last_seen, a
    assert len({a.alert_id for a in alerts}) == len(alerts)


def test_dbt_docs_generate_works(gold_world):
    from govlake.dbt import project_dir, run_dbt

    s = gold_world[0]
    res = run_dbt(s, ["docs", "generate"])
    assert res.ok
    catalog = json.loads((project_dir(s) / "target" / "catalog.json").read_text())
    assert any(k.endswith(".governance_kpis") for k in catalog["nodes"])
