"""The division code table → ``silver.divisions`` (SCD2): ``python -m spark_jobs.jobs.silver_divisions
--reference CSV --as-of YYYY-MM-DD``.

Every run compares the delivered code table (``level, code, name, parent_code``) with the open
versions: new codes are inserted, renamed or re-parented codes are closed (``valid_to``) and inserted
again, codes that left the table are closed. The dbt hierarchy dimensions are built from it, so a
grid re-coded in March still rolls up to the right community for January's facts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
from pathlib import Path

from govlake.settings import load_settings
from spark_jobs.io import ensure_table
from spark_jobs.transforms.hierarchy import division_merge_source

COLUMNS = ("code STRING, level STRING, name STRING, parent_code STRING, row_hash STRING, valid_from DATE, "
           "valid_to DATE, is_current BOOLEAN")
FIRST_VERSION_FROM = dt.date(1900, 1, 1)  # the first code table is taken as valid since ever
SHA_PROPERTY = "govlake.reference_sha256"  # the code table last applied
OPEN_PROPERTY = "govlake.open_codes"


def load_divisions(spark, settings, reference_csv: Path, as_of: dt.date) -> dict[str, int]:
    """Apply the code table as of ``as_of``; returns {'inserted': n, 'closed': n, 'open': n}.

    A code table identical (by SHA-256) to the one applied last is not compared again: the MERGE
    would change nothing, and every silver task of every feed DAG calls this first."""
    table = f"{settings.schema('silver')}.divisions"
    ensure_table(spark, table, COLUMNS, "division code table, SCD2 (5-level hierarchy) / 区划代码表（缓慢变化）")
    digest = hashlib.sha256(Path(reference_csv).read_bytes()).hexdigest()
    applied = {r[0]: r[1] for r in spark.sql(f"SHOW TBLPROPERTIES {table}").collect()}
    if applied.get(SHA_PROPERTY) == digest and applied.get(OPEN_PROPERTY, "").isdigit():
        return {"inserted": 0, "closed": 0, "open": int(applied[OPEN_PROPERTY])}
    incoming = spark.read.option("header", True).csv(str(reference_csv))
    current = spark.table(table).where("is_current")
    first = current.limit(1).count() == 0
    src = division_merge_source(current, incoming).cache()
    src.createOrReplaceTempView("_div")
    valid_from = FIRST_VERSION_FROM if first else as_of
    m = spark.sql(f"""
        MERGE INTO {table} t USING _div s ON t.code = s._merge_key AND t.is_current
        WHEN MATCHED AND (s._gone OR t.row_hash <> s.row_hash)
          THEN UPDATE SET valid_to = DATE'{as_of}', is_current = false
        WHEN NOT MATCHED AND NOT s._gone
          THEN INSERT (code, level, name, parent_code, row_hash, valid_from, valid_to, is_current)
               VALUES (s.code, s.level, s.name, s.parent_code, s.row_hash, DATE'{valid_from}', NULL, true)
    """).collect()[0].asDict()
    spark.catalog.dropTempView("_div")
    src.unpersist()
    opened = spark.table(table).where("is_current").count()
    spark.sql(f"ALTER TABLE {table} SET TBLPROPERTIES ('{SHA_PROPERTY}' = '{digest}', '{OPEN_PROPERTY}' = '{opened}')")
    return {"inserted": int(m.get("num_inserted_rows", 0)), "closed": int(m.get("num_updated_rows", 0)),
            "open": opened}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference", type=Path, required=True, help="divisions.csv (level, code, name, parent_code)")
    ap.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date.today())
    a = ap.parse_args(argv)
    from govlake.spark import spark_session

    settings = load_settings()
    with spark_session(settings, "govlake-silver-divisions") as spark:
        print(load_divisions(spark, settings, a.reference, a.as_of))
    return 0


if __name__ == "__main__":
    sys.exit(main())
