"""Daily FULL snapshots → change records + SCD2 versions (pure DataFrame → DataFrame functions).

A full-snapshot feed (the civil registry delivers every resident every day) says nothing about
births, deaths or moves: those only show as differences between two consecutive snapshots. Given
the open versions of the silver table and one or more complete snapshots, ``snapshot_diff`` works
out what happened on each snapshot date and what the SCD2 table needs:

* ``changes``: one row per (key, snapshot date) where something happened — ``new`` (present now,
  absent in the previous state), ``changed`` (present in both, attributes differ) or ``gone``
  (absent now, present before). A key that comes back after being gone is ``new`` again.
* ``closes``: open versions of the table that end in this batch (key, valid_to).
* ``inserts``: the versions that start in this batch, already closed when they also end in it.

Validity is half-open: a version is valid on ``valid_from <= d < valid_to``; ``valid_to`` is the
first snapshot date on which it no longer holds (changed or gone), null while it is open.
Consecutive identical snapshots of a key are one version (lineage of its first snapshot).

How it is computed, with one shuffle by key: the open versions (ordinal 0) and the batch rows (ordinal =
position of their snapshot date in ``dates``, 1-based) are unioned, and per key, ordered by ordinal,
``lag``/``lead`` give the neighbouring states. A gap in the ordinals is an absence (so no keys × dates
cross join is materialised): a row whose next ordinal is not its own + 1 is followed by a ``gone``,
a row whose previous ordinal is not its own − 1 is ``new``. The end of a version is the first
non-null "ends after this row" date from its start row onwards.

The attribute hash (``row_hash``) ignores lineage (``_delivery_id``, ``_line``, ``_extra``…) and is
recomputed for the open versions too, so it never matters how (or over which attribute list) the
stored ``row_hash`` was computed; a new attribute that is null everywhere changes no hash.

Applying a batch to a silver table (``spark_jobs.jobs.silver``): ``snapshot_deliveries`` (the dates
of the batch), ``carry_held`` (a person whose row was quarantined for another reason than the ID
is carried, not gone), ``snapshot_diff``, then ``scd2_merge_source`` — the source of one atomic
MERGE that closes and inserts versions (``spark_jobs.io.merge_scd2``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_jobs.transforms.identity import hmac_sha256

SCD_COLUMNS = ("valid_from", "valid_to", "is_current", "row_hash")

# internal columns (never in a returned frame except ``timeline``)
_ORD = "__snap_ord"
_HASH = "__snap_hash"
_PREV = "__snap_prev"
_EVENT = "__snap_event"
_GONE_NEXT = "__snap_gone_next"
_ENDS = "__snap_ends"
_VALID_TO = "__snap_valid_to"
_CHANGED = "__snap_changed"


@dataclass(frozen=True)
class SnapshotPlan:
    """What one batch of complete snapshots does to an SCD2 table.

    ``changes``: ``<key>, change_type, snapshot_date DATE, changed_columns array<string>, _delivery_id``.
    ``closes``: ``<key>, valid_to DATE`` — open versions to close (valid_to, is_current = false).
    ``inserts``: the batch columns + ``valid_from, valid_to, is_current, row_hash`` — versions to append.
    ``timeline``: the annotated union the three are derived from (for debugging; persisting it lets
    the three writes share one computation, since Spark substitutes cached plan fragments).
    """

    changes: DataFrame
    closes: DataFrame
    inserts: DataFrame
    timeline: DataFrame


def attribute_columns(df: DataFrame, key: str, date_col: str) -> list[str]:
    """The columns that make up a version: everything except the key, the snapshot date, lineage
    (names starting with ``_``) and the SCD2 bookkeeping columns."""
    return [c for c in df.columns if c not in (key, date_col, *SCD_COLUMNS) and not c.startswith("_")]


def _orderable(t: T.DataType) -> bool:
    if isinstance(t, (T.MapType, T.VariantType)):
        return False
    if isinstance(t, T.ArrayType):
        return _orderable(t.elementType)
    if isinstance(t, T.StructType):
        return all(_orderable(f.dataType) for f in t.fields)
    return True


def canonical(c: Column, dtype: T.DataType) -> Column:
    """A value as a canonical string (null stays null): atomic types cast to string, binary as hex,
    arrays and structs as JSON, maps as the JSON of their entries sorted by key (when orderable)."""
    if isinstance(dtype, T.MapType):
        entries = F.map_entries(c)
        return F.to_json(F.array_sort(entries)) if _orderable(dtype.keyType) and _orderable(dtype.valueType) \
            else F.to_json(c)
    if isinstance(dtype, (T.ArrayType, T.StructType)):
        return F.to_json(c)
    if isinstance(dtype, T.BinaryType):
        return F.hex(c)
    return c.cast("string")


def row_hash(attrs: Sequence[str], schema: T.StructType) -> Column:
    """sha2-256 (hex) of the attributes: a JSON object of the canonical string of each attribute,
    names sorted, null attributes left out. Deterministic, null-safe (null ≠ ""), independent of the
    order of ``attrs``, of column types that print alike (int/long, date/'yyyy-MM-dd' string) and of
    the key order of maps; an added attribute that is null does not change it. ``schema`` supplies
    the types (``df.schema``). Timestamps print in the session time zone (UTC in govlake)."""
    names = sorted(attrs)
    if not names:
        return F.sha2(F.lit("{}"), 256)
    obj = F.struct(*[canonical(F.col(a), schema[a].dataType).alias(a) for a in names])
    return F.sha2(F.to_json(obj, {"ignoreNullFields": "true"}), 256)


def _check_arguments(current: DataFrame, batch: DataFrame, key: str, attrs: list[str], date_col: str) -> None:
    for name, df in (("batch", batch), ("current", current)):
        if key not in df.columns:
            raise ValueError(f"{name} has no key column {key!r}")
    if date_col not in batch.columns:
        raise ValueError(f"batch has no snapshot date column {date_col!r}")
    bad = [a for a in attrs if a in (key, date_col, *SCD_COLUMNS) or a.startswith("_")]
    if bad:
        raise ValueError(f"not attributes (key, snapshot date, SCD2 or lineage columns): {bad}")
    missing = [a for a in attrs if a not in batch.columns]
    if missing:
        raise ValueError(f"attributes missing from the batch: {missing}")
    clash = [c for c in batch.columns if c in SCD_COLUMNS or c.startswith("__snap_")]
    if clash:
        raise ValueError(f"batch must not carry {clash}")
    if "valid_from" not in current.columns:
        raise ValueError("current needs valid_from (to refuse snapshots older than silver)")


def _validate_batch(batch: DataFrame, key: str, date_col: str, dates_arr: Column) -> None:
    """One small job: no null keys, one row per (key, date), every date listed in ``dates``."""
    per = batch.groupBy(key, date_col).count()
    stats = per.agg(
        F.max("count").alias("max_rows"),
        F.sum(F.when(F.col(key).isNull(), F.col("count"))).alias("null_keys"),
        F.sum(F.when(F.coalesce(F.array_position(dates_arr, F.col(date_col)), F.lit(0)) == 0, F.col("count")))
        .alias("unlisted"),
        F.min(F.when(F.array_position(dates_arr, F.col(date_col)) == 0, F.col(date_col))).alias("first_unlisted"),
    ).first()
    if stats.null_keys:
        raise ValueError(f"{stats.null_keys} batch rows have a null {key}")
    if stats.unlisted:
        raise ValueError(f"{stats.unlisted} batch rows have a {date_col} not in dates "
                         f"(e.g. {stats.first_unlisted})")
    if stats.max_rows and stats.max_rows > 1:
        raise ValueError(f"a {key} occurs more than once in one snapshot (dedupe first)")


def snapshot_diff(current: DataFrame, batch: DataFrame, key: str, attrs: Sequence[str], date_col: str,
                  dates: Sequence[dt.date], deliveries: Mapping[dt.date, str] | None = None,
                  validate: bool = True) -> SnapshotPlan:
    """Change records and SCD2 operations for one or more complete snapshots.

    ``current``: the open versions (is_current) of the table — batch columns + valid_from, valid_to,
    is_current, row_hash; may be empty. ``batch``: the rows of the complete snapshots, ``date_col`` =
    snapshot date; ``dates``: every snapshot date of the batch (a date without rows is an empty
    snapshot: every key is gone). Every date must be later than any ``valid_from`` in ``current``
    (ValueError otherwise: a snapshot older than silver cannot be applied as a diff).

    ``_delivery_id`` of a change is the one of its snapshot row; for ``gone`` (no row) it is
    ``deliveries[date]`` when given, else the delivery id of that date's batch rows when they all
    share one, else null (an empty snapshot needs ``deliveries`` to be attributed).

    ``validate`` (one small aggregate job over the batch) refuses null keys, a key twice in one
    snapshot and rows whose date is not in ``dates``; without it such rows give wrong results (rows
    of unlisted dates are ignored). Always run: one job reading ``max(valid_from)`` of ``current``.

    Each of the three outputs costs one shuffle of (current + batch) by key (plus, for ``changes``,
    a tiny broadcast aggregate); persist ``plan.timeline`` first to compute that shuffle once.
    """
    attrs = list(attrs)
    _check_arguments(current, batch, key, attrs, date_col)
    dates = sorted(set(dates))
    if not dates:
        raise ValueError("dates is empty")
    latest = current.agg(F.max("valid_from")).first()[0]
    if latest is not None and dates[0] <= latest:
        raise ValueError(f"snapshot {dates[0]} is not later than the latest version in silver (valid_from "
                         f"{latest}); an older or repeated snapshot cannot be applied as a diff")
    n = len(dates)
    dates_arr = F.array(*[F.lit(d) for d in dates])
    if validate:
        _validate_batch(batch, key, date_col, dates_arr)

    def date_at(ordinal: Column) -> Column:  # ordinal 1..n → snapshot date (null outside)
        return F.when((ordinal >= 1) & (ordinal <= n), F.try_element_at(dates_arr, ordinal))

    schema = batch.schema
    rows = (batch.withColumn(_ORD, F.array_position(dates_arr, F.col(date_col)).cast("int"))
            .where(F.col(_ORD) > 0)
            .withColumn(_HASH, row_hash(attrs, schema)))
    open_versions = current.select(
        F.col(key),
        *[(F.col(a) if a in current.columns else F.lit(None)).cast(schema[a].dataType).alias(a) for a in attrs],
    ).withColumn(_ORD, F.lit(0)).withColumn(_HASH, row_hash(attrs, schema))
    both = rows.unionByName(open_versions, allowMissingColumns=True)

    w = Window.partitionBy(key).orderBy(_ORD)
    o, h = F.col(_ORD), F.col(_HASH)
    prev_ord, prev_hash = F.lag(_ORD).over(w), F.lag(_HASH).over(w)
    next_ord, next_hash = F.lead(_ORD).over(w), F.lead(_HASH).over(w)
    timeline = (both
                .withColumn(_PREV, F.lag(F.struct(*attrs)).over(w) if attrs else F.lit(None))
                .withColumn(_EVENT, F.when(o == 0, F.lit(None).cast("string"))
                            .when(prev_ord.isNull() | (prev_ord < o - 1), F.lit("new"))
                            .when(prev_hash != h, F.lit("changed")))
                .withColumn(_GONE_NEXT, (o < n) & (next_ord.isNull() | (next_ord > o + 1)))
                # the version this row belongs to ends with the next snapshot date (gone or changed there)
                .withColumn(_ENDS, F.when(F.col(_GONE_NEXT) | ((next_ord == o + 1) & (next_hash != h)),
                                          date_at(o + 1)))
                .withColumn(_VALID_TO, F.first(_ENDS, ignorenulls=True)
                            .over(w.rowsBetween(Window.currentRow, Window.unboundedFollowing))))
    names = sorted(attrs)
    prev = F.col(_PREV)
    empty = F.array().cast("array<string>")
    diff = (F.array_compact(F.array(*[
        F.when(~canonical(prev.getField(a), schema[a].dataType).eqNullSafe(canonical(F.col(a), schema[a].dataType)),
               F.lit(a)) for a in names])) if names else empty)
    timeline = timeline.withColumn(_CHANGED, F.when(F.col(_EVENT) == "changed", diff).otherwise(empty)).drop(_PREV)

    has_delivery = "_delivery_id" in batch.columns
    row_delivery = F.col("_delivery_id") if has_delivery else F.lit(None).cast("string")
    # each row yields its own event and/or the 'gone' that follows it: one pass, no union of two windows
    event = F.when(F.col(_EVENT).isNotNull(), F.struct(
        F.col(_EVENT).alias("change_type"), date_at(o).alias("snapshot_date"), F.col(_CHANGED).alias("changed_columns"),
        row_delivery.cast("string").alias("_delivery_id")))
    gone = F.when(F.col(_GONE_NEXT), F.struct(
        F.lit("gone").alias("change_type"), date_at(o + 1).alias("snapshot_date"), empty.alias("changed_columns"),
        F.lit(None).cast("string").alias("_delivery_id")))
    changes = (timeline.where(F.col(_EVENT).isNotNull() | F.col(_GONE_NEXT))
               .select(F.col(key), F.inline(F.array_compact(F.array(event, gone)))))
    is_gone = F.col("change_type") == "gone"
    given = _given_delivery(deliveries)
    if has_delivery and any(d not in (deliveries or {}) for d in dates):
        # the delivery all of that date's rows came from (small aggregate, broadcast)
        derived = batch.groupBy(F.col(date_col).alias("snapshot_date")).agg(
            F.when(F.min("_delivery_id") == F.max("_delivery_id"), F.min("_delivery_id")).alias("__snap_derived"))
        gone_delivery = F.coalesce(given, F.col("__snap_derived").cast("string"))
        changes = (changes.join(F.broadcast(derived), "snapshot_date", "left")
                   .withColumn("_delivery_id", F.when(is_gone, gone_delivery).otherwise(F.col("_delivery_id"))))
    else:
        changes = changes.withColumn("_delivery_id", F.when(is_gone, given).otherwise(F.col("_delivery_id")))
    changes = changes.select(key, "change_type", "snapshot_date", "changed_columns", "_delivery_id")

    closes = timeline.where((o == 0) & F.col(_VALID_TO).isNotNull()).select(
        F.col(key), F.col(_VALID_TO).alias("valid_to"))
    inserts = timeline.where(F.col(_EVENT).isNotNull()).select(
        *[F.col(c) for c in batch.columns], date_at(o).alias("valid_from"), F.col(_VALID_TO).alias("valid_to"),
        F.col(_VALID_TO).isNull().alias("is_current"), h.alias("row_hash"))
    return SnapshotPlan(changes=changes, closes=closes, inserts=inserts, timeline=timeline)


def _given_delivery(deliveries: Mapping[dt.date, str] | None) -> Column:
    """The explicitly given delivery id of ``snapshot_date`` (null where not given)."""
    out = F.lit(None).cast("string")
    for d, delivery in (deliveries or {}).items():
        out = F.when(F.col("snapshot_date") == F.lit(d), F.lit(delivery)).otherwise(out)
    return out


# ---- applying a batch to a silver table ----------------------------------------------------------------
def snapshot_key(columns: Sequence[str], primary_key: Sequence[str]) -> str:
    """The SCD2 key of a snapshot table: the person token when the rows carry one, else the first key."""
    return "id_number_token" if "id_number_token" in columns else primary_key[0]


def snapshot_deliveries(rows: DataFrame, deliveries: Sequence[tuple[dt.date, str]],
                        date_col: str = "snapshot_date") -> dict[dt.date, str]:
    """{snapshot date: delivery id} of a batch (runs a small job): the dates of the rows, and every
    delivery's own date (``deliveries``: (delivered on, delivery id)) — an empty snapshot is a
    snapshot too, in which every key is gone."""
    by_date = {r[date_col]: r["_delivery_id"] for r in rows.select(date_col, "_delivery_id").distinct().collect()}
    for day, delivery in deliveries:
        by_date.setdefault(day, delivery)
    return by_date


def with_scd_columns(rows: DataFrame) -> DataFrame:
    """``rows`` + null ``valid_from, valid_to, is_current, row_hash`` (the SCD2 table's layout)."""
    return (rows.withColumn("valid_from", F.lit(None).cast("date")).withColumn("valid_to", F.lit(None).cast("date"))
            .withColumn("is_current", F.lit(None).cast("boolean")).withColumn("row_hash", F.lit(None).cast("string")))


def carry_held(rows: DataFrame, current: DataFrame, bad: DataFrame, key: str, date_col: str, key_bytes: bytes,
               dates: Iterable[dt.date]) -> DataFrame:
    """``rows`` + the open version of each person whose snapshot row was quarantined for another
    reason than the ID (``bad``: rows with ``_violations`` and a valid ``id_number``): carried into
    that snapshot unchanged ("held"), so a bad mobile does not read as gone-then-new. A key both held
    and delivered clean the same day (a duplicate line) keeps the clean row."""
    id_ok = ~F.exists(F.col("_violations"), lambda v: (v["column"] == "id_number") | (v["rule"] == "parseable"))
    held = (bad.where(id_ok & F.col(date_col).isNotNull())
            .select(hmac_sha256(F.col("id_number"), key_bytes).alias(key), F.col(date_col).alias("_held_on"))
            .where(F.col("_held_on").isin(list(dates))).distinct())
    carried = (current.join(held, key).drop(date_col, *SCD_COLUMNS)
               .withColumnRenamed("_held_on", date_col).select(*rows.columns))
    carried = carried.join(rows.select(key, date_col), [key, date_col], "left_anti")
    return rows.unionByName(carried)


def scd2_merge_source(plan: SnapshotPlan, key: str, columns: Sequence[str], types: Mapping[str, str]) -> DataFrame:
    """The source of the one MERGE that applies ``plan`` to the SCD2 table (``columns``, of ``types``):
    the versions to close (``_merge_key`` = their key, ``valid_to``) and the versions to insert
    (``_merge_key`` null)."""
    closes = plan.closes.select(F.col(key).alias("_merge_key"), *[
        (F.col("valid_to") if x == "valid_to" else F.lit(None).cast(types.get(x, "string"))).alias(x)
        for x in columns])
    inserts = plan.inserts.select(F.lit(None).cast("string").alias("_merge_key"), *columns)
    return closes.unionByName(inserts)
