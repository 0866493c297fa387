import datetime as dt
import decimal
import hashlib
import itertools
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from govlake_sim.police_api import PoliceApi, parse_aware
from spark_jobs.transforms.bronze import RawRecord
from spark_jobs.transforms.pull import (
    api_source,
    day_range,
    day_ranges,
    db_header,
    db_row_json,
    db_source,
    local_text,
    page_items,
    page_url,
    pull_digest,
    pulled_records,
    range_delivery_id,
)


def test_a_delivery_day_is_the_local_day_half_open_at_the_start():
    r = day_range("police_incidents", dt.date(2026, 1, 3))
    assert (r.range_from, r.range_to) == ("2026-01-03T00:00:00+08:00", "2026-01-04T00:00:00+08:00")
    assert r.start.utcoffset() == dt.timedelta(hours=8)
    assert (r.local_from, r.local_to) == (dt.datetime(2026, 1, 3), dt.datetime(2026, 1, 4))
    assert r.delivery_id == "police_incidents:2026-01-03T00:00:00+08:00..2026-01-04T00:00:00+08:00"
    assert r.day == dt.date(2026, 1, 3)


def test_consecutive_days_tile_time_without_gap_or_overlap():
    rs = day_ranges("urban_cases", dt.date(2025, 12, 30), 4)
    assert [r.day for r in rs] == [dt.date(2025, 12, 30), dt.date(2025, 12, 31), dt.date(2026, 1, 1),
                                   dt.date(2026, 1, 2)]
    for a, b in itertools.pairwise(rs):
        assert a.end == b.start and a.range_to == b.range_from
    assert len({r.delivery_id for r in rs}) == 4


def test_the_delivery_id_depends_on_feed_and_range_only():
    a = day_range("police_incidents", dt.date(2026, 1, 3))
    b = day_range("police_incidents", dt.date(2026, 1, 3))
    assert a.delivery_id == b.delivery_id == range_delivery_id("police_incidents", a.range_from, a.range_to)
    assert a.delivery_id != day_range("urban_cases", dt.date(2026, 1, 3)).delivery_id


def test_sources_are_readable_ranges():
    r = day_range("police_incidents", dt.date(2026, 1, 3))
    assert api_source("/api/v1/incidents", "updated_since", r) == (
        "api:/api/v1/incidents?updated_since=2026-01-03T00:00:00+08:00&until=2026-01-04T00:00:00+08:00")
    assert db_source("public.um_cases", "updated_at", r) == (
        "db:public.um_cases?updated_at=(2026-01-03 00:00:00,2026-01-04 00:00:00]")


def test_page_url_encodes_the_offset_plus_sign():
    r = day_range("police_incidents", dt.date(2026, 1, 3))
    url = page_url("http://127.0.0.1:8091/", "/api/v1/incidents", "updated_since", r, 1000, cursor="abc_-")
    parts = urlsplit(url)
    assert parts.path == "/api/v1/incidents" and "%2B08%3A00" in parts.query
    assert parse_qs(parts.query) == {"updated_since": [r.range_from], "until": [r.range_to], "limit": ["1000"],
                                     "cursor": ["abc_-"]}
    assert "cursor" not in page_url("http://h", "/e", "updated_since", r, 5)


def test_page_items_keeps_each_item_exactly_as_received():
    body = ('{ "count" : 2, "items" : [ {"b": 1, "a": "甲\\u4e59", "n": {"items": [1]}} ,\n'
            '{"a":2.50} ], "next_cursor": "eyJ0Ijo" }')
    texts, cursor = page_items(body)
    assert texts == ['{"b": 1, "a": "甲\\u4e59", "n": {"items": [1]}}', '{"a":2.50}']
    assert cursor == "eyJ0Ijo"
    assert page_items('{"items":[],"next_cursor":null,"count":0}') == ([], None)


def test_page_items_matches_the_police_api_serialisation():
    versions = [{"incident_id": f"JQ{i}", "updated_at": f"2026-01-03T0{i + 1}:00:00+08:00", "summary": "打架",
                 "persons": [{"role": "报警人"}]} for i in range(3)]
    api = PoliceApi(versions)
    page = api.page(parse_aware("2026-01-03T00:00:00+08:00"), None, None, 2)
    body = json.dumps(page, ensure_ascii=False, separators=(",", ":"))
    texts, cursor = page_items(body)
    assert [json.loads(t) for t in texts] == versions[:2] and cursor == page["next_cursor"]
    assert texts[0] == json.dumps(versions[0], ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("body", [
    "not json", "[]", '{"next_cursor": null}', '{"items": [1, 2]}', '{"items": [], "next_cursor": 5}',
    '{"items": [{}], "count": 2}', '{"items": [{}], "items": [{}, {}]}', '{"items": [], "next_cursor": ""}',
])
def test_a_body_that_is_not_a_page_is_refused(body):
    with pytest.raises(ValueError):
        page_items(body)


def test_pulled_records_are_numbered_by_position_within_the_pull():
    recs = pulled_records(['{"a":1}', {"b": "乙", "a": None}])
    assert recs == [RawRecord(1, '{"a":1}', None, None), RawRecord(2, '{"b":"乙","a":null}', None, None)]
    assert pulled_records([]) == []


def test_db_rows_become_json_with_local_timestamp_text():
    cols = ["case_id", "reported_at", "closed_at", "n", "amount", "day"]
    row = ("CG1", dt.datetime(2026, 1, 3, 8, 5, 9), None, 3, decimal.Decimal("1.10"), dt.date(2026, 1, 3))
    text = db_row_json(cols, row)
    assert list(json.loads(text)) == cols  # column order kept
    assert json.loads(text) == {"case_id": "CG1", "reported_at": "2026-01-03 08:05:09", "closed_at": None, "n": 3,
                                "amount": "1.10", "day": "2026-01-03"}
    with pytest.raises(ValueError):
        db_row_json(["a"], (1, 2))


def test_local_text_converts_aware_timestamps_to_the_source_zone():
    assert local_text(dt.datetime(2026, 1, 3, 16, 0, tzinfo=dt.UTC)) == "2026-01-04 00:00:00"
    assert local_text(dt.datetime(2026, 1, 3, 16, 0, 0, 250000)) == "2026-01-03 16:00:00.250000"


def test_the_pull_digest_is_over_the_records_as_json_lines():
    recs = pulled_records(['{"a":1}', '{"a":"甲"}'])
    data = '{"a":1}\n{"a":"甲"}\n'.encode()
    assert pull_digest(recs) == (hashlib.sha256(data).hexdigest(), len(data))
    assert pull_digest([]) == (hashlib.sha256(b"").hexdigest(), 0)


def test_the_header_of_a_watermark_pull_is_its_column_names_in_order():
    recs = pulled_records([db_row_json(["case_id", "状态", "updated_at"], ["C1", "立案", None])])
    assert db_header(recs) == '["case_id", "状态", "updated_at"]'
    assert db_header([]) is None
