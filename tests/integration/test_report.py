"""`govlake report quality` on the real platform: ops and quarantine tables written by Spark in
private schemas (prefix), read through Trino, rendered to HTML with masked samples."""

import datetime as dt
import json
import re

import pytest
from typer.testing import CliRunner

from govlake.cli import app
from govlake.contracts import contract
from govlake.identity import is_valid_id, is_valid_mobile, make_id
from spark_jobs.io import ensure_table
from spark_jobs.ops import ACCOUNTING_COLUMNS, DELIVERIES_COLUMNS, QUALITY_COLUMNS, QUARANTINE_COLUMNS
from tests.integration.warehouse import prefixed_layers

UTC = dt.UTC
IDS = [make_id("420102", dt.date(1980, 5, 17), 12, "M"), make_id("420106", dt.date(1993, 8, 2), 40, "F"),
       make_id("420111", dt.date(1961, 12, 30), 3, "M")]
MOBILES = ["13871234567", "18627654321", "15902713579"]
NAMES = ["欧阳志远", "王秀兰", "陈建华"]
ADDRESS = "水果湖社区88号502室"


@pytest.fixture(scope="module")
def layers(spark):
    with prefixed_layers(spark, ("ops", "quarantine")) as s:
        yield s


def _ddl(columns: str) -> str:
    return (columns.replace(" STRING", " string").replace(" BIGINT", " bigint").replace(" INT", " int")
            .replace(" DOUBLE", " double").replace(" BOOLEAN", " boolean").replace(" TIMESTAMP", " timestamp")
            .replace(" DATE", " date"))


def _put(spark, table: str, columns: str, rows: list[tuple]) -> None:
    ensure_table(spark, table, columns)
    spark.createDataFrame(rows, _ddl(columns)).write.format("delta").mode("append").saveAsTable(table)


def _ts(day: str, hh: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hh), tzinfo=UTC)


def _disputes_line(header: list[str], **values: str) -> str:
    return ",".join(values.get(h, "") for h in header)


@pytest.fixture(scope="module")
def ops_rows(spark, layers):
    """Two departments: disputes (CSV, 2 deliveries + a resend) and the 12345 hotline (JSON Lines)."""
    ops, q = layers.schema("ops"), layers.schema("quarantine")
    header = [c.source for c in contract("disputes").table().columns]
    hdr = ",".join(header)
    d = lambda *a: (*a, *[None] * 8)  # noqa: E731 - range and silver columns
    _put(spark, f"{ops}.deliveries", DELIVERIES_COLUMNS, [
        d("disputes", "dsp1", "disputes/2026-01-01/disputes_2026-01-01.csv", "s1", 900, 10, "landed", None, hdr,
          dt.date(2026, 1, 1), _ts("2026-01-01", 19), _ts("2026-01-01", 20)),
        # due by the end of 01-02 in Wuhan + 30 h = 01-03 22:00 UTC; landed 01-05: late
        d("disputes", "dsp2", "disputes/2026-01-02/disputes_2026-01-02.csv", "s2", 500, 5, "landed", None, hdr,
          dt.date(2026, 1, 2), _ts("2026-01-05", 0), _ts("2026-01-05", 1)),
        d("disputes", "dsp1", "disputes/2026-01-03/disputes_2026-01-01_resend.csv", "s1", 900, 10,
          "skipped_duplicate", "same content as dsp1", hdr, dt.date(2026, 1, 3), _ts("2026-01-03", 20),
          _ts("2026-01-03", 20)),
        d("hotline_12345", "hot1", "hotline_12345/2026-01-02/tickets_2026-01-02.jsonl", "s3", 300, 4, "landed", None,
          None, dt.date(2026, 1, 2), _ts("2026-01-02", 18), _ts("2026-01-02", 18)),
    ])
    _put(spark, f"{ops}.silver_accounting", ACCOUNTING_COLUMNS, [
        ("disputes", "disputes", "dsp1", "a", 10, 7, 2, 1, "processed", None, _ts("2026-01-01", 21)),
        ("disputes", "disputes", "dsp2", "b", 5, 4, 1, 0, "processed", None, _ts("2026-01-05", 2)),
        ("hotline_12345", "tickets", "hot1", "c", 4, 3, 1, 0, "processed", None, _ts("2026-01-02", 19)),
    ])
    v = lambda *xs: json.dumps([{"rule": r, "column": c, "severity": "quarantine", "reason": why}  # noqa: E731
                                for r, c, why in xs], ensure_ascii=False)
    _put(spark, f"{q}.disputes", QUARANTINE_COLUMNS, [
        ("dsp1", "disputes/2026-01-01/disputes_2026-01-01.csv", 3, "disputes", "resident_id", "party_a_id",
         "bad check character",
         v(("resident_id", "party_a_id", "bad check character"), ("required", "outcome", "missing")),
         _disputes_line(header, 纠纷编号="J1", 纠纷类型="邻里纠纷", 当前层级="1", 网格编码="420102001001001",
                        甲方身份证号=IDS[0][:-1] + "0", 甲方姓名=NAMES[0], 乙方身份证号=IDS[1], 乙方姓名=NAMES[1],
                        纠纷简述=f"{NAMES[0]}与{NAMES[1]}噪音纠纷，联系{MOBILES[0]}"), _ts("2026-01-01", 21)),
        ("dsp1", "disputes/2026-01-01/disputes_2026-01-01.csv", 7, "disputes", "grid_code", "grid_code",
         "unknown grid code", v(("grid_code", "grid_code", "unknown grid code"),
                                ("resident_id", "party_a_id", "bad birth date")),
         _disputes_line(header, 纠纷编号="J2", 网格编码="420118999999999", 甲方身份证号=IDS[2], 甲方姓名=NAMES[2]),
         _ts("2026-01-01", 21)),
        ("dsp2", "disputes/2026-01-02/disputes_2026-01-02.csv", 4, "disputes", "resident_id", "party_b_id",
         "wrong length", v(("resident_id", "party_b_id", "wrong length")),
         _disputes_line(header, 纠纷编号="J3", 乙方身份证号=IDS[1] + "9", 乙方姓名=NAMES[1]) + f",{MOBILES[2]}",
         _ts("2026-01-05", 2)),
    ])
    ticket = {"ticket_id": "T9", "channel": "电话", "caller_name": NAMES[2], "caller_mobile": MOBILES[1],
              "caller_id_number": IDS[2], "content": f"{ADDRESS} 噪音，{NAMES[0]} {MOBILES[0]}", "status": "受理"}
    _put(spark, f"{q}.hotline_12345", QUARANTINE_COLUMNS, [
        ("hot1", "hotline_12345/2026-01-02/tickets_2026-01-02.jsonl", 2, "tickets", "mobile", "caller_mobile",
         "malformed mobile", v(("mobile", "caller_mobile", "malformed mobile")),
         json.dumps(ticket, ensure_ascii=False), _ts("2026-01-02", 19)),
    ])
    g = lambda did, exp, col, ok: ("disputes", "disputes", did, "disputes.disputes", exp, col, "required",  # noqa: E731
                                   "quarantine", ok, None, 10, 0 if ok else 2, 0.0 if ok else 20.0, not ok,
                                   _ts("2026-01-05", 3))
    _put(spark, f"{ops}.quality_results", QUALITY_COLUMNS, [
        g("dsp1", "expect_column_values_to_not_be_null", "dispute_id", True),
        g("dsp1", "expect_column_values_to_not_be_null", "dispute_type", True),
        g("dsp2", "expect_column_values_to_not_be_null", "dispute_id", True),
        g("dsp2", "expect_column_values_to_not_be_null", "dispute_type", False),
    ])
    return layers


@pytest.fixture(scope="module")
def report(ops_rows, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = CliRunner().invoke(app, ["report", "quality", "--since", "2026-01-01", "--out", str(out)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return out


def test_one_page_per_department_an_index_and_gx_data_docs(report):
    pages = {p.name for p in report.glob("*.html")}
    assert {"index.html", "political-and-legal-affairs-commission-grid-workers.html", "12345-citizen-hotline.html",
            "public-security-bureau.html", "civil-affairs-bureau.html"} <= pages
    index = (report / "index.html").read_text(encoding="utf-8")
    assert "political-and-legal-affairs-commission-grid-workers.html#disputes" in index
    assert (report / "gx_data_docs" / "index.html").is_file()
    assert 'href="gx_data_docs/index.html"' in index
    docs = list((report / "gx_data_docs" / "validations").rglob("*.html"))
    assert {p.stem for p in docs} == {"dsp1", "dsp2"}


def test_department_page_shows_the_figures_read_through_trino(report, ops_rows):
    page = (report / "political-and-legal-affairs-commission-grid-workers.html").read_text(encoding="utf-8")
    head = page[page.index('class="headlines"'):page.index('id="disputes"')]
    # 2 deliveries (+1 resend), 15 rows in, 11 accepted (73.3%), 3 quarantined, 1 late of 2
    assert re.search(r"Deliveries</dt><dd>2\s*<small>1 resent", head)
    assert "<dd>15</dd>" in head and "73.3%" in head and "<dd>3</dd>" in head
    assert re.search(r"Late deliveries</dt><dd[^>]*>1<small>of 2 timed", head)
    assert "resident_id · party_a_id" in head  # in 2 quarantined rows, every other rule in 1
    # dimensions: validity 1 - 3/15, uniqueness 1 - 1/15, timeliness 1/2, consistency 3/4
    for figure in ("80.00%", "93.33%", "50.00%", "75.00%"):
        assert figure in page, figure
    assert f"{ops_rows.trino.catalog}.{ops_rows.schema('quarantine')}.disputes" in page  # the SQL in the footer
    assert page.count("<svg") == 2


def test_no_clear_personal_data_in_any_written_file(report):
    scanned = 0
    for p in report.rglob("*.html"):
        text = p.read_text(encoding="utf-8")
        scanned += 1
        for v in [*IDS, IDS[0][:-1] + "0", IDS[1] + "9", *MOBILES, *NAMES, ADDRESS, *(n[1:] for n in NAMES)]:
            assert v not in text, (p.name, v)
        for m in re.findall(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])", text):
            assert not is_valid_id(m.upper()), (p.name, m)
        for m in re.findall(r"(?<![0-9A-Za-z])1[3-9][0-9]{9}(?![0-9A-Za-z])", text):
            assert not is_valid_mobile(m), (p.name, m)
    assert scanned >= 10
    page = (report / "political-and-legal-affairs-commission-grid-workers.html").read_text(encoding="utf-8")
    assert IDS[1][:6] + "*" * 11 + IDS[1][-1] in page and f"{NAMES[0][0]}*" in page  # masked, still useful
    hot = (report / "12345-citizen-hotline.html").read_text(encoding="utf-8")
    assert "186****4321" in hot and "[redacted]" in hot


def test_department_option_selects_by_feed_or_name(ops_rows, tmp_path):
    r = CliRunner().invoke(app, ["report", "quality", "--department", "hotline_12345", "--since", "2026-01-01",
                                 "--out", str(tmp_path), "--no-gx-docs"])
    assert r.exit_code == 0, r.output
    assert {p.name for p in tmp_path.glob("*.html")} == {"index.html", "12345-citizen-hotline.html"}
    r = CliRunner().invoke(app, ["report", "quality", "--department", "nowhere", "--out", str(tmp_path)])
    assert r.exit_code == 1 and "no department or feed matches" in r.output
