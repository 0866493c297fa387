import base64
import json

from spark_jobs.transforms.bronze import (
    RawRecord,
    bronze_arrow,
    delivery_id,
    parquet_records,
    sha256_hex,
    split_text,
    xlsx_records,
)


def test_csv_lines_with_bom_crlf_header_and_blank_lines():
    data = "\ufeffa,b\r\n1,甲\r\n\r\n2,乙\r\n".encode()
    header, recs = split_text(data, "utf-8-sig", has_header=True)
    assert header == "a,b"
    assert [(r.line, r.record, r.problem) for r in recs] == [(2, "1,甲", None), (4, "2,乙", None)]


def test_invalid_gbk_bytes_are_kept_with_the_error():
    good = "编号,姓名\r\n1,张三\r\n".encode("gbk")
    bad_line = "2,李".encode("gbk") + b"\xff\xfe" + "四\r\n".encode("gbk")
    header, recs = split_text(good + bad_line, "gbk", has_header=True)
    assert header == "编号,姓名" and len(recs) == 2
    r = recs[1]
    assert r.problem.startswith("decode_error") and base64.b64decode(r.raw_b64) == bad_line.removesuffix(b"\r\n")
    assert "李" in r.record and "四" in r.record  # readable parts survive, replaced bytes marked


def test_a_cut_last_line_is_kept_and_flagged():
    header, recs = split_text(b'{"a":1}\n{"a":2}\n{"a":', "utf-8", has_header=False)
    assert header is None and [r.problem for r in recs] == [None, None, "unterminated_last_line"]
    assert recs[-1].record == '{"a":'


def test_binary_formats_become_json_records():
    import datetime as dt

    recs = parquet_records([{"id": "1", "d": dt.date(2026, 1, 1)}])
    assert json.loads(recs[0].record) == {"id": "1", "d": "2026-01-01"}
    headers, recs = xlsx_records({"党员名册": [("编号", "姓名"), ("1", "张三"), ("2", None)], "空": []})
    assert headers == {"党员名册": ["编号", "姓名"]}
    assert [(r.sheet, r.line, json.loads(r.record)) for r in recs] == [
        ("党员名册", 2, {"编号": "1", "姓名": "张三"}), ("党员名册", 3, {"编号": "2", "姓名": None})]


def test_delivery_ids_are_content_addressed():
    a, b = sha256_hex(b"same"), sha256_hex(b"same ")
    assert delivery_id("f", a) == delivery_id("f", sha256_hex(b"same")) != delivery_id("f", b)
    assert delivery_id("f", a) != delivery_id("g", a)


def test_bronze_arrow_lays_out_the_records_of_several_deliveries():
    import datetime as dt

    import pyarrow as pa

    day = dt.date(2026, 1, 2)
    table = bronze_arrow([
        ("f:1", "f/2026-01-02/a.csv", day,
         [RawRecord(2, "1,甲", None, None), RawRecord(3, "2,?", "Mv8=", "decode_error")]),
        ("f:2", "f/2026-01-02/empty.csv", day, []),
        ("f:3", "f/2026-01-02/b.xlsx", day, [RawRecord(2, '{"编号":"1"}', None, None, "党员名册")]),
    ])
    assert table.schema == pa.schema([("_delivery_id", pa.string()), ("_source_file", pa.string()),
                                      ("_line", pa.int32()), ("_sheet", pa.string()), ("_record", pa.string()),
                                      ("_raw_b64", pa.string()), ("_problem", pa.string()),
                                      ("_delivered_on", pa.date32())])
    assert table.to_pylist() == [
        {"_delivery_id": "f:1", "_source_file": "f/2026-01-02/a.csv", "_line": 2, "_sheet": None, "_record": "1,甲",
         "_raw_b64": None, "_problem": None, "_delivered_on": day},
        {"_delivery_id": "f:1", "_source_file": "f/2026-01-02/a.csv", "_line": 3, "_sheet": None, "_record": "2,?",
         "_raw_b64": "Mv8=", "_problem": "decode_error", "_delivered_on": day},
        {"_delivery_id": "f:3", "_source_file": "f/2026-01-02/b.xlsx", "_line": 2, "_sheet": "党员名册",
         "_record": '{"编号":"1"}', "_raw_b64": None, "_problem": None, "_delivered_on": day},
    ]
    assert bronze_arrow([]).num_rows == 0
