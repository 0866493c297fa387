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
from pathlib import Path

from govlake.contracts import Contract, Table, contract, silver_column_names
from govlake.settings import load_settings
from spark_jobs.ops import ACCOUNTING_COLUMNS, QUARANTINE_COLUMNS, VAULT_COLUMNS, spark_ddl


class AccountingError(RuntimeError):
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
                  reference, key: bytes) -> list[Accounted]:
    """All pending deliveries of one table that share a header, in one pass (one parse, one rule
    evaluation, one quarantine append, one MERGE), accounted per delivery."""
    from pyspark.sql import functions as F

    from spark_jobs.io import append_once, ensure_table
    from spark_jobs.transforms.contract_rules import evaluate_rules, missing_columns, parse_typed, split
    from spark_jobs.transforms.silver import dedupe, malformed_violation, parse_records, pseudonymise, standardise

    sch = settings.schema
    silver_table, q_table = f"{sch('silver')}.{table.name}", f"{sch('quarantine')}.{c.feed}"
    vault_table = f"{sch('vault')}.person_identity"
    ensure_table(spark, q_table, QUARANTINE_COLUMNS, f"rows of {c.feed} that failed a rule, with the reason")
    ids = [d.delivery_id for d in deliveries]
    batch_id = f"{table.name}:" + ",".join(sorted(ids))
    bronze = spark.table(f"{sch('bronze')}.{c.feed}").where(F.col("_delivery_id").isin(ids))
    if table.sheet:
        bronze = bronze.where(F.col("_sheet") == table.sheet)
    rows_in = {r["_delivery_id"]: r["count"] for r in bronze.groupBy("_delivery_id").count().collect()}
    now = F.current_timestamp()

    def quarantine(df, rule_col, column_col, reason_col, violations_col):
        out = df.select(F.col("_delivery_id").alias("delivery_id"), F.col("_source_file").alias("source_file"),
                        F.col("_line").alias("line"), F.lit(table.name).alias("table_name"), rule_col.alias("rule"),
                        column_col.alias("column_name"), reason_col.alias("reason"),
                        violations_col.alias("violations"), F.col("_record").alias("record"),
                        now.alias("quarantined_at"))
        append_once(out, q_table, app_id=f"quarantine:{hashlib.sha256(batch_id.encode()).hexdigest()[:32]}",
                    version=1)

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
    first = F.col("_violations")[0]
    quarantine(bad, first["rule"], first["column"], first["reason"], F.to_json(F.col("_violations")))
    kept, dups = dedupe(ok, table)
    ensure_table(spark, vault_table, VAULT_COLUMNS,
                 "clear identifiers behind person tokens (restricted: lawful re-identification only)")
    silver_rows, vault_rows = pseudonymise(kept, table, key)
    if not spark.catalog.tableExists(silver_table):
        silver_rows.limit(0).write.format("delta").saveAsTable(silver_table)
    keys = [k if k in silver_rows.columns else f"{k}_token" for k in table.primary_key]
    target = spark.table(silver_table).select(*keys, *([table.update_column] if table.update_column else []))
    cond = [F.col(f"s.{k}") == F.col(f"t.{k}") for k in keys]
    matched = silver_rows.alias("s").join(target.alias("t"), cond, "left").select(
        "s.*", F.col(f"t.{keys[0]}").isNotNull().alias("_exists"),
        (F.col(f"t.{table.update_column}") if table.update_column else F.lit(None)).alias("_target_updated"))
    stale = F.col("_exists") & (F.lit(True) if not table.update_column else
                                F.col(f"s.{table.update_column}") <= F.col("_target_updated"))
    matched = matched.withColumn("_stale", stale).cache()
    counts: dict[str, dict[str, int]] = {d: {"bad": 0, "dup": 0, "stale": 0, "accepted": 0} for d in ids}
    for name, df in (("bad", bad), ("dup", dups)):
        for r in df.groupBy("_delivery_id").count().collect():
            counts[r["_delivery_id"]][name] = r["count"]
    for r in matched.groupBy("_delivery_id", "_stale").count().collect():
        counts[r["_delivery_id"]]["stale" if r["_stale"] else "accepted"] = r["count"]
    results = []
    for d in deliveries:
        n = counts[d.delivery_id]
        acc = Accounted(table.name, d.source, rows_in.get(d.delivery_id, 0), n["accepted"], n["bad"],
                        n["dup"] + n["stale"], "processed", None, d.delivery_id)
        if acc.rows_in != acc.accepted + acc.quarantined + acc.duplicate:
            raise AccountingError(f"{d.source}: {acc.rows_in} in != {acc.accepted} accepted + {acc.quarantined} "
                                  f"quarantined + {acc.duplicate} duplicate")
        results.append(acc)
    fresh = matched.where(~F.col("_stale")).drop("_exists", "_target_updated", "_stale")
    fresh.createOrReplaceTempView("_s")
    cols = [f"`{x}`" for x in silver_column_names(table)]
    on = " AND ".join(f"t.`{k}` = s.`{k}`" for k in keys)
    spark.sql(f"MERGE INTO {silver_table} t USING _s s ON {on} WHEN MATCHED THEN UPDATE SET * "
              f"WHEN NOT MATCHED THEN INSERT ({', '.join(cols)}) VALUES ({', '.join('s.' + x for x in cols)})")
    vault_rows.withColumn("first_seen", now).createOrReplaceTempView("_v")
    spark.sql(f"MERGE INTO {vault_table} t USING _v s ON t.token = s.token WHEN NOT MATCHED THEN INSERT *")
    spark.catalog.dropTempView("_s")
    spark.catalog.dropTempView("_v")
    checked.unpersist()
    matched.unpersist()
    return results


def run_silver(spark, settings, feed: str, reference_csv: Path, echo=print) -> list[Accounted]:
    from pyspark.sql import functions as F

    from govlake.platform.services import secret
    from spark_jobs.io import append_once, ensure_table

    c = contract(feed)
    key = secret(settings, "person_token_key", 32).encode()
    accounting = f"{settings.schema('ops')}.silver_accounting"
    ensure_table(spark, accounting, ACCOUNTING_COLUMNS,
                 "per delivery and table: rows in = accepted + quarantined + duplicate")
    done = {(r.delivery_id, r.table_name) for r in spark.table(accounting)
            .where(F.col("feed") == feed).select("delivery_id", "table_name").collect()}
    todo = (spark.table(f"{settings.schema('ops')}.deliveries").where((F.col("feed") == feed)
            & (F.col("status") == "landed")).orderBy("delivered_on", "source").collect())
    reference = spark.read.option("header", True).csv(str(reference_csv)).select("level", "code").cache()
    results = []
    for table in c.tables:
        pending = [d for d in todo if (d.delivery_id, table.name) not in done]
        groups: dict[str, list] = {}
        for d in pending:  # deliveries sharing a header are parsed together
            groups.setdefault(json.dumps(_header(c, table, d.header), ensure_ascii=False), []).append(d)
        for header_json, group in groups.items():
            accs = process_batch(spark, settings, c, table, group, json.loads(header_json), reference, key)
            stamp = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            rows = spark.createDataFrame(
                [(feed, a.table, a.delivery_id, a.source, a.rows_in, a.accepted, a.quarantined, a.duplicate,
                  a.status, a.reason, stamp) for a in accs],
                spark_ddl(ACCOUNTING_COLUMNS))
            batch = hashlib.sha256(",".join(sorted(a.delivery_id for a in accs)).encode()).hexdigest()[:32]
            append_once(rows, accounting, app_id=f"silver:{table.name}:{batch}", version=1)
            for a in accs:
                echo(f"{settings.schema('silver')}.{a.table} {a.source}: in {a.rows_in} = accepted {a.accepted} + "
                     f"quarantined {a.quarantined} + duplicate {a.duplicate} [{a.status}]")
            results.extend(accs)
    return results


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
