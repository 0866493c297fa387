"""Silver's accounting: rows in = accepted + quarantined + duplicate, or the job fails."""

import datetime as dt

import pytest
from pyspark.testing import assertDataFrameEqual

from govlake.errors import GovlakeError
from spark_jobs.transforms.accounting import (
    Accounted,
    AccountingError,
    Tally,
    account,
    accounting_rows,
    balance,
    delivery_outcomes,
    drift_reason,
    rejected,
    rejection_reason,
)


def test_a_balanced_delivery_is_accounted():
    t = Tally(rows_in=10, accepted=5, invalid=2, gated=0, duplicate=2, stale=1)
    acc = account("tickets", "hotline/2026-01-01/a.csv", "hotline:1", t)
    assert acc == Accounted("tickets", "hotline/2026-01-01/a.csv", 10, 5, 2, 3, "processed", None, "hotline:1")


def test_rows_that_went_missing_fail_the_accounting():
    t = Tally(rows_in=10, accepted=5, invalid=2, duplicate=2)  # one row unaccounted for
    with pytest.raises(AccountingError) as e:
        account("tickets", "hotline/2026-01-01/a.csv", "hotline:1", t)
    assert str(e.value) == "hotline/2026-01-01/a.csv: 10 in != 5 accepted + 2 quarantined + 2 duplicate"
    assert isinstance(e.value, GovlakeError)


def test_rows_counted_twice_fail_the_accounting_too():
    with pytest.raises(AccountingError, match="3 in != 3 accepted"):
        balance(Accounted("tickets", "s", 3, 3, 1, 0, "processed"))
    ok = Accounted("tickets", "s", 4, 3, 1, 0, "processed")
    assert balance(ok) is ok


def test_a_blocked_delivery_counts_its_rows_as_quarantined_and_says_why():
    t = Tally(rows_in=4, accepted=0, invalid=1, gated=3)
    acc = account("tickets", "s", "d", t, blocked="quality gate: expect_x failed", drift="schema drift: …")
    assert (acc.status, acc.quarantined, acc.reason) == ("blocked", 4, "quality gate: expect_x failed")


def test_schema_drift_is_named_in_the_reason():
    reason = drift_reason({"备注", "extra"}, 1)
    assert reason == "schema drift: column(s) extra, 备注 not in contract v1, kept in _extra"
    assert drift_reason(None, 1) is None and drift_reason(set(), 1) is None
    acc = account("tickets", "s", "d", Tally(rows_in=1, accepted=1), drift=reason)
    assert (acc.status, acc.reason) == ("processed", reason)


def test_a_rejected_delivery_quarantines_every_row():
    reason = rejection_reason(["当前层级", "网格编码"])
    assert reason == "missing required column(s) 当前层级, 网格编码: delivery rejected, silver untouched"
    acc = rejected("disputes", "s", "d", 7, reason)
    assert balance(acc) == Accounted("disputes", "s", 7, 0, 7, 0, "rejected", reason, "d")


def test_accounting_rows_follow_the_table_layout():
    stamp = dt.datetime(2026, 1, 2, 3, 4, 5)
    acc = Accounted("tickets", "s", 3, 2, 1, 0, "processed", None, "d")
    assert accounting_rows("hotline_12345", [acc], stamp) == [
        ("hotline_12345", "tickets", "d", "s", 3, 2, 1, 0, "processed", None, stamp)]


@pytest.mark.spark
def test_delivery_outcomes_take_the_latest_row_per_table_and_the_worst_status(spark):
    schema = ("feed string, table_name string, delivery_id string, rows_accepted long, rows_quarantined long, "
              "rows_duplicate long, status string, reason string, processed_at timestamp")
    t0, t1 = dt.datetime(2026, 1, 1, 1), dt.datetime(2026, 1, 1, 2)
    accounting = spark.createDataFrame([
        ("f", "a", "d1", 5, 1, 0, "processed", None, t0),
        ("f", "a", "d1", 6, 0, 0, "replayed", None, t1),  # the replay supersedes
        ("f", "b", "d1", 0, 3, 0, "blocked", "gate", t0),  # another sheet of the same delivery
        ("f", "a", "d2", 0, 4, 0, "rejected", "missing", t0),
        ("f", "a", "d3", 9, 9, 9, "processed", None, t0),  # not asked for
        ("g", "a", "d1", 9, 9, 9, "processed", None, t1),  # another feed
    ], schema)
    got = delivery_outcomes(accounting, "f", ["d1", "d2"])
    expected = spark.createDataFrame(
        [("d1", 6, 3, 0, "blocked", "gate", t1), ("d2", 0, 4, 0, "rejected", "missing", t0)],
        "delivery_id string, rows_accepted long, rows_quarantined long, rows_duplicate long, silver_status string, "
        "silver_reason string, silver_at timestamp")
    assertDataFrameEqual(got, expected)
