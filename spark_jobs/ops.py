"""Layouts of the bookkeeping tables every job shares (bronze, ops, quarantine, vault) and the
``ops.deliveries`` row as a record. One definition, so file drops, cursor pulls and watermark pulls
land records and account for deliveries the same way. No I/O: ``spark_jobs.io`` writes these rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

BRONZE_COLUMNS = ("_delivery_id STRING, _source_file STRING, _line INT, _sheet STRING, _record STRING, "
                  "_raw_b64 STRING, _problem STRING, _delivered_on DATE, _ingested_at TIMESTAMP")
# range_from / range_to: the cursor or watermark range a pull covered (null for file drops).
# rows_accepted / rows_quarantined / rows_duplicate / silver_status: filled when silver has processed
# the delivery (summed over the tables of a multi-sheet delivery).
DELIVERIES_COLUMNS = ("feed STRING, delivery_id STRING, source STRING, sha256 STRING, bytes BIGINT, "
                      "rows_read BIGINT, status STRING, reason STRING, header STRING, delivered_on DATE, "
                      "started_at TIMESTAMP, finished_at TIMESTAMP, range_from STRING, range_to STRING, "
                      "rows_accepted BIGINT, rows_quarantined BIGINT, rows_duplicate BIGINT, silver_status STRING, "
                      "silver_reason STRING, silver_at TIMESTAMP")
ACCOUNTING_COLUMNS = ("feed STRING, table_name STRING, delivery_id STRING, source STRING, rows_in BIGINT, "
                      "rows_accepted BIGINT, rows_quarantined BIGINT, rows_duplicate BIGINT, status STRING, "
                      "reason STRING, processed_at TIMESTAMP")
QUARANTINE_COLUMNS = ("delivery_id STRING, source_file STRING, line INT, table_name STRING, rule STRING, "
                      "column_name STRING, reason STRING, violations STRING, record STRING, quarantined_at TIMESTAMP")
VAULT_COLUMNS = "token STRING, id_number STRING, name STRING, mobile STRING, address STRING, first_seen TIMESTAMP"
QUALITY_COLUMNS = ("feed STRING, table_name STRING, delivery_id STRING, suite STRING, expectation STRING, "
                   "column_name STRING, rule STRING, severity STRING, success BOOLEAN, observed_value STRING, "
                   "element_count BIGINT, unexpected_count BIGINT, unexpected_percent DOUBLE, blocking BOOLEAN, "
                   "validated_at TIMESTAMP")


def spark_ddl(columns: str) -> str:
    """A DDL column list as createDataFrame accepts it."""
    return columns.replace(" STRING", " string").replace(" BIGINT", " bigint")


@dataclass
class DeliveryRecord:
    feed: str
    delivery_id: str
    source: str
    sha256: str
    bytes: int
    rows_read: int
    status: str  # landed | skipped_duplicate | failed
    reason: str | None
    header: str | None
    delivered_on: dt.date
    started_at: dt.datetime
    finished_at: dt.datetime
    range_from: str | None = None
    range_to: str | None = None


def deliveries_table(settings) -> str:
    return f"{settings.schema('ops')}.deliveries"
