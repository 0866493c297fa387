"""The pieces the bronze jobs share that need no Spark: day arguments and the run summary."""

import argparse
import datetime as dt

import pytest

from govlake.errors import GovlakeError
from spark_jobs.landing import Landed, PullError, as_days, chosen_days, day_arguments, summary


def parse(*argv: str) -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    day_arguments(ap)
    return ap.parse_args(list(argv))


def test_one_day_or_a_run_of_days():
    assert chosen_days(parse("--date", "2026-01-03")) == [dt.date(2026, 1, 3)]
    assert chosen_days(parse("--start", "2026-01-30", "--days", "3")) == [
        dt.date(2026, 1, 30), dt.date(2026, 1, 31), dt.date(2026, 2, 1)]
    assert chosen_days(parse("--start", "2026-01-30")) == [dt.date(2026, 1, 30)]
    with pytest.raises(SystemExit, match="at least 1"):
        chosen_days(parse("--start", "2026-01-30", "--days", "0"))


def test_date_and_start_exclude_each_other_and_one_is_needed():
    for argv in ([], ["--date", "2026-01-03", "--start", "2026-01-03"]):
        with pytest.raises(SystemExit):
            parse(*argv)


def test_as_days_sorts_and_dedupes():
    d1, d2 = dt.date(2026, 1, 1), dt.date(2026, 1, 2)
    assert as_days(d2) == [d2]
    assert as_days([d2, d1, d2]) == [d1, d2]


def test_summary_counts_landed_ranges_and_skips():
    res = [Landed("a", "f:1", "landed", 3), Landed("b", "f:2", "landed", 0, "empty range"),
           Landed("c", "f:3", "skipped_duplicate", 0, "range already landed")]
    assert summary("police_incidents", res) == "bronze.police_incidents: 2 ranges landed (3 records), 1 skipped"


def test_a_pull_error_is_a_govlake_error():
    assert issubclass(PullError, GovlakeError)
