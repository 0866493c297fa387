"""Row rules from the contracts, evaluated by Spark on small frames."""

import datetime as dt

import pytest
from pyspark.sql import functions as F

from govlake.contracts import contract
from govlake.identity import make_id
from spark_jobs.transforms.contract_rules import evaluate_rules, missing_columns, parse_typed, split

pytestmark = pytest.mark.spark
AS_OF = dt.datetime(2026, 1, 6, 16, 0, 0)  # UTC = 2026-01-07 00:00 in Wuhan
GOOD_A = make_id("420102", dt.date(1980, 5, 1), 3, "M")
GOOD_B = make_id("420102", dt.date(1975, 2, 3), 4, "F")


@pytest.fixture(scope="module")
def reference(spark):
    return spark.createDataFrame(
        [("district", "420102"), ("street", "420102002"), ("community", "420102002003"),
         ("grid", "420102002003001")], "level string, code string")


def dispute(**over):
    row = {"dispute_id": "JF1", "dispute_type": "邻里纠纷", "level": "1", "grid_code": "420102002003001",
           "party_a_id": GOOD_A, "party_a_name": "甲", "party_b_id": GOOD_B, "party_b_name": "乙", "summary": "s",
           "reported_at": "2026-01-05 10:00:00", "escalations": "1@2026-01-05T10:00:00", "outcome": "化解中",
           "closed_at": None, "mediator_code": "W1", "updated_at": "2026-01-05 10:00:00"}
    row.update(over)
    return row


CASES = {
    "clean": (dispute(), []),
    "repairable id": (dispute(party_a_id=GOOD_A.lower().translate(str.maketrans("0123", "０１２３"))), []),
    "bad check char": (dispute(dispute_id="JF2", party_b_id=GOOD_B[:-1] + ("1" if GOOD_B[-1] != "1" else "2")),
                       [("resident_id", "party_b_id", "quarantine", "id_check_char")]),
    "impossible birth": (dispute(dispute_id="JF3", party_a_id=GOOD_A[:10] + "1332" + GOOD_A[14:]),
                         [("resident_id", "party_a_id", "quarantine", "id_birth_date")]),
    "unknown grid": (dispute(dispute_id="JF4", grid_code="420118002003001"),
                     [("grid_code", "grid_code", "quarantine", "unknown grid code")]),
    "missing required": (dispute(dispute_id="JF5", dispute_type=""), [("required", "dispute_type", "quarantine",
                                                                       "missing")]),
    "level out of range": (dispute(dispute_id="JF6", level="5"), [("in_range", "level", "quarantine", "out of range")]),
    "unparseable": (dispute(dispute_id="JF7", level="二"), [("parseable", "level", "quarantine",
                                                              "cannot read as int")]),
    "future": (dispute(dispute_id="JF8", updated_at="2026-02-05 10:00:00"),
               [("not_future", "updated_at", "quarantine", "after the delivery time")]),
    "out of order": (dispute(dispute_id="JF9", outcome="调解成功", closed_at="2026-01-04 09:00:00"),
                     [("lifecycle_order", "closed_at", "quarantine", "earlier than a previous step")]),
    "not in set": (dispute(dispute_id="JF10", outcome="已解决"), [("in_set", "outcome", "quarantine",
                                                                 "value not in the allowed set")]),
}


def cases_frame(spark):
    c = contract("disputes")
    t = c.table()
    names = [col.name for col in t.columns]
    rows = [tuple(case[0][n] for n in names) for case in CASES.values()]
    return c, t, spark.createDataFrame(rows, ", ".join(f"{n} string" for n in names))


def test_each_rule_reports_its_violation(spark, reference):
    c, t, df = cases_frame(spark)
    checked = evaluate_rules(parse_typed(df, t), c, t, AS_OF, reference).collect()
    for (name, (_, expected)), row in zip(CASES.items(), checked, strict=True):
        got = [(v.rule, v.column, v.severity, v.reason) for v in row["_violations"]]
        assert got == expected, name


def test_typed_values_and_utc(spark, reference):
    c = contract("disputes")
    t = c.table()
    names = [col.name for col in t.columns]
    df = spark.createDataFrame([tuple(dispute()[n] for n in names)], ", ".join(f"{n} string" for n in names))
    r = parse_typed(df, t).collect()[0]
    assert r.level == 1 and r._raw_level == "1"
    assert r.reported_at == dt.datetime(2026, 1, 5, 2, 0, 0)  # 10:00 in Wuhan is 02:00 UTC (session zone UTC)


def test_split_keeps_warnings_and_quarantines_the_rest(spark, reference):
    c, t, df = cases_frame(spark)
    ok, bad = split(evaluate_rules(parse_typed(df, t), c, t, AS_OF, reference))
    assert ok.count() + bad.count() == len(CASES)
    assert {r.dispute_id for r in ok.collect()} == {"JF1"}  # clean and repairable share JF1


def test_nested_persons_and_missing_columns(spark, reference):
    c = contract("police_incidents")
    t = c.table()
    persons = "array<struct<role:string,id_number:string,name:string,mobile:string,community_code:string>>"
    df = spark.createDataFrame(
        [("JQ1", [("报警人", GOOD_A, "甲", "13800138000", "420102002003")]),
         ("JQ2", [("报警人", GOOD_A, "甲", "1380013800", None), ("当事人", GOOD_B[:-1] + "Y", "乙", None, None)])],
        f"incident_id string, persons {persons}")
    typed = parse_typed(df, t).withColumn("status", F.lit("接警")).withColumn("category_code", F.lit("0101"))
    got = {r.incident_id: sorted((v.rule, v.column) for v in r._violations)
           for r in evaluate_rules(typed, c, t, AS_OF, reference).collect()}
    assert ("resident_id", "persons[].id_number") not in got["JQ1"]
    assert ("resident_id", "persons[].id_number") in got["JQ2"] and ("mobile", "persons[].mobile") in got["JQ2"]
    assert missing_columns(["纠纷编号", "纠纷类型"], contract("disputes").table())[:2] == ["当前层级", "网格编码"]
