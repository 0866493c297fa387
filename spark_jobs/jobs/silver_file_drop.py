"""Bronze → silver for file-drop feeds: `python -m spark_jobs.jobs.silver_file_drop --feed F --reference CSV`.

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
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from govlake.contracts import Contract, Table, contract, silver_column_names
from govlake.settings import load_settings

ACCOUNTING_COLUMNS = ("feed STRING, table_name STRING, delivery_id STRING, source STRING, rows_in BIGINT, "
                      "rows_accepted BIGINT, rows_quarantined BIGINT, rows_duplicate BIGINT, status STRING, "
                      "reason STRING, processed_at TIMESTAMP")
QUARANTINE_COLUMNS = ("delivery_id STRING, source_file STRING, line INT, table_name STRING, rule STRING, "
                      "column_name STRING, reason STRING, violations STRING, record STRING, quarantined_at TIMESTAMP")
VAULT_COLUMNS = "token STRING, id_number STRING, name STRING, mobile STRING, address STRING, first_seen TIMESTAMP"


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


def delivery_time(day: dt.date) -> dt.datetime:
    """End of the delivery day in Wuhan, as a naive UTC instant (the not_future limit)."""
    return dt.datetime.combine(day, dt.time(23, 59, 59)) - dt.timedelta(hours=8)


def _header(c: Contract, table: Table, raw: str | None) -> list[str] | None:
    if c.delivery.format == "csv":
        return next(csv.reader(io.StringIO(raw or "")))
    if c.delivery.format == "xlsx":
        return (json.loads(raw) if raw else {}).get(table.sheet, [])
    return None


def process_delivery(spark, settings, c: Contract, table: Table, d, reference, key: bytes) -> Accounted:
    from pyspark.sql import functions as F

    from spark_jobs.io import append_once, ensure_table
    from spark_jobs.transforms.contract_rules import evaluate_rules, missing_columns, parse_typed, split
    from spark_jobs.transforms.silver import dedupe, malformed_violation, parse_records, pseudonymise, standardise

    sch = settings.schema
    silver_table, q_table = f"{sch('silver')}.{table.name}", f"{sch('quarantine')}.{c.feed}"
    vault_table = f"{sch('vault')}.person_identity"
    ensure_table(spark, q_table, QUARANTINE_COLUMNS, f"rows of {c.feed} that failed a rule, with the reason")
    bronze = spark.table(f"{sch('bronze')}.{c.feed}").where(F.col("_delivery_id") == d.delivery_id)
    if table.sheet:
        bronze = bronze.where(F.col("_sheet") == table.sheet)
    bronze = bronze.cache()
    rows_in = bronze.count()
    header = _header(c, table, d.header)
    now = F.current_timestamp()

    def quarantine(df, rule_col, reason_col):
        out = df.select(F.col("_delivery_id").alias("delivery_id"), F.col("_source_file").alias("source_file"),
                        F.col("_line").alias("line"), F.lit(table.name).alias("table_name"), rule_col.alias("rule"),
                        F.col("_qcol").alias("column_name") if "_qcol" in df.columns else F.lit(None).cast("string")
                        .alias("column_name"), reason_col.alias("reason"),
                        (F.to_json(F.col("_violations")) if "_violations" in df.columns else F.lit(None)
                         .cast("string")).alias("violations"),
                        F.col("_record").alias("record"), now.alias("quarantined_at"))
        append_once(out, q_table, app_id=f"quarantine:{d.delivery_id}:{table.name}", version=1)

    missing = missing_columns(header, table) if header is not None else []
    if missing:
        reason = f"missing required column(s) {', '.join(missing)}: delivery rejected, silver untouched"
        quarantine(bronze, F.lit("required_columns"), F.lit(reason))
        return Accounted(table.name, d.source, rows_in, 0, rows_in, 0, "rejected", reason)

    parsed = parse_records(bronze, table, c.delivery.format, header)
    typed = standardise(parse_typed(parsed, table), table)
    checked = malformed_violation(evaluate_rules(typed, c, table, delivery_time(d.delivered_on), reference))
    ok, bad = split(checked)
    bad = bad.withColumn("_first", F.col("_violations")[0])
    quarantine(bad.withColumn("_qcol", F.col("_first.column")), F.col("_first.rule"), F.col("_first.reason"))
    n_bad = bad.count()
    kept, dups = dedupe(ok, table)
    n_dup_within = dups.count()
    ensure_table(spark, vault_table, VAULT_COLUMNS,
                 "clear identifiers behind person tokens (restricted: lawful re-identification only)")
    silver_rows, vault_rows = pseudonymise(kept, table, key)
    # create silver from the first batch's schema, then MERGE on the (tokenised) business key
    if not spark.catalog.tableExists(silver_table):
        silver_rows.limit(0).write.format("delta").saveAsTable(silver_table)
    keys = [k if k in silver_rows.columns else f"{k}_token" for k in table.primary_key]
    target = spark.table(silver_table)
    on = " AND ".join(f"t.`{k}` = s.`{k}`" for k in keys)
    if table.update_column:
        stale = silver_rows.alias("s").join(target.alias("t"), [F.col(f"s.{k}") == F.col(f"t.{k}") for k in keys]) \
            .where(F.col(f"s.{table.update_column}") <= F.col(f"t.{table.update_column}")).count()
    else:
        stale = silver_rows.join(target.select(*keys), keys, "left_semi").count()
    accepted = rows_in - n_bad - n_dup_within - stale
    if rows_in != accepted + n_bad + n_dup_within + stale or accepted < 0:
        raise AccountingError(f"{d.source}: {rows_in} in != {accepted} + {n_bad} + {n_dup_within + stale}")
    silver_rows.createOrReplaceTempView("_s")
    cols = ", ".join(f"`{x}`" for x in silver_column_names(table))
    when_matched = (f"WHEN MATCHED AND s.`{table.update_column}` > t.`{table.update_column}` THEN UPDATE SET *"
                    if table.update_column else "")
    spark.sql(f"MERGE INTO {silver_table} t USING _s s ON {on} {when_matched} "
              f"WHEN NOT MATCHED THEN INSERT ({cols}) VALUES ({', '.join('s.' + x for x in cols.split(', '))})")
    vault_rows.withColumn("first_seen", now).createOrReplaceTempView("_v")
    spark.sql(f"MERGE INTO {vault_table} t USING _v s ON t.token = s.token "
              "WHEN NOT MATCHED THEN INSERT *")
    bronze.unpersist()
    return Accounted(table.name, d.source, rows_in, accepted, n_bad, n_dup_within + stale, "processed")


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
    todo = (spark.table(f"{settings.schema('ops')}.deliveries").where((F.col("feed") == feed) & (F.col("status") == "landed"))
            .orderBy("delivered_on", "source").collect())
    reference = spark.read.option("header", True).csv(str(reference_csv)).select("level", "code").cache()
    results = []
    for d in todo:
        for table in c.tables:
            if (d.delivery_id, table.name) in done:
                continue
            acc = process_delivery(spark, settings, c, table, d, reference, key)
            row = spark.createDataFrame([(feed, acc.table, d.delivery_id, acc.source, acc.rows_in, acc.accepted,
                                          acc.quarantined, acc.duplicate, acc.status, acc.reason,
                                          dt.datetime.now(dt.UTC).replace(tzinfo=None))],
                                        ACCOUNTING_COLUMNS.replace(" STRING", " string").replace(" BIGINT", " bigint"))
            append_once(row, accounting, app_id=f"silver:{d.delivery_id}:{table.name}", version=1)
            results.append(acc)
            echo(f"{settings.schema('silver')}.{acc.table} {acc.source}: in {acc.rows_in} = accepted {acc.accepted} + quarantined "
                 f"{acc.quarantined} + duplicate {acc.duplicate} [{acc.status}]")
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
