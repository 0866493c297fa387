"""Bronze records → silver rows (pure DataFrame → DataFrame functions).

1. ``checked_rows``: ``parse_records`` (the delivered text of each record → one string column per
   contract column, by delivered header or key; unknown fields kept in ``_extra`` — schema drift;
   malformed records flagged), then ``contract_rules.parse_typed`` / ``standardise`` /
   ``evaluate_rules`` (see that module) → ``_violations``; ``contract_rules.split`` separates them.
2. ``dedupe``: one row per business key, the latest update wins; the others are counted duplicates.
3. ``pseudonymise``: IDs and mobiles → keyed tokens, names and addresses removed; the clear values
   go to the vault rows instead.
4. ``mark_stale`` / ``fresh_rows``: rows silver already holds as new or newer are duplicates too.

Also the rows ``spark_jobs.io`` writes beside silver: ``quarantine_rows`` (``rejected_rows``,
``violation_rows``, ``gated_rows``) and ``history_rows`` (status history of lifecycle tables); and
the counts silver's accounting is made of (``counts_by_delivery``, ``stale_counts``, ``batch_counts``).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from io import StringIO

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from govlake.contracts import Contract, Table, parse_type, silver_column_names, token_column
from spark_jobs.transforms.contract_rules import evaluate_rules, parse_typed, quarantined
from spark_jobs.transforms.identity import hmac_sha256, normalize_id, normalize_mobile

LINEAGE = ["_delivery_id", "_source_file", "_line", "_ingested_at"]


def _csv_fields(line: Column, n: int) -> Column:
    """Split one CSV line into fields (RFC 4180 quoting) as array<string>."""
    schema = ", ".join(f"c{i} string" for i in range(n + 1))  # one extra field detects too many
    parsed = F.from_csv(line, schema, {"mode": "PERMISSIVE", "nullValue": "", "emptyValue": ""})
    return F.array(*[parsed[f"c{i}"] for i in range(n + 1)])


def parse_records(bronze: DataFrame, table: Table, fmt: str, header: list[str] | None) -> DataFrame:
    """Bronze rows of ONE delivery → contract-named string columns + ``_extra`` + ``_malformed``.

    CSV uses the delivery's own header (so renamed or added columns are seen for what they are);
    JSON-like records (JSONL, Parquet and XLSX rows) are read by key."""
    by_source = {c.source: c.name for c in table.columns}
    cols: list[Column] = []
    if fmt == "csv":
        if header is None:
            raise ValueError("a CSV delivery needs its header")
        fields = _csv_fields(F.col("_record"), len(header))
        for c in table.columns:
            cols.append((fields[header.index(c.source)] if c.source in header else F.lit(None).cast("string"))
                        .alias(c.name))
        extra_names = [h for h in header if h not in by_source]
        extra = (F.map_from_arrays(F.array(*[F.lit(h) for h in extra_names]),
                                   F.array(*[fields[header.index(h)] for h in extra_names]))
                 if extra_names else F.lit(None).cast("map<string,string>"))
        # a record with fewer fields than the header, or more, is malformed
        count = F.size(F.split(F.col("_record"), ",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)"))
        malformed = (count != len(header)) | F.col("_problem").isNotNull()
    else:
        obj = F.from_json(F.col("_record"), "map<string,string>")
        for c in table.columns:
            t = parse_type(c.type)
            if isinstance(t, tuple) and t[0] in ("array", "struct"):
                value = F.from_json(F.get_json_object(F.col("_record"), f"$.{c.source}"), c.type)
            else:
                value = obj[c.source]
            cols.append(value.alias(c.name))
        known = F.array(*[F.lit(k) for k in by_source])
        extra = F.map_filter(obj, lambda k, v: ~F.array_contains(known, k))
        extra = F.when(F.size(extra) > 0, extra)
        malformed = obj.isNull() | F.col("_problem").isNotNull()
    return bronze.select(*cols, extra.alias("_extra"), malformed.alias("_malformed"),
                         *[F.col(c) for c in ["_delivery_id", "_source_file", "_line", "_record", "_ingested_at"]])


def dedupe(df: DataFrame, table: Table, within: tuple[str, ...] = ()) -> tuple[DataFrame, DataFrame]:
    """(one row per key — the latest update, then the last line — , the other rows as duplicates).

    ``within``: columns that scope the key (a full snapshot's date: each day's snapshot keeps its row)."""
    order = [F.col(table.update_column).desc_nulls_last()] if table.update_column else []
    w = Window.partitionBy(*table.primary_key, *within).orderBy(*order, F.col("_line").desc())
    ranked = df.withColumn("_rank", F.row_number().over(w))
    return ranked.where("_rank = 1").drop("_rank"), ranked.where("_rank > 1").drop("_rank")


def pseudonymise(df: DataFrame, table: Table, key: bytes) -> tuple[DataFrame, DataFrame]:
    """(silver rows: tokens instead of IDs and mobiles, names/addresses removed;
    vault rows: token → clear identifiers for lawful re-identification)."""
    silver = df
    vault_parts = []
    for c in table.columns:
        tok = token_column(c)
        if tok is None:
            t = parse_type(c.type)
            if isinstance(t, tuple) and t[0] == "array" and "resident_id" in c.rules:
                # nested persons: keep role and community, tokenise ID and mobile, drop the name
                silver = silver.withColumn(c.name, F.transform(F.col(c.name), lambda p: F.struct(
                    p["role"].alias("role"),
                    hmac_sha256(normalize_id(p["id_number"]), key).alias("person_token"),
                    hmac_sha256(normalize_mobile(p["mobile"]), key).alias("mobile_token"),
                    p["community_code"].alias("community_code"))))
                vault_parts.append(df.select(F.explode_outer(F.col(c.name)).alias("p")).select(
                    hmac_sha256(normalize_id(F.col("p.id_number")), key).alias("token"),
                    normalize_id(F.col("p.id_number")).alias("id_number"), F.col("p.name").alias("name"),
                    normalize_mobile(F.col("p.mobile")).alias("mobile"), F.lit(None).cast("string").alias("address")))
            continue
        if tok:
            norm = normalize_id(F.col(c.name)) if "resident_id" in c.rules else normalize_mobile(F.col(c.name))
            silver = silver.withColumn(tok, hmac_sha256(norm, key))
    # vault: one row per person token seen with its clear identifiers (first ID column of the table)
    ids = [c for c in table.columns if token_column(c) and "resident_id" in c.rules]
    if ids:
        pid = ids[0]
        name = next((c.name for c in table.columns if c.name in ("name", f"{pid.name.removesuffix('_id')}_name")),
                    None)
        mobile = next((c.name for c in table.columns if token_column(c) and "mobile" in c.rules), None)
        address = next((c.name for c in table.columns if c.name == "address" and c.pii.value == "direct"), None)
        vault_parts.append(df.select(
            hmac_sha256(normalize_id(F.col(pid.name)), key).alias("token"),
            normalize_id(F.col(pid.name)).alias("id_number"),
            (F.col(name) if name else F.lit(None).cast("string")).alias("name"),
            (normalize_mobile(F.col(mobile)) if mobile else F.lit(None).cast("string")).alias("mobile"),
            (F.col(address) if address else F.lit(None).cast("string")).alias("address")))
    keep = [c for c in silver_column_names(table) if c in silver.columns]
    silver = silver.select(*keep)
    if vault_parts:
        vault = vault_parts[0]
        for part in vault_parts[1:]:
            vault = vault.unionByName(part)
        vault = vault.where(F.col("token").isNotNull()).dropDuplicates(["token"])
    else:
        vault = df.sparkSession.createDataFrame([], "token string, id_number string, name string, mobile string, "
                                                    "address string")
    return silver, vault


def standardise(df: DataFrame, table: Table) -> DataFrame:
    """IDs (full-width, lowercase x, 15 → 18 digits) and mobiles (+86, separators) in standard form."""
    out = df
    for c in table.columns:
        if isinstance(parse_type(c.type), tuple):
            continue
        if "resident_id" in c.rules:
            out = out.withColumn(c.name, normalize_id(F.col(c.name)))
        elif "mobile" in c.rules:
            out = out.withColumn(c.name, normalize_mobile(F.col(c.name)))
    return out


def malformed_violation(df: DataFrame) -> DataFrame:
    """A record that cannot be read as a whole (wrong field count, bad JSON, damaged bytes) is
    quarantined under the ``parseable`` rule."""
    v = F.struct(F.lit("parseable").alias("rule"), F.lit(None).cast("string").alias("column"),
                 F.lit("quarantine").alias("severity"), F.lit("malformed record").alias("reason"))
    return df.withColumn("_violations", F.when(F.col("_malformed"), F.concat(F.array(v), F.col("_violations")))
                         .otherwise(F.col("_violations")))


def without_deliveries(df: DataFrame, delivery_ids: Iterable[str]) -> DataFrame:
    """The rows of ``df`` not from ``delivery_ids``."""
    return df.where(~F.col("_delivery_id").isin(list(delivery_ids)))


# ---- a batch of deliveries of one table ----------------------------------------------------------------
def delivery_time(day: dt.date) -> dt.datetime:
    """End of the delivery day in Wuhan, as a naive UTC instant (the not_future limit)."""
    return dt.datetime.combine(day, dt.time(23, 59, 59)) - dt.timedelta(hours=8)


def delivery_header(contract: Contract, table: Table, raw: str | None) -> list[str] | None:
    """The header a delivery came with (``ops.deliveries.header``) as the column names of ``table``:
    the CSV header line, the XLSX sheet's header row; None for formats read by key."""
    if contract.delivery.format == "csv":
        return next(csv.reader(StringIO(raw or "")))
    if contract.delivery.format == "xlsx":
        return (json.loads(raw) if raw else {}).get(table.sheet, [])
    return None


def checked_rows(bronze: DataFrame, contract: Contract, table: Table, header: list[str] | None,
                 delivered_on: Mapping[str, dt.date], reference: DataFrame) -> DataFrame:
    """Bronze rows of deliveries sharing ``header`` → typed, standardised rows with ``_violations``.

    ``not_future`` is judged against each record's own delivery time (``delivered_on``: delivery id →
    delivery day), so deliveries of several days are checked in one pass."""
    parsed = parse_records(bronze, table, contract.delivery.format, header)
    typed = standardise(parse_typed(parsed, table), table)
    as_of = F.create_map(*[x for did, day in delivered_on.items() for x in (F.lit(did), F.lit(delivery_time(day)))])
    typed = typed.withColumn("_as_of", as_of[F.col("_delivery_id")])
    return malformed_violation(evaluate_rules(typed, contract, table, F.col("_as_of"), reference)).drop("_as_of")


def counts_by_delivery(df: DataFrame) -> dict[str, int]:
    """{delivery id: rows} of ``df`` (runs a small aggregate)."""
    return {r["_delivery_id"]: r["count"] for r in df.groupBy("_delivery_id").count().collect()}


@dataclass(frozen=True)
class BatchCounts:
    """Per delivery, from one aggregate over a batch's checked rows: rows, rows to quarantine, and the
    delivered columns outside the contract (the keys of ``_extra``) of the rows that pass."""

    rows: dict[str, int]
    invalid: dict[str, int]
    drift: dict[str, set[str]]


def batch_counts(checked: DataFrame) -> BatchCounts:
    """``BatchCounts`` of ``checked`` (``checked_rows``' output) in ONE Spark job, where counting
    each side of ``split`` and scanning the passing side for drift took three."""
    bad = quarantined(F.col("_violations"))
    rows = (checked.groupBy("_delivery_id")
            .agg(F.count(F.lit(1)).alias("n"), F.sum(F.when(bad, 1).otherwise(0)).alias("bad"),
                 F.array_distinct(F.flatten(F.collect_list(F.when(~bad & F.col("_extra").isNotNull(),
                                                                  F.map_keys("_extra"))))).alias("extra"))
            .collect())
    return BatchCounts({r["_delivery_id"]: r["n"] for r in rows},
                       {r["_delivery_id"]: r["bad"] for r in rows if r["bad"]},
                       {r["_delivery_id"]: set(r["extra"]) for r in rows if r["extra"]})



# ---- quarantine ----------------------------------------------------------------------------------------
def quarantine_rows(df: DataFrame, table_name: str, rule: Column, column: Column, reason: Column,
                    violations: Column) -> DataFrame:
    """Rows of ``df`` (bronze lineage columns) as ``quarantine.<feed>`` rows, stamped now."""
    return df.select(F.col("_delivery_id").alias("delivery_id"), F.col("_source_file").alias("source_file"),
                     F.col("_line").alias("line"), F.lit(table_name).alias("table_name"), rule.alias("rule"),
                     column.alias("column_name"), reason.alias("reason"), violations.alias("violations"),
                     F.col("_record").alias("record"), F.current_timestamp().alias("quarantined_at"))


def rejected_rows(bronze: DataFrame, table_name: str, reason: str) -> DataFrame:
    """Every row of a delivery rejected whole, under the ``required_columns`` rule."""
    none = F.lit(None).cast("string")
    return quarantine_rows(bronze, table_name, F.lit("required_columns"), none, F.lit(reason), none)


def violation_rows(bad: DataFrame, table_name: str) -> DataFrame:
    """Rows that broke a row rule, under their first violation (all of them as JSON)."""
    first = F.col("_violations")[0]
    return quarantine_rows(bad, table_name, first["rule"], first["column"], first["reason"],
                           F.to_json(F.col("_violations")))


def gated_rows(kept: DataFrame, table_name: str, blocked: Mapping[str, str]) -> DataFrame:
    """The rows of the deliveries the quality gate blocked (``blocked``: delivery id → reason)."""
    gated = kept.where(F.col("_delivery_id").isin(list(blocked)))
    why = F.create_map(*[x for did, r in blocked.items() for x in (F.lit(did), F.lit(r))])
    return quarantine_rows(gated, table_name, F.lit("quality_gate"), F.lit(None).cast("string"),
                           why[F.col("_delivery_id")], F.lit(None).cast("string"))


# ---- against what silver holds (tables that are not full snapshots) -----------------------------------
def upsert_keys(table: Table, columns: Sequence[str]) -> list[str]:
    """The silver key columns of ``table`` (a tokenised key under its token column's name)."""
    return [k if k in columns else f"{k}_token" for k in table.primary_key]


def target_columns(table: Table, keys: Sequence[str]) -> list[str]:
    """What ``mark_stale`` needs of the silver table: keys, ``_delivery_id``, the update column."""
    return [*keys, "_delivery_id", *([table.update_column] if table.update_column else [])]


def mark_stale(rows: DataFrame, target: DataFrame, table: Table, keys: Sequence[str]) -> DataFrame:
    """``rows`` + ``_exists``, ``_target_updated`` and ``_stale``: silver already holds the key from
    ANOTHER delivery, as new or newer (a duplicate). A row this same delivery wrote (a rerun after a
    crash between the MERGE and the accounting) does not make it stale."""
    cond = [F.col(f"s.{k}") == F.col(f"t.{k}") for k in keys]
    matched = rows.alias("s").join(target.alias("t"), cond, "left").select(
        "s.*", (F.col(f"t.{keys[0]}").isNotNull() & (F.col("t._delivery_id") != F.col("s._delivery_id")))
        .alias("_exists"),
        (F.col(f"t.{table.update_column}") if table.update_column else F.lit(None)).alias("_target_updated"))
    stale = F.col("_exists") & (F.lit(True) if not table.update_column else
                                F.col(f"s.{table.update_column}") <= F.col("_target_updated"))
    return matched.withColumn("_stale", stale)


def stale_counts(matched: DataFrame) -> dict[str, tuple[int, int]]:
    """{delivery id: (accepted, stale)} of ``mark_stale``'s rows (runs a small aggregate)."""
    out: dict[str, tuple[int, int]] = {}
    for r in matched.groupBy("_delivery_id", "_stale").count().collect():
        accepted, stale = out.get(r["_delivery_id"], (0, 0))
        out[r["_delivery_id"]] = (accepted, r["count"]) if r["_stale"] else (r["count"], stale)
    return out


def fresh_rows(matched: DataFrame) -> DataFrame:
    """The rows of ``mark_stale`` that go to silver, without its helper columns."""
    return matched.where(~F.col("_stale")).drop("_exists", "_target_updated", "_stale")


# ---- status history of lifecycle tables ----------------------------------------------------------------
def history_columns(table: Table) -> list[str]:
    life = table.lifecycle
    return list(dict.fromkeys([*table.primary_key, life.status_column, *life.timestamps, table.update_column]))


def history_ddl(table: Table) -> str:
    types = {c.name: c.type for c in table.columns}
    return (", ".join(f"`{c}` {types[c].upper()}" for c in history_columns(table))
            + ", _delivery_id STRING, _source_file STRING, _line INT")


def history_keys(table: Table) -> list[str]:
    """One history row per (key, update time, status)."""
    return [*table.primary_key, table.update_column, table.lifecycle.status_column]


def history_rows(rows: DataFrame, table: Table) -> DataFrame:
    """Every status a lifecycle record went through (each accepted version, also older ones that
    arrive late), once per ``history_keys``."""
    return (rows.select(*history_columns(table), "_delivery_id", "_source_file", "_line")
            .dropDuplicates(history_keys(table)))
