"""Division codes onto the hierarchy by the code table's parent links (not by code prefixes)."""

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


def test_grids_and_communities_get_their_parents(spark):
    ref = spark.createDataFrame(REF, "level string, code string, name string, parent_code string")
    tickets = spark.createDataFrame([("T1", "420102001001001"), ("T2", "420118005007001"), ("T3", "999")],
                                    "ticket_id string, grid_code string")
    out = {r.ticket_id: r for r in add_hierarchy(tickets, contract("hotline_12345").table(), ref).collect()}
    assert (out["T1"].community_code, out["T1"].street_code, out["T1"].district_code) == (
        "420102001001", "420102001", "420102")
    assert out["T2"].district_code == "420102"  # by parent links, not by prefix
    assert out["T3"].district_code is None  # unknown codes were quarantined before; nothing invented
    pay = spark.createDataFrame([("P1", "420102001001")], "payment_id string, community_code string")
    [row] = add_hierarchy(pay, contract("civil_affairs_assistance").table(), ref).collect()
    assert (row.street_code, row.district_code) == ("420102001", "420102")
