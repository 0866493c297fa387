"""The GX gate on silver-shaped pandas frames (no services)."""

import datetime as dt
import json

import pandas as pd
import pytest

from govlake.contracts import contract, silver_column_names
from govlake.quality import Gate, blocking_reason

NOW = dt.datetime(2026, 1, 3, 9, 30)


@pytest.fixture(scope="module")
def gate():
    return Gate()


def _tickets(n=3, **override):
    table = contract("hotline_12345").table("tickets")
    rows = []
    for i in range(n):
        row = {c: None for c in silver_column_names(table)}
        row.update(ticket_id=f"T{i}", channel="电话", request_type="投诉", topic="噪音扰民", content="x",
                   caller_mobile_token="ab" * 32, grid_code="420102001001001", status="已受理", accepted_at=NOW,
                   updated_at=NOW, _delivery_id="d1", _source_file="f", _line=i + 2, _ingested_at=NOW)
        rows.append(row)
    frame = pd.DataFrame(rows)
    for col, values in override.items():
        frame[col] = values
    return frame


def test_a_clean_batch_passes_with_counts(gate):
    out = gate.validate("hotline_12345", "tickets", _tickets())
    failed = [o.describe() for o in out if not o.success]
    assert not failed and blocking_reason(out) is None
    notnull = [o for o in out if o.expectation == "expect_column_values_to_not_be_null" and o.column == "ticket_id"]
    assert notnull and notnull[0].element_count == 3 and notnull[0].unexpected_count == 0


def test_a_null_in_a_required_column_blocks_and_says_which(gate):
    out = gate.validate("hotline_12345", "tickets", _tickets(status=["已受理", None, "已派单"]))
    reason = blocking_reason(out)
    assert reason and "expect_column_values_to_not_be_null(status): 1 unexpected" in reason


def test_a_duplicate_key_only_warns(gate):
    out = gate.validate("hotline_12345", "tickets", _tickets(ticket_id=["T1", "T1", "T2"]))
    [unique] = [o for o in out if o.expectation == "expect_column_values_to_be_unique"]
    assert not unique.success and unique.severity == "warn" and not unique.blocking
    assert blocking_reason(out) is None


def test_a_missing_column_is_a_blocking_reject(gate):
    out = gate.validate("hotline_12345", "tickets", _tickets().drop(columns=["topic"]))
    [cols] = [o for o in out if o.expectation == "expect_table_columns_to_match_set"]
    assert cols.blocking and cols.severity == "reject"


def test_outcomes_hold_no_unexpected_values(gate):
    secret = "秘密渠道值"
    out = gate.validate("hotline_12345", "tickets", _tickets(channel=["电话", secret, "电话"]))
    assert blocking_reason(out)  # channel is a code table column: a value outside it is blocking
    assert secret not in json.dumps([o.__dict__ for o in out], ensure_ascii=False, default=str)


def _two_deliveries(**override):
    frame = _tickets(6, **override)
    frame["_delivery_id"] = ["d1", "d1", "d1", "d2", "d2", "d2"]
    return frame


def test_a_clean_batch_is_validated_once_and_gives_each_delivery_its_own_counts(gate):
    frame = _two_deliveries()
    batch = gate.validate_deliveries("hotline_12345", "tickets", frame)
    one_by_one = {did: gate.validate("hotline_12345", "tickets", part.reset_index(drop=True))
                  for did, part in frame.groupby("_delivery_id")}
    assert set(batch) == {"d1", "d2"}
    for did in batch:  # the same outcomes as validating each delivery on its own
        key = lambda o: (o.expectation, o.column or "")  # noqa: E731
        assert sorted(batch[did], key=key) == sorted(one_by_one[did], key=key)


def test_a_failure_in_one_delivery_is_attributed_to_it_alone(gate):
    frame = _two_deliveries(status=["已受理", "已受理", "已受理", "已受理", None, "已受理"])
    out = gate.validate_deliveries("hotline_12345", "tickets", frame)
    assert blocking_reason(out["d1"]) is None
    assert "expect_column_values_to_not_be_null(status): 1 unexpected" in blocking_reason(out["d2"])
    [nn] = [o for o in out["d2"] if o.expectation == "expect_column_values_to_not_be_null" and o.column == "status"]
    assert nn.element_count == 3 and nn.unexpected_count == 1
