"""The pure steps of bronze → silver around the rules: headers, quarantine rows, duplicates against
what silver holds, status history and the counts the accounting is made of."""

import datetime as dt
import json

import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from govlake.contracts import contract
from spark_jobs.transforms.silver import (
    batch_counts,
    counts_by_delivery,
    delivery_header,
    delivery_time,
    fresh_rows,
    gated_rows,
    history_rows,
    mark_stale,
    rejected_rows,
    stale_counts,
    target_columns,
    upsert_keys,
    violation_rows,
    without_deliveries,
)

QUARANTINE = ("delivery_id string, source_file string, line int, table_name string, rule string, "
              "column_name string, reason string, violations string, record string")
BRONZE = "_delivery_id string, _source_file string, _line int, _record string"


def test_delivery_time_is_the_end_of_the_day_in_wuhan_as_utc():
    assert delivery_time(dt.date(2026, 1, 7)) == dt.datetime(2026, 1, 7, 15, 59, 59)


def test_delivery_header_by_format():
    disputes, party = contract("disputes"), contract("party_building")
    assert delivery_header(disputes, disputes.table(), '纠纷编号,"纠纷,类型"') == ["纠纷编号", "纠纷,类型"]
    sheets = json.dumps({"党员名册": ["党员编号", "姓名"], "组织生活": ["活动编号"]}, ensure_ascii=False)
    members = next(t for t in party.tables if t.sheet == "党员名册")
    assert delivery_header(party, members, sheets) == ["党员编号", "姓名"]
    assert delivery_header(party, members, None) == []
    assert delivery_header(contract("hotline_12345"), contract("hotline_12345").table(), None) is None


@pytest.mark.spark
def test_rejected_and_violating_rows_become_quarantine_rows(spark):
    bronze = spark.createDataFrame([("d1", "f.csv", 2, "a,b")], BRONZE)
    assertDataFrameEqual(
        rejected_rows(bronze, "disputes", "missing required column(s) 网格编码").drop("quarantined_at"),
        spark.createDataFrame([("d1", "f.csv", 2, "disputes", "required_columns", None,
                                "missing required column(s) 网格编码", None, "a,b")], QUARANTINE))
    violations = "array<struct<rule:string,column:string,severity:string,reason:string>>"
    bad = spark.createDataFrame(
        [("d1", "f.csv", 3, "x", [("in_range", "level", "quarantine", "out of range"),
                                  ("required", "summary", "quarantine", "missing")])],
        f"{BRONZE}, _violations {violations}")
    got = violation_rows(bad, "disputes")
    assert dict(got.dtypes)["quarantined_at"] == "timestamp"
    assertDataFrameEqual(got.drop("quarantined_at"), spark.createDataFrame([(
        "d1", "f.csv", 3, "disputes", "in_range", "level", "out of range",
        '[{"rule":"in_range","column":"level","severity":"quarantine","reason":"out of range"},'
        '{"rule":"required","column":"summary","severity":"quarantine","reason":"missing"}]', "x")], QUARANTINE))


@pytest.mark.spark
def test_a_blocked_delivery_is_quarantined_with_the_gate_reason(spark):
    kept = spark.createDataFrame([("d1", "a", 1, "r1"), ("d2", "b", 1, "r2"), ("d2", "b", 2, "r3")], BRONZE)
    got = gated_rows(kept, "tickets", {"d2": "expect_column_values_to_not_be_null failed"}).drop("quarantined_at")
    why = "expect_column_values_to_not_be_null failed"
    assertDataFrameEqual(got, spark.createDataFrame(
        [("d2", "b", 1, "tickets", "quality_gate", None, why, None, "r2"),
         ("d2", "b", 2, "tickets", "quality_gate", None, why, None, "r3")], QUARANTINE))
    assertDataFrameEqual(without_deliveries(kept, {"d2": why}), kept.where("_delivery_id = 'd1'"))


@pytest.mark.spark
def test_rows_silver_holds_as_new_or_newer_from_another_delivery_are_stale(spark):
    table = contract("disputes").table()
    keys = upsert_keys(table, ["dispute_id", "updated_at", "_delivery_id"])
    assert keys == ["dispute_id"] and target_columns(table, keys) == ["dispute_id", "_delivery_id", "updated_at"]
    t = dt.datetime(2026, 1, 5, 2, 0)
    later = t + dt.timedelta(hours=1)
    held = spark.createDataFrame([("J1", "old", t), ("J2", "old", t), ("J3", "d2", later)],
                                 "dispute_id string, _delivery_id string, updated_at timestamp")
    rows = spark.createDataFrame(
        [("J1", "d2", later, "newer"), ("J2", "d2", t, "as new"), ("J3", "d2", t, "rerun of d2"),
         ("J4", "d2", t, "unknown key"), ("J5", "d3", t, "unknown key")],
        "dispute_id string, _delivery_id string, updated_at timestamp, summary string")
    matched = mark_stale(rows, held, table, keys)
    got = {r.dispute_id: (r._exists, r._stale) for r in matched.collect()}
    assert got == {"J1": (True, False), "J2": (True, True), "J3": (False, False), "J4": (False, False),
                   "J5": (False, False)}
    assert stale_counts(matched) == {"d2": (3, 1), "d3": (1, 0)}
    assertDataFrameEqual(fresh_rows(matched), rows.where("dispute_id <> 'J2'"))


@pytest.mark.spark
def test_status_history_keeps_each_status_once(spark):
    table = contract("disputes").table()
    t = dt.datetime(2026, 1, 5, 2, 0)
    rows = spark.createDataFrame(
        [("J1", "化解中", t, None, t, "d1", "a.csv", 2, "s"),
         ("J1", "化解中", t, None, t, "d2", "b.csv", 7, "s"),  # the same version delivered again
         ("J1", "调解成功", t, t, t + dt.timedelta(days=1), "d2", "b.csv", 8, "s")],
        "dispute_id string, outcome string, reported_at timestamp, closed_at timestamp, updated_at timestamp, "
        "_delivery_id string, _source_file string, _line int, summary string")
    got = history_rows(rows, table)
    assert got.columns == ["dispute_id", "outcome", "reported_at", "closed_at", "updated_at", "_delivery_id",
                           "_source_file", "_line"]
    assert sorted((r.outcome, r.updated_at) for r in got.collect()) == [
        ("化解中", t), ("调解成功", t + dt.timedelta(days=1))]


@pytest.mark.spark
def test_counts_and_drift_per_delivery(spark):
    df = spark.createDataFrame([("d1", None), ("d1", {"备注": "x"}), ("d2", {"备注": "y", "来源": "z"}), ("d2", None)],
                               "_delivery_id string, _extra map<string,string>")
    assert counts_by_delivery(df) == {"d1": 2, "d2": 2}
    assert counts_by_delivery(df.where(F.lit(False))) == {}


@pytest.mark.spark
def test_batch_counts_rows_invalid_and_drift_of_passing_rows_in_one_aggregate(spark):
    v = "array<struct<rule:string,column:string,severity:string,reason:string>>"
    q, w = [("mobile", "m", "quarantine", "bad")], [("mobile", "m", "warn", "odd")]
    df = spark.createDataFrame(
        # a quarantined row's drift is not counted: it does not reach silver
        [("d1", None, []), ("d1", {"备注": "x"}, w), ("d1", {"来源": "q"}, q),
         ("d2", {"备注": "y", "来源": "z"}, []), ("d2", None, q), ("d2", None, q), ("d3", None, [])],
        f"_delivery_id string, _extra map<string,string>, _violations {v}")
    got = batch_counts(df)
    assert got.rows == {"d1": 3, "d2": 3, "d3": 1}
    assert got.invalid == {"d1": 1, "d2": 2}
    assert got.drift == {"d1": {"备注"}, "d2": {"备注", "来源"}}
    assert batch_counts(df.where(F.lit(False))).rows == {}
