"""Bronze → silver for file-drop feeds: `python -m spark_jobs.jobs.silver --feed F --reference CSV`.

Per landed delivery not yet processed: parse by the contract (by the delivery's own header),
standardise, apply the row rules, quarantine failing rows with rule and reason, deduplicate by
business key (latest update wins), replace IDs and mobiles by keyed tokens (clear values to
``vault.person_identity``), MERGE into ``silver.<table>``, and account for every record:
rows in = accepted + quarantined + duplicates, written to ``ops.silver_accounting``; a mismatch
fails the job. A delivery missing a required column is rejected whole (its rows quarantined under
``required_columns``) and silver is left untouched.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io
import json
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from govlake.contracts import Contract, Table, contract, silver_column_names
from govlake.errors import GovlakeError
from govlake.quality import Gate, blocking_reason
from govlake.settings import load_settings
from spark_jobs.ops import ACCOUNTING_COLUMNS, QUALITY_COLUMNS, QUARANTINE_COLUMNS, VAULT_COLUMNS, spark_ddl


class AccountingError(GovlakeError):
    pass


@dataclass
class Accounted:
    table: str
    source: str
    rows_in: int
    accepted: int
    quarantined: int
    duplicate: int
    status: str
    reason: str | None = None
    delivery_id: str = ""


def delivery_time(day: dt.date) -> dt.datetime:
    """End of the delivery day in Wuhan, as a naive UTC instant (the not_future limit)."""
    return dt.datetime.combine(day, dt.time(23, 59, 59)) - dt.timedelta(hours=8)


def _header(c: Contract, table: Table, raw: str | None) -> list[str] | None:
    if c.delivery.format == "csv":
        return next(csv.reader(io.StringIO(raw or "")))
    if c.delivery.format == "xlsx":
        return (json.loads(raw) if raw else {}).get(table.sheet, [])
    return None


def process_batch(spark, settings, c: Contract, table: Table, deliveries: list, header: list[str] | None,
                  reference, key: bytes, gate: Gate, tag: str = "") -> list[Accounted]:
    """All pending deliveries of one table that share a header, in one pass (one parse, one rule
    evaluation, one quarantine append, one MERGE), accounted per delivery."""
    from pyspark.sql import functions as F

    from spark_jobs.io import ensure_table
    from spark_jobs.transforms.contract_rules import evaluate_rules, missing_columns, parse_typed, split
    from spark_jobs.transforms.hierarchy import add_hierarchy
    from spark_jobs.transforms.silver import dedupe, malformed_violation, parse_records, pseudonymise, standardise

    sch = settings.schema
    silver_table, q_table = f"{sch('silver')}.{table.name}", f"{sch('quarantine')}.{c.feed}"
    vault_table = f"{sch('vault')}.person_identity"
    ensure_table(spark, q_table, QUARANTINE_COLUMNS, f"rows of {c.feed} that failed a rule, with the reason")
    ids = [d.delivery_id for d in deliveries]
    batch_id = f"{table.name}:{tag}" + ",".join(sorted(ids))
    bronze = spark.table(f"{sch('bronze')}.{c.feed}").where(F.col("_delivery_id").isin(ids))
    if table.sheet:
        bronze = bronze.where(F.col("_sheet") == table.sheet)
    rows_in = {r["_delivery_id"]: r["count"] for r in bronze.groupBy("_delivery_id").count().collect()}
    now = F.current_timestamp()

    def quarantine(df, rule_col, column_col, reason_col, violations_col):
        """Quarantine rows, once per (delivery, source, table, line): a rerun or a replay of the same
        delivery does not add them twice."""
        out = df.select(F.col("_delivery_id").alias("delivery_id"), F.col("_source_file").alias("source_file"),
                        F.col("_line").alias("line"), F.lit(table.name).alias("table_name"), rule_col.alias("rule"),
                        column_col.alias("column_name"), reason_col.alias("reason"),
                        violations_col.alias("violations"), F.col("_record").alias("record"),
                        now.alias("quarantined_at"))
        out.createOrReplaceTempView("_q")
        spark.sql(f"MERGE INTO {q_table} t USING _q s ON t.delivery_id = s.delivery_id AND "
                  "t.source_file = s.source_file AND t.table_name = s.table_name AND t.line = s.line "
                  "WHEN NOT MATCHED THEN INSERT *")
        spark.catalog.dropTempView("_q")

    missing = missing_columns(header, table) if header is not None else []
    if missing:
        reason = f"missing required column(s) {', '.join(missing)}: delivery rejected, silver untouched"
        none = F.lit(None).cast("string")
        quarantine(bronze, F.lit("required_columns"), none, F.lit(reason), none)
        return [Accounted(table.name, d.source, rows_in.get(d.delivery_id, 0), 0, rows_in.get(d.delivery_id, 0), 0,
                          "rejected", reason, d.delivery_id) for d in deliveries]

    parsed = parse_records(bronze, table, c.delivery.format, header)
    typed = standardise(parse_typed(parsed, table), table)
    # not_future is judged against each record's own delivery time
    as_of = F.create_map(*[x for d in deliveries for x in (F.lit(d.delivery_id), F.lit(delivery_time(d.delivered_on)))])
    typed = typed.withColumn("_as_of", as_of[F.col("_delivery_id")])
    checked = malformed_violation(evaluate_rules(typed, c, table, F.col("_as_of"), reference)).drop("_as_of").cache()
    ok, bad = split(checked)
    ok = add_hierarchy(ok, table, reference)
    first = F.col("_violations")[0]
    quarantine(bad, first["rule"], first["column"], first["reason"], F.to_json(F.col("_violations")))
    kept, dups = dedupe(ok, table, ("snapshot_date",) if c.delivery.full_snapshot else ())
    kept = kept.cache()
    ensure_table(spark, vault_table, VAULT_COLUMNS,
                 "clear identifiers behind person tokens (restricted: lawful re-identification only)")
    silver_rows, vault_rows = pseudonymise(kept, table, key)
    # the quality gate: each delivery's silver rows through the derived GX suite, before any write
    outcomes: dict[str, list] = {}
    frame = silver_rows.toPandas()
    for did, part in frame.groupby("_delivery_id", sort=False):
        outcomes[did] = gate.validate(c.feed, table.name, part.reset_index(drop=True))
    blocked = {did: reason for did, out in outcomes.items() if (reason := blocking_reason(out))}
    if blocked:
        gated = kept.where(F.col("_delivery_id").isin(list(blocked)))
        why = F.create_map(*[x for did, r in blocked.items() for x in (F.lit(did), F.lit(r))])
        quarantine(gated, F.lit("quality_gate"), F.lit(None).cast("string"), why[F.col("_delivery_id")],
                   F.lit(None).cast("string"))
        kept = kept.where(~F.col("_delivery_id").isin(list(blocked)))
        silver_rows, vault_rows = pseudonymise(kept, table, key)
    write_quality(spark, settings, c.feed, table.name, outcomes, blocked, batch_id)
    counts: dict[str, dict[str, int]] = {d: {"bad": 0, "dup": 0, "stale": 0, "accepted": 0, "gated": 0} for d in ids}
    for name, df in (("bad", bad), ("dup", dups)):
        for r in df.groupBy("_delivery_id").count().collect():
            counts[r["_delivery_id"]][name] = r["count"]
    for did in blocked:
        counts[did]["gated"] = int((frame["_delivery_id"] == did).sum())
    if c.delivery.full_snapshot:
        silver_rows = silver_rows.cache()
        for r in silver_rows.groupBy("_delivery_id").count().collect():
            counts[r["_delivery_id"]]["accepted"] = r["count"]

        def write():
            applied = [d for d in deliveries if d.delivery_id not in blocked]
            apply_snapshots(spark, c, table, silver_table, silver_rows, applied, bad, key)
            silver_rows.unpersist()
    else:
        _create_silver(spark, c, table, silver_table, silver_rows)
        keys = [k if k in silver_rows.columns else f"{k}_token" for k in table.primary_key]
        target = spark.table(silver_table).select(*keys, "_delivery_id",
                                                  *([table.update_column] if table.update_column else []))
        cond = [F.col(f"s.{k}") == F.col(f"t.{k}") for k in keys]
        # a row silver already holds from ANOTHER delivery, as new or newer, makes this one a duplicate; a row
        # this same delivery wrote (a rerun after a crash between the MERGE and the accounting) does not
        matched = silver_rows.alias("s").join(target.alias("t"), cond, "left").select(
            "s.*", (F.col(f"t.{keys[0]}").isNotNull() & (F.col("t._delivery_id") != F.col("s._delivery_id")))
            .alias("_exists"),
            (F.col(f"t.{table.update_column}") if table.update_column else F.lit(None)).alias("_target_updated"))
        stale = F.col("_exists") & (F.lit(True) if not table.update_column else
                                    F.col(f"s.{table.update_column}") <= F.col("_target_updated"))
        matched = matched.withColumn("_stale", stale).cache()
        for r in matched.groupBy("_delivery_id", "_stale").count().collect():
            counts[r["_delivery_id"]]["stale" if r["_stale"] else "accepted"] = r["count"]

        def write():
            fresh = matched.where(~F.col("_stale")).drop("_exists", "_target_updated", "_stale")
            fresh.createOrReplaceTempView("_s")
            cols = [f"`{x}`" for x in silver_column_names(table)]
            on = " AND ".join(f"t.`{k}` = s.`{k}`" for k in keys)
            spark.sql(f"MERGE INTO {silver_table} t USING _s s ON {on} WHEN MATCHED THEN UPDATE SET * "
                      f"WHEN NOT MATCHED THEN INSERT ({', '.join(cols)}) VALUES ({', '.join('s.' + x for x in cols)})")
            spark.catalog.dropTempView("_s")
            matched.unpersist()
    # schema drift: columns outside the contract are kept in _extra and named in the accounting
    drift: dict[str, set[str]] = {}
    for r in (ok.where(F.col("_extra").isNotNull())
              .select("_delivery_id", F.explode(F.map_keys("_extra")).alias("k")).distinct().collect()):
        drift.setdefault(r["_delivery_id"], set()).add(r["k"])
    results = []
    for d in deliveries:
        n = counts[d.delivery_id]
        added = drift.get(d.delivery_id)
        reason = blocked.get(d.delivery_id) or (
            f"schema drift: column(s) {', '.join(sorted(added))} not in contract v{c.version}, kept in _extra"
            if added else None)
        acc = Accounted(table.name, d.source, rows_in.get(d.delivery_id, 0), n["accepted"], n["bad"] + n["gated"],
                        n["dup"] + n["stale"], "blocked" if d.delivery_id in blocked else "processed",
                        reason, d.delivery_id)
        if acc.rows_in != acc.accepted + acc.quarantined + acc.duplicate:
            raise AccountingError(f"{d.source}: {acc.rows_in} in != {acc.accepted} accepted + {acc.quarantined} "
                                  f"quarantined + {acc.duplicate} duplicate")
        results.append(acc)
    write()
    vault_rows.withColumn("first_seen", now).createOrReplaceTempView("_v")
    spark.sql(f"MERGE INTO {vault_table} t USING _v s ON t.token = s.token WHEN NOT MATCHED THEN INSERT *")
    spark.catalog.dropTempView("_v")
    if table.lifecycle and table.update_column:
        write_history(spark, f"{silver_table}_status_history", table,
                      ok.where(~F.col("_delivery_id").isin(list(blocked))) if blocked else ok)
    checked.unpersist()
    kept.unpersist()
    return results


def _create_silver(spark, c: Contract, table: Table, silver_table: str, rows) -> None:
    from spark_jobs.io import set_aside_interrupted_create

    if spark.catalog.tableExists(silver_table):
        return
    set_aside_interrupted_create(spark, silver_table)
    (rows.limit(0).write.format("delta")
     .option("comment", f"{c.department.zh} {table.name}: typed, valid, deduplicated; timestamps UTC")
     .saveAsTable(silver_table))
    spark.sql(f"ALTER TABLE {silver_table} SET TBLPROPERTIES ('govlake.source_zone' = 'Asia/Shanghai', "
              f"'govlake.contract' = '{c.feed} v{c.version}')")


def apply_snapshots(spark, c: Contract, table: Table, silver_table: str, rows, deliveries: list, bad=None,
                    key_bytes: bytes = b"") -> None:
    """Complete snapshots → change records (``<table>_changes``) and SCD2 versions, in one atomic MERGE
    (closing the versions that end and inserting the ones that start), so a crash leaves either the
    whole batch applied or none of it; a batch already applied (a rerun) is recognised and skipped.

    A quarantined snapshot row is not an absence: when its ID is valid (the row failed another
    rule), the person's open version is carried into that snapshot unchanged ("held"), so a bad
    mobile does not read as gone-then-new. A row whose ID itself is invalid cannot be attributed to
    anyone and the person does read as gone for that day (README, "Known limits")."""
    from pyspark.sql import functions as F

    from spark_jobs.io import ensure_table
    from spark_jobs.transforms.snapshot import attribute_columns, snapshot_diff

    key = "id_number_token" if "id_number_token" in rows.columns else table.primary_key[0]
    date_col = "snapshot_date"
    by_date = {r[date_col]: r["_delivery_id"] for r in rows.select(date_col, "_delivery_id").distinct().collect()}
    for d in deliveries:  # an empty snapshot is a snapshot too: every key gone
        by_date.setdefault(d.delivered_on, d.delivery_id)
    if not by_date:
        return
    plain = rows.withColumn("valid_from", F.lit(None).cast("date")).withColumn("valid_to", F.lit(None).cast("date")) \
        .withColumn("is_current", F.lit(None).cast("boolean")).withColumn("row_hash", F.lit(None).cast("string"))
    _create_silver(spark, c, table, silver_table, plain)
    ids = [d.delivery_id for d in deliveries]
    if spark.table(silver_table).where(F.col("_delivery_id").isin(ids)).limit(1).count():
        return  # this batch's versions are there already: the MERGE committed before a crash
    current = spark.table(silver_table).where("is_current")
    if bad is not None and "id_number" in bad.columns:
        from spark_jobs.transforms.identity import hmac_sha256

        id_ok = ~F.exists(F.col("_violations"), lambda v: (v["column"] == "id_number") | (v["rule"] == "parseable"))
        held = (bad.where(id_ok & F.col(date_col).isNotNull())
                .select(hmac_sha256(F.col("id_number"), key_bytes).alias(key), F.col(date_col).alias("_held_on"))
                .where(F.col("_held_on").isin(list(by_date))).distinct())
        carried = (current.join(held, key).drop(date_col, "valid_from", "valid_to", "is_current", "row_hash")
                   .withColumnRenamed("_held_on", date_col).select(*rows.columns))
        # a key both held and delivered clean the same day (a duplicate line) keeps the clean row
        carried = carried.join(rows.select(key, date_col), [key, date_col], "left_anti")
        rows = rows.unionByName(carried)
    plan = snapshot_diff(current, rows, key, attribute_columns(rows, key, date_col), date_col, sorted(by_date),
                         deliveries=by_date, validate=False)
    plan.timeline.persist()  # the changes and the SCD2 MERGE share one shuffle by key
    changes_table = f"{silver_table}_changes"
    ensure_table(spark, changes_table, f"`{key}` STRING, change_type STRING, snapshot_date DATE, "
                 "changed_columns ARRAY<STRING>, _delivery_id STRING",
                 "register changes between consecutive full snapshots: new / changed / gone")
    plan.changes.createOrReplaceTempView("_c")
    spark.sql(f"MERGE INTO {changes_table} t USING _c s ON t.`{key}` = s.`{key}` AND "
              "t.snapshot_date = s.snapshot_date AND t.change_type = s.change_type WHEN NOT MATCHED THEN INSERT *")
    cols = spark.table(silver_table).columns
    closes = plan.closes.select(F.col(key).alias("_merge_key"), *[
        (F.col("valid_to") if x == "valid_to" else F.lit(None).cast(dict(plain.dtypes).get(x, "string"))).alias(x)
        for x in cols])
    inserts = plan.inserts.select(F.lit(None).cast("string").alias("_merge_key"), *cols)
    closes.unionByName(inserts).createOrReplaceTempView("_scd")
    spark.sql(f"MERGE INTO {silver_table} t USING _scd s ON t.`{key}` = s._merge_key AND t.is_current "
              "WHEN MATCHED THEN UPDATE SET valid_to = s.valid_to, is_current = false "
              f"WHEN NOT MATCHED THEN INSERT ({', '.join(f'`{x}`' for x in cols)}) "
              f"VALUES ({', '.join(f's.`{x}`' for x in cols)})")
    for v in ("_c", "_scd"):
        spark.catalog.dropTempView(v)
    plan.timeline.unpersist()


def write_history(spark, history_table: str, table: Table, rows) -> None:
    """Every status a lifecycle record went through (each accepted version, also older ones that
    arrive late), once per (key, update time, status)."""
    from spark_jobs.io import ensure_table

    keys = list(table.primary_key)
    life = table.lifecycle
    cols = [*keys, life.status_column, *life.timestamps, table.update_column]
    cols = list(dict.fromkeys(cols))
    types = {c.name: c.type for c in table.columns}
    ensure_table(spark, history_table, ", ".join(f"`{c}` {types[c].upper()}" for c in cols)
                 + ", _delivery_id STRING, _source_file STRING, _line INT",
                 f"status history of {table.name}: one row per (key, {table.update_column}, status)")
    (rows.select(*cols, "_delivery_id", "_source_file", "_line")
     .dropDuplicates([*keys, table.update_column, life.status_column])
     .createOrReplaceTempView("_h"))
    on = " AND ".join(f"t.`{k}` <=> s.`{k}`" for k in [*keys, table.update_column, life.status_column])
    spark.sql(f"MERGE INTO {history_table} t USING _h s ON {on} WHEN NOT MATCHED THEN INSERT *")
    spark.catalog.dropTempView("_h")


def write_quality(spark, settings, feed: str, table_name: str, outcomes: dict, blocked: dict, batch_id: str) -> None:
    """GX outcomes per delivery → ops.quality_results (counts and observed values, no raw values)."""
    from spark_jobs.io import append_once, ensure_table

    qt = f"{settings.schema('ops')}.quality_results"
    ensure_table(spark, qt, QUALITY_COLUMNS, "Great Expectations outcomes per delivery and silver table")
    stamp = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = [(feed, table_name, did, o.suite, o.expectation, o.column, o.rule, o.severity, o.success, o.observed_value,
             o.element_count, o.unexpected_count, o.unexpected_percent, o.blocking, stamp)
            for did, out in outcomes.items() for o in out]
    if rows:
        df = spark.createDataFrame(rows, spark_ddl(QUALITY_COLUMNS).replace(" DOUBLE", " double")
                                   .replace(" BOOLEAN", " boolean").replace(" TIMESTAMP", " timestamp"))
        append_once(df, qt, app_id=f"quality:{hashlib.sha256(batch_id.encode()).hexdigest()[:32]}", version=1)


def _accounting_table(spark, settings) -> str:
    from spark_jobs.io import ensure_table

    accounting = f"{settings.schema('ops')}.silver_accounting"
    ensure_table(spark, accounting, ACCOUNTING_COLUMNS,
                 "per delivery and table: rows in = accepted + quarantined + duplicate")
    return accounting


def _account(spark, settings, feed: str, accs: list[Accounted], app_id: str, echo) -> None:
    from spark_jobs.io import append_once

    stamp = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = spark.createDataFrame(
        [(feed, a.table, a.delivery_id, a.source, a.rows_in, a.accepted, a.quarantined, a.duplicate,
          a.status, a.reason, stamp) for a in accs], spark_ddl(ACCOUNTING_COLUMNS))
    append_once(rows, _accounting_table(spark, settings), app_id=app_id, version=1)
    for a in accs:
        echo(f"{settings.schema('silver')}.{a.table} {a.source}: in {a.rows_in} = accepted {a.accepted} + "
             f"quarantined {a.quarantined} + duplicate {a.duplicate} [{a.status}]")


def run_silver(spark, settings, feed: str, reference_csv: Path, echo=print) -> list[Accounted]:
    """Every landed delivery of ``feed`` not yet accounted for, table by table."""
    from pyspark.sql import functions as F

    from govlake.secrets import secret

    c = contract(feed)
    key = secret(settings, "person_token_key", 32).encode()
    accounting = _accounting_table(spark, settings)
    done = {(r.delivery_id, r.table_name) for r in spark.table(accounting)
            .where(F.col("feed") == feed).select("delivery_id", "table_name").collect()}
    todo = (spark.table(f"{settings.schema('ops')}.deliveries").where((F.col("feed") == feed)
            & (F.col("status") == "landed")).orderBy("delivered_on", "source").collect())
    reference = spark.read.option("header", True).csv(str(reference_csv)).select("level", "code", "parent_code").cache()
    gate = quality_gate()
    results = []
    for table in c.tables:
        pending = [d for d in todo if (d.delivery_id, table.name) not in done]
        groups: dict[str, list] = {}
        for d in pending:  # deliveries sharing a header are parsed together
            groups.setdefault(json.dumps(_header(c, table, d.header), ensure_ascii=False), []).append(d)
        for header_json, group in groups.items():
            accs = process_batch(spark, settings, c, table, group, json.loads(header_json), reference, key, gate)
            batch = hashlib.sha256(",".join(sorted(a.delivery_id for a in accs)).encode()).hexdigest()[:32]
            _account(spark, settings, feed, accs, f"silver:{table.name}:{batch}", echo)
            results.extend(accs)
    if results:
        update_deliveries(spark, settings, feed, sorted({a.delivery_id for a in results}))
    reference.unpersist()
    return results


def replay(spark, settings, delivery_id: str, reference_csv: Path, echo=print) -> list[Accounted]:
    """Process one landed delivery into silver again, accounted as a replay (status ``replayed``).

    Silver converges: the delivery's rows MERGE onto the same keys with the same values, rows it
    quarantined before are not quarantined twice, and a newer version from a later delivery wins."""
    from pyspark.sql import functions as F

    from govlake.secrets import secret

    found = (spark.table(f"{settings.schema('ops')}.deliveries")
             .where((F.col("delivery_id") == delivery_id) & (F.col("status") == "landed")).limit(1).collect())
    if not found:
        raise ValueError(f"no landed delivery {delivery_id!r} in {settings.schema('ops')}.deliveries")
    d = found[0]
    c = contract(d.feed)
    key = secret(settings, "person_token_key", 32).encode()
    reference = spark.read.option("header", True).csv(str(reference_csv)).select("level", "code", "parent_code").cache()
    accounting = _accounting_table(spark, settings)
    n = spark.table(accounting).where(F.col("delivery_id") == delivery_id).count()
    results = []
    for table in c.tables:
        accs = process_batch(spark, settings, c, table, [d], _header(c, table, d.header), reference, key,
                             quality_gate(), tag=f"replay{n}:")
        for a in accs:
            a.status = "replayed" if a.status == "processed" else a.status
        _account(spark, settings, d.feed, accs, f"silver-replay:{table.name}:{delivery_id}:{n}", echo)
        results.extend(accs)
    update_deliveries(spark, settings, d.feed, [delivery_id])
    reference.unpersist()
    return results


@cache
def quality_gate() -> Gate:
    return Gate()


def update_deliveries(spark, settings, feed: str, delivery_ids: list[str]) -> None:
    """Copy silver's accounting onto ops.deliveries (summed over the tables of a multi-sheet delivery)."""
    from pyspark.sql import functions as F

    sch = settings.schema
    from pyspark.sql import Window

    latest = Window.partitionBy("delivery_id", "table_name").orderBy(F.col("processed_at").desc())
    agg = (spark.table(f"{sch('ops')}.silver_accounting")
           .where((F.col("feed") == feed) & F.col("delivery_id").isin(delivery_ids))
           .withColumn("_n", F.row_number().over(latest)).where("_n = 1")  # a replay supersedes
           .groupBy("delivery_id")
           .agg(F.sum("rows_accepted").alias("rows_accepted"), F.sum("rows_quarantined").alias("rows_quarantined"),
                F.sum("rows_duplicate").alias("rows_duplicate"),
                # the worst status of its tables: rejected > blocked > processed
                F.element_at(F.sort_array(F.collect_set(
                    F.when(F.col("status") == "rejected", "1rejected").when(F.col("status") == "blocked", "2blocked")
                    .otherwise(F.concat(F.lit("3"), F.col("status"))))), 1).substr(2, 20).alias("silver_status"),
                F.concat_ws("; ", F.collect_set("reason")).alias("silver_reason"),
                F.max("processed_at").alias("silver_at")))
    agg.createOrReplaceTempView("_acc")
    spark.sql(f"""MERGE INTO {sch('ops')}.deliveries t USING _acc s
                  ON t.delivery_id = s.delivery_id AND t.feed = '{feed}' AND t.status = 'landed'
                  WHEN MATCHED THEN UPDATE SET rows_accepted = s.rows_accepted,
                    rows_quarantined = s.rows_quarantined, rows_duplicate = s.rows_duplicate,
                    silver_status = s.silver_status, silver_reason = nullif(s.silver_reason, ''),
                    silver_at = s.silver_at""")
    spark.catalog.dropTempView("_acc")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feed", required=True)
    ap.add_argument("--reference", type=Path, required=True, help="divisions.csv (level, code, name, parent_code)")
    a = ap.parse_args(argv)
    settings = load_settings()
    from govlake.spark import build_spark

    spark = build_spark(settings, f"silver-{a.feed}")
    try:
        run_silver(spark, settings, a.feed, a.reference)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
