"""Steward quality report: masking, figures and rendering on plain Python data (no services)."""

import datetime as dt
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govlake.contracts import contract
from govlake.identity import is_valid_id, is_valid_mobile, make_id
from govlake.report.departments import Department, departments, select_departments
from govlake.report.figures import build_feed, deadline, missing_columns_in_reason
from govlake.report.html import bar_chart, line_chart, render_department, render_index
from govlake.report.masking import mask_id, mask_mobile, mask_record, mask_text, scrub
from govlake.report.queries import DepartmentReport, Query, Tables, sql_samples, sql_violations

ID_A = make_id("420102", dt.date(1985, 3, 14), 7, "M")
ID_B = make_id("420111", dt.date(1992, 11, 2), 31, "F")
MOBILE_A, MOBILE_B = "13812345678", "15971234567"
NAME_A, NAME_B = "欧阳建国", "李秀英"
ADDRESS = "花山社区12号301室"
UTC = dt.UTC


def test_masks_keep_only_the_agreed_characters():
    assert mask_id("420102199003071233") == "420102***********3"
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_text("张三") == "张*" and mask_text(NAME_A) == "欧*" and mask_text("张") == "*"
    assert mask_id("42010280010112") == "420102*******2"  # any length: 6 + 1 kept
    assert mask_mobile("12345") == "*****"


def test_scrub_masks_ids_and_mobiles_in_free_text_but_not_codes_or_tokens():
    text = f"call {MOBILE_A} about {ID_A}; grid 420102001001002; token a1b2{MOBILE_B}c3; +86{MOBILE_B}"
    out = scrub(text)
    assert ID_A not in out and MOBILE_A not in out and "+86" + MOBILE_B not in out
    assert "420102001001002" in out and f"a1b2{MOBILE_B}c3" in out
    assert mask_id(ID_A) in out and mask_mobile(MOBILE_A) in out


def test_scrub_catches_full_width_and_lowercase_x_ids():
    fw = ID_A.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert fw not in scrub(f"id {fw}")
    low = "11010519491231002x"
    assert low not in scrub(f"[{low}]")


def residents_header() -> list[str]:
    return [c.source for c in contract("civil_affairs_residents").table().columns]


def residents_line(header=None, **over) -> str:
    values = {"公民身份号码": ID_A, "姓名": NAME_A, "性别": "男", "出生日期": "1985-03-14", "联系电话": MOBILE_A,
              "户号": "H0001", "人口类型": "户籍", "社区代码": "420102001001", "网格编码": "420102001001001",
              "居住地址": ADDRESS, "特殊人群": "低保", "是否党员": "否", "快照日期": "2026-01-03"}
    values.update(over)
    return ",".join(values.get(h, "") for h in header or residents_header())


def clear_values_absent(text: str) -> None:
    for v in (ID_A, ID_B, MOBILE_A, MOBILE_B, NAME_A, NAME_B, ADDRESS, NAME_A[1:], NAME_B[1:]):
        assert v not in text, v
    for m in re.findall(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])", text):
        assert not is_valid_id(m.upper()), m
    for m in re.findall(r"(?<![0-9A-Za-z])1[3-9][0-9]{9}(?![0-9A-Za-z])", text):
        assert not is_valid_mobile(m), m


def test_csv_record_is_masked_by_the_delivered_header():
    c = contract("civil_affairs_residents")
    m = mask_record(residents_line(), "csv", c.table(), residents_header(), violated=["mobile"])
    clear_values_absent(m.text)
    fields = {k: v for k, v, _ in m.fields}
    assert fields["公民身份号码"] == mask_id(ID_A)
    assert fields["联系电话"] == "138****5678"
    assert fields["姓名"] == "欧*" and fields["居住地址"] == "花*"
    assert fields["社区代码"] == "420102001001" and fields["户号"] == "H0001"  # quasi / none stay
    assert fields["特殊人群"] == "[redacted]"  # sensitive, not named by a violation
    assert [k for k, _, hit in m.fields if hit] == ["联系电话"]


def test_csv_record_with_a_renamed_or_reordered_header_is_still_masked():
    header = residents_header()
    i, j = header.index("姓名"), header.index("户号")
    header[i], header[j] = header[j], header[i]  # the department swapped two columns
    line = residents_line(header)  # values follow the delivered order
    m = mask_record(line, "csv", contract("civil_affairs_residents").table(), header)
    clear_values_absent(m.text)


def test_a_field_outside_the_contract_is_masked_wholesale():
    header = [*residents_header(), "备注"]  # schema drift: an added column
    line = residents_line() + f",{NAME_B}的邻居 {ID_B[:10]}"
    m = mask_record(line, "csv", contract("civil_affairs_residents").table(), header)
    clear_values_absent(m.text)
    assert dict((k, v) for k, v, _ in m.fields)["备注"] == "李* " + ID_B[:3] + "******" + ID_B[9]


def test_csv_record_that_does_not_fit_the_header_is_masked_wholesale():
    line = residents_line() + f",{NAME_B},{ID_B},{MOBILE_B}"  # three fields too many
    m = mask_record(line, "csv", contract("civil_affairs_residents").table(), residents_header())
    assert m.fields is None
    clear_values_absent(m.text)
    m = mask_record(f'"{NAME_A}",{ID_A[:9]}', "csv", contract("civil_affairs_residents").table(), None)
    clear_values_absent(m.text)
    assert ID_A[:9] not in m.text


def test_json_record_is_masked_by_key_including_added_and_nested_fields():
    rec = {"ticket_id": "T1", "channel": "电话", "caller_name": NAME_B, "caller_mobile": MOBILE_B,
           "caller_id_number": ID_B, "content": f"{NAME_A}说{MOBILE_A}", "caller_phone_2": "13912345678",
           "caller_district": "江岸区", "grid_code": "420102001001001"}
    m = mask_record(json.dumps(rec, ensure_ascii=False), "jsonl", contract("hotline_12345").table(), None)
    clear_values_absent(m.text)
    out = json.loads(m.text)
    assert out["caller_name"] == "李*" and out["caller_mobile"] == "159****4567"
    assert out["content"] == "[redacted]" and out["caller_phone_2"] == "139****5678"
    assert out["grid_code"] == "420102001001001" and out["ticket_id"] == "T1"
    assert out["caller_district"] == "江*"  # not in the contract: masked wholesale

    persons = [{"role": "报警人", "id_number": ID_A, "name": NAME_A, "mobile": MOBILE_A,
                "community_code": "420102001001"}]
    rec = {"incident_id": "I1", "persons": persons, "summary": f"{NAME_B}报警"}
    m = mask_record(json.dumps(rec, ensure_ascii=False), "json_api", contract("police_incidents").table(), None)
    clear_values_absent(m.text)
    p = json.loads(m.text)["persons"][0]
    assert p == {"role": "报警人", "id_number": mask_id(ID_A), "name": "欧*", "mobile": "138****5678",
                 "community_code": "420102001001"}


def test_xlsx_record_masks_by_sheet_header_keys():
    t = contract("party_building").table("party_members")
    rec = {"党员编号": "P1", "身份证号": ID_A, "姓名": NAME_B, "支部编码": "B1", "社区代码": "420102001001"}
    m = mask_record(json.dumps(rec, ensure_ascii=False), "xlsx", t, None)
    clear_values_absent(m.text)
    assert json.loads(m.text)["党员编号"] == "P1"


def test_cut_or_undecodable_records():
    cut = json.dumps({"caller_name": NAME_A, "caller_mobile": MOBILE_A}, ensure_ascii=False)[:-5]
    m = mask_record(cut, "jsonl", contract("hotline_12345").table(), None)
    assert m.fields is None
    clear_values_absent(m.text)
    assert "not decodable" in mask_record(None, "csv", None, None).text


@settings(max_examples=60, deadline=None)
@given(area=st.sampled_from(["420102", "420111", "110105", "440524"]),
       birth=st.dates(dt.date(1930, 1, 1), dt.date(2020, 12, 31)), seq=st.integers(0, 99),
       sex=st.sampled_from(["M", "F"]), mobile=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
       name=st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=2, max_size=4),
       extra=st.booleans())
def test_no_generated_identifier_survives_masking(area, birth, seq, sex, mobile, name, extra):
    pid = make_id(area, birth, seq, sex)
    line = residents_line(公民身份号码=pid, 姓名=name, 联系电话=mobile) + (f",{name},{pid}" if extra else "")
    m = mask_record(line, "csv", contract("civil_affairs_residents").table(), residents_header())
    assert pid not in m.text and mobile not in m.text and name not in m.text


# ---------------------------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------------------------
def test_deadline_is_end_of_the_shanghai_day_plus_freshness():
    assert deadline(dt.date(2026, 1, 1), 30) == dt.datetime(2026, 1, 2, 22, 0, tzinfo=UTC)
    assert deadline(dt.date(2026, 1, 1), 2) == dt.datetime(2026, 1, 1, 18, 0, tzinfo=UTC)


def test_missing_columns_are_read_from_the_rejection_reason():
    assert missing_columns_in_reason("missing required column(s) grid_code, dispute_id: delivery rejected") == 2
    assert missing_columns_in_reason("missing required column(s) grid_code") == 1
    assert missing_columns_in_reason(None) == 0 and missing_columns_in_reason("blocked by the gate") == 0


def delivery(did, day, status="landed", finished=None, rows=10, header=None):
    return {"feed": "disputes", "delivery_id": did, "source": f"disputes/{day}/d.csv", "status": status,
            "reason": None, "header": header, "delivered_on": day, "rows_read": rows,
            "finished_at": finished or dt.datetime.combine(day, dt.time(20), tzinfo=UTC)}


def acc(did, rows_in, accepted, quarantined, duplicate, status="processed", reason=None):
    return {"feed": "disputes", "table_name": "disputes", "delivery_id": did, "rows_in": rows_in,
            "rows_accepted": accepted, "rows_quarantined": quarantined, "rows_duplicate": duplicate,
            "status": status, "reason": reason}


def viol(did, rule, column, rows, first):
    return {"delivery_id": did, "table_name": "disputes", "rule": rule, "column_name": column,
            "rows_violating": rows, "rows_first": first}


def gx(did, success):
    return {"feed": "disputes", "table_name": "disputes", "delivery_id": did, "expectation": "expect_x",
            "column_name": "grid_code", "rule": "grid_code", "success": success,
            "unexpected_count": 0 if success else 4, "blocking": not success}


D1, D2, D3 = dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(2026, 1, 4)


@pytest.fixture
def feed_report():
    c = contract("disputes")
    deliveries = [
        delivery("a", D1, rows=100),
        delivery("a", D2, status="skipped_duplicate"),  # the same file again
        delivery("b", D2, rows=50, finished=dt.datetime(2026, 1, 4, 0, 0, tzinfo=UTC)),  # due 01-03 22:00 UTC
        delivery("c", D3, rows=20),
        delivery("p", D3, rows=5),  # not processed yet
    ]
    accounting = [acc("a", 100, 90, 6, 4), acc("b", 50, 45, 5, 0),
                  acc("c", 20, 0, 20, 0, "rejected", "missing required column(s) grid_code: delivery rejected")]
    violations = [viol("a", "required", "dispute_type", 4, 4), viol("a", "resident_id", "party_a_id", 3, 2),
                  viol("b", "resident_id", "party_a_id", 5, 5), viol("c", "required_columns", None, 20, 20)]
    quality = [gx("a", True), gx("a", True), gx("b", False), gx("b", True)]
    return build_feed(c, deliveries=deliveries, accounting=accounting, violations=violations, quality=quality,
                      since=D1, until=D3)


def test_period_figures(feed_report):
    t = feed_report.total
    n_req = sum(1 for col in contract("disputes").table().columns if "required" in col.rules)
    assert (t.deliveries, t.resends, t.rejected, t.pending) == (4, 1, 1, 1)
    assert (t.rows_read, t.rows_in, t.accepted, t.quarantined, t.duplicate) == (175, 170, 135, 31, 4)
    assert t.validity == pytest.approx(1 - 31 / 170)
    assert t.uniqueness == pytest.approx(1 - 4 / 170)
    # 4 missing values in a, and the whole grid_code column of the rejected delivery c
    assert t.completeness == pytest.approx(1 - (4 + 20) / (170 * n_req))
    assert (t.timed, t.on_time, t.late) == (4, 3, 1)
    assert t.consistency == pytest.approx(3 / 4)
    late = [d for d in feed_report.deliveries if d.on_time is False]
    assert [d.delivery_id for d in late] == ["b"] and late[0].late_hours == pytest.approx(2.0)


def test_days_cover_the_period_without_gaps(feed_report):
    days = feed_report.days
    assert [d for d, _ in days] == [D1, D2, dt.date(2026, 1, 3), D3]
    d2 = dict(days)[D2]
    assert (d2.deliveries, d2.resends, d2.rows_in, d2.timeliness) == (1, 1, 50, 0.0)
    assert dict(days)[dt.date(2026, 1, 3)].validity is None  # no delivery: no figure, not 100%


def test_headline_and_top_rules(feed_report):
    h = feed_report.headline
    assert (h.deliveries, h.rows_in, h.quarantined, h.late, h.timed, h.rejected) == (4, 170, 31, 1, 4, 1)
    assert h.accepted_share == pytest.approx(135 / 170)
    assert (h.top_rule.rule, h.top_rule.column, h.top_rule.rows) == ("required_columns", None, 20)
    second = feed_report.rules[1]
    assert (second.rule, second.column, second.rows, second.first, second.deliveries) == (
        "resident_id", "party_a_id", 8, 7, 2)
    assert feed_report.gx_failures[0].failed == 1 and feed_report.gx_failures[0].unexpected == 4


def test_deliveries_without_accounting_fall_back_to_ops_deliveries():
    d = delivery("x", D1) | {"silver_status": "processed", "rows_accepted": 7, "rows_quarantined": 2,
                             "rows_duplicate": 1}
    t = build_feed(contract("disputes"), deliveries=[d]).total
    assert (t.rows_in, t.accepted, t.pending) == (10, 7, 0)


def test_departments_group_feeds_and_match_names_or_feeds():
    from govlake.contracts import all_contracts

    depts = departments(all_contracts().values())
    civil = next(d for d in depts if d.en == "Civil Affairs Bureau")
    assert civil.feeds == ["civil_affairs_assistance", "civil_affairs_residents"]
    assert civil.slug == "civil-affairs-bureau"
    assert select_departments(depts, "公安局")[0].feeds == ["police_incidents"]
    assert select_departments(depts, "civil affairs bureau") == [civil]
    assert select_departments(depts, "disputes")[0].feeds == ["disputes"]
    assert select_departments(depts, "民政") == [civil]
    assert select_departments(depts, None) == depts
    with pytest.raises(ValueError, match="known"):
        select_departments(depts, "nope")


def test_sql_names_the_prefixed_schemas():
    t = Tables("lakehouse", "it1_ops", "it1_quarantine")
    sql = sql_violations(t, "disputes", D1, D3)
    assert "lakehouse.it1_quarantine.disputes" in sql and "lakehouse.it1_ops.deliveries" in sql
    assert "DATE '2026-01-01'" in sql and "DATE '2026-01-04'" in sql
    assert "LIMIT 10" in sql_samples(t, "disputes", D1)


# ---------------------------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------------------------
def sample_rows():
    t = contract("disputes").table()
    header = [c.source for c in t.columns]
    values = {"纠纷编号": "D1", "纠纷类型": "邻里纠纷", "当前层级": "1", "网格编码": "420102001001001",
              "甲方身份证号": ID_A, "甲方姓名": NAME_A, "乙方身份证号": ID_B, "乙方姓名": NAME_B,
              "纠纷简述": f"{NAME_A}与{NAME_B}因噪音 {MOBILE_A}", "登记时间": "2026-01-01 10:00:00"}
    line = ",".join(values.get(h, "") for h in header)
    violations = json.dumps([{"rule": "resident_id", "column": "party_a_id", "severity": "quarantine",
                              "reason": f"bad check character in {ID_A}"}])
    return ",".join(header), [{"delivery_id": "a", "source_file": "disputes/2026-01-01/d.csv", "line": 2,
                               "table_name": "disputes", "rule": "resident_id", "column_name": "party_a_id",
                               "reason": "bad check character", "violations": violations, "record": line}]


def test_rendered_pages_hold_the_figures_and_no_clear_personal_data():
    header, samples = sample_rows()
    for s in samples:
        s["header"] = header
    c = contract("disputes")
    f = build_feed(c, deliveries=[delivery("a", D1, header=header)], accounting=[acc("a", 10, 8, 2, 0)],
                   violations=[viol("a", "resident_id", "party_a_id", 2, 2)], samples=samples, since=D1, until=D1)
    dept = Department(c.department.zh, c.department.en, [c])
    r = DepartmentReport(dept, D1, D1, [f], [Query("deliveries", "SELECT 1")], [])
    page = render_department(r, dt.datetime(2026, 1, 2, tzinfo=UTC), "lakehouse")
    clear_values_absent(page)
    assert mask_id(ID_A) in page and "欧*" in page
    assert page.index("入库率 Accepted") < page.index("Top failing rules") < page.index("Where these figures")
    assert "80.0%" in page and "<svg" in page and "SELECT 1;" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # works offline: nothing external
    index = render_index([r], dt.datetime(2026, 1, 2, tzinfo=UTC), "lakehouse", None, "Not built.")
    assert f"{dept.slug}.html" in index and "Not built." in index


def test_charts_are_inline_svg_and_break_lines_at_missing_days():
    days = [D1, D2, dt.date(2026, 1, 3)]
    svg = line_chart(days, {"validity": [0.9, None, 1.0]}, "t")
    assert svg.startswith("<svg") and "<polyline" not in svg and svg.count("<circle") == 2
    svg = bar_chart(days, {"accepted": [5, 0, 3], "quarantined": [1, 0, 0]}, "t")
    assert svg.count("<rect") == 3 + 2  # three bars with a value + two legend keys
    assert line_chart([], {}, "t") == ""
