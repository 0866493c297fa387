"""Silver's accounting: every record of a delivery is accepted, quarantined or a duplicate (pure).

For each delivery and silver table, ``account`` turns the counts of a batch (a ``Tally``) into an
``Accounted`` row and ``balance`` checks ``rows in = accepted + quarantined + duplicate``; a mismatch
raises ``AccountingError`` and fails the job before silver is written. ``accounting_rows`` and
``quality_rows`` lay results out as the rows of ``ops.silver_accounting`` and ``ops.quality_results``;
``delivery_outcomes`` sums the accounting per delivery for ``ops.deliveries``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from govlake.errors import GovlakeError


class AccountingError(GovlakeError):
    """Rows in != accepted + quarantined + duplicate for a delivery: some rows went unaccounted for."""


@dataclass
class Accounted:
    """What became of one delivery's records in one silver table (a row of ``ops.silver_accounting``)."""

    table: str
    source: str
    rows_in: int
    accepted: int
    quarantined: int
    duplicate: int
    status: str  # processed | replayed | blocked | rejected
    reason: str | None = None
    delivery_id: str = ""


@dataclass
class Tally:
    """The counts of one delivery in one batch."""

    rows_in: int = 0
    accepted: int = 0  # written to silver
    invalid: int = 0  # quarantined by a row rule
    gated: int = 0  # quarantined by the quality gate
    duplicate: int = 0  # not the latest row of its key within the batch
    stale: int = 0  # silver holds the key already, as new or newer, from another delivery


def balance(acc: Accounted) -> Accounted:
    """``acc`` when its rows add up; AccountingError naming the source and the numbers otherwise."""
    if acc.rows_in != acc.accepted + acc.quarantined + acc.duplicate:
        raise AccountingError(f"{acc.source}: {acc.rows_in} in != {acc.accepted} accepted + {acc.quarantined} "
                              f"quarantined + {acc.duplicate} duplicate")
    return acc


def drift_reason(columns: Iterable[str] | None, contract_version: int | str) -> str | None:
    """The accounting reason of schema drift: delivered columns outside the contract, kept in ``_extra``."""
    if not columns:
        return None
    return f"schema drift: column(s) {', '.join(sorted(columns))} not in contract v{contract_version}, kept in _extra"


def account(table: str, source: str, delivery_id: str, tally: Tally, blocked: str | None = None,
            drift: str | None = None) -> Accounted:
    """A processed delivery (``blocked``: the quality gate's reason, when it blocked the delivery),
    checked by ``balance``."""
    return balance(Accounted(table, source, tally.rows_in, tally.accepted, tally.invalid + tally.gated,
                             tally.duplicate + tally.stale, "blocked" if blocked is not None else "processed",
                             blocked or drift, delivery_id))


def rejection_reason(missing: Sequence[str]) -> str:
    return f"missing required column(s) {', '.join(missing)}: delivery rejected, silver untouched"


def rejected(table: str, source: str, delivery_id: str, rows_in: int, reason: str) -> Accounted:
    """A delivery rejected whole (a required column missing): every row quarantined."""
    return Accounted(table, source, rows_in, 0, rows_in, 0, "rejected", reason, delivery_id)


def accounting_rows(feed: str, accs: Iterable[Accounted], stamp: dt.datetime) -> list[tuple]:
    """``ops.silver_accounting`` rows (``spark_jobs.ops.ACCOUNTING_COLUMNS`` order)."""
    return [(feed, a.table, a.delivery_id, a.source, a.rows_in, a.accepted, a.quarantined, a.duplicate,
             a.status, a.reason, stamp) for a in accs]


def quality_rows(feed: str, table_name: str, outcomes: Mapping[str, Sequence[Any]], stamp: dt.datetime) -> list[tuple]:
    """GX outcomes per delivery (``govlake.quality.Outcome``) → ``ops.quality_results`` rows
    (``spark_jobs.ops.QUALITY_COLUMNS`` order; counts and observed values, no raw values)."""
    return [(feed, table_name, did, o.suite, o.expectation, o.column, o.rule, o.severity, o.success, o.observed_value,
             o.element_count, o.unexpected_count, o.unexpected_percent, o.blocking, stamp)
            for did, out in outcomes.items() for o in out]


def delivery_outcomes(accounting: DataFrame, feed: str, delivery_ids: Sequence[str]) -> DataFrame:
    """Silver's outcome per delivery from ``ops.silver_accounting``: the latest row of each (delivery,
    table) — a replay supersedes — summed over the tables of a multi-sheet delivery, with the worst
    status (rejected > blocked > processed) and the reasons joined."""
    latest = Window.partitionBy("delivery_id", "table_name").orderBy(F.col("processed_at").desc())
    return (accounting
            .where((F.col("feed") == feed) & F.col("delivery_id").isin(list(delivery_ids)))
            .withColumn("_n", F.row_number().over(latest)).where("_n = 1")
            .groupBy("delivery_id")
            .agg(F.sum("rows_accepted").alias("rows_accepted"), F.sum("rows_quarantined").alias("rows_quarantined"),
                 F.sum("rows_duplicate").alias("rows_duplicate"),
                 F.element_at(F.sort_array(F.collect_set(
                     F.when(F.col("status") == "rejected", "1rejected").when(F.col("status") == "blocked", "2blocked")
                     .otherwise(F.concat(F.lit("3"), F.col("status"))))), 1).substr(2, 20).alias("silver_status"),
                 F.concat_ws("; ", F.collect_set("reason")).alias("silver_reason"),
                 F.max("processed_at").alias("silver_at")))
