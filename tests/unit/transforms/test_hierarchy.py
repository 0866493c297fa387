"""Division codes onto the hierarchy by the code table's parent links (not by code prefixes)."""

import pytest
from pyspark.testing import assertDataFrameEqual

from govlake.contracts import contract, hierarchy_columns
from spark_jobs.transforms.hierarchy import add_hierarchy

REF = [("district", "420102", "江岸区", "4201"), ("street", "420102001", "街", "420102"),
       ("community", "420102001001", "社区", "420102001"), ("grid", "420102001001001", "网格", "420102001001"),
       # a function-zone grid whose code does not start with its parents' codes
       ("grid", "420118005007001", "功能区网格", "420102001001")]


def test_columns_added_per_table():
    assert hierarchy_columns(contract("hotline_12345").table()) == ["community_code", "street_code", "district_code"]
    assert hierarchy_columns(contract("civil_affairs_residents").table()) == ["street_code", "district_code"]
    assert hierarchy_columns(contract("police_incidents").table()) == ["community_code", "street_code"]
    assert hierarchy_columns(contract("public_opinion").table()) == []


@pytest.mark.spark
def test_grids_and_communities_get_their_parents(spark):
    ref = spark.createDataFrame(REF, "level string, code string, name string, parent_code string")
    tickets = spark.createDataFrame([("T1", "420102001001001"), ("T2", "420118005007001"), ("T3", "999")],
                                    "ticket_id string, grid_code string")
    assertDataFrameEqual(add_hierarchy(tickets, contract("hotline_12345").table(), ref), spark.createDataFrame([
        ("T1", "420102001001001", "420102001001", "420102001", "420102"),
        ("T2", "420118005007001", "420102001001", "420102001", "420102"),  # by parent links, not by prefix
        ("T3", "999", None, None, None),  # unknown codes were quarantined before; nothing invented
    ], "ticket_id string, grid_code string, community_code string, street_code string, district_code string"))
    pay = spark.createDataFrame([("P1", "420102001001")], "payment_id string, community_code string")
    assertDataFrameEqual(add_hierarchy(pay, contract("civil_affairs_assistance").table(), ref),
                         spark.createDataFrame([("P1", "420102001001", "420102001", "420102")],
                                               "payment_id string, community_code string, street_code string, "
                                               "district_code string"))


@pytest.mark.spark
def test_division_merge_source_closes_changed_and_gone_codes_and_inserts_new_versions(spark):
    from spark_jobs.transforms.hierarchy import division_merge_source, division_row_hash

    schema = "level string, code string, name string, parent_code string"
    yesterday = spark.createDataFrame(REF[:4], schema)
    current = division_row_hash(yesterday).select("code", "row_hash")
    today = spark.createDataFrame([
        REF[0],                                                    # unchanged
        ("street", "420102001", "新街道", "420102"),                 # renamed
        REF[3],                                                    # unchanged
        ("grid", "420102001001002", "新网格", "420102001001"),       # new code
    ], schema)                                                     # community 420102001001 is gone
    rows = division_merge_source(current, today).select("code", "_merge_key", "_gone")
    assertDataFrameEqual(rows, spark.createDataFrame([
        ("420102", "420102", False), ("420102001001001", "420102001001001", False),  # match: left alone
        ("420102001", "420102001", False),   # matches the open version with another hash: closed
        ("420102001", None, False),          # … and inserted again as a new version
        ("420102001001002", "420102001001002", False),  # no open version: inserted
        ("420102001001", "420102001001", True),          # gone: closed
    ], "code string, _merge_key string, _gone boolean"))
    unchanged = [r for r in division_merge_source(current, yesterday).collect() if r._merge_key is None or r._gone]
    assert unchanged == []  # the same table again changes nothing
