"""silver.divisions: the code table applied again unchanged costs no MERGE (every silver task of every
feed DAG calls it first); a changed code table is still applied (SCD2: the old version closed)."""

import datetime as dt
import uuid

from spark_jobs.jobs.silver_divisions import load_divisions


def _versions(spark, table):
    return spark.sql(f"DESCRIBE HISTORY {table}").count()


def test_an_unchanged_code_table_is_skipped_and_a_changed_one_applied(spark, tmp_path):
    from govlake.settings import load_settings

    s = load_settings(warehouse={"prefix": f"div{uuid.uuid4().hex[:6]}_"})
    ref = s.root / "govlake" / "reference" / "wuhan_divisions.csv"  # the shipped code table (to communities)
    spark.sql(f"CREATE SCHEMA {s.schema('silver')} LOCATION '{s.schema_location(s.schema('silver'))}'")
    try:
        table = f"{s.schema('silver')}.divisions"
        first = load_divisions(spark, s, ref, dt.date(2026, 1, 1))
        assert first["inserted"] == first["open"] > 3000
        commits = _versions(spark, table)
        again = load_divisions(spark, s, ref, dt.date(2026, 1, 2))
        assert again == {"inserted": 0, "closed": 0, "open": first["open"]}
        assert _versions(spark, table) == commits  # no MERGE, no commit

        lines = ref.read_text(encoding="utf-8").splitlines()
        header, rows = lines[0], lines[1:]
        cols = header.split(",")
        grid = next(i for i, r in enumerate(rows) if r.split(",")[cols.index("level")] == "community")
        parts = rows[grid].split(",")
        parts[cols.index("name")] = parts[cols.index("name")] + "（更名）"
        rows[grid] = ",".join(parts)
        changed = tmp_path / "divisions.csv"
        changed.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
        applied = load_divisions(spark, s, changed, dt.date(2026, 3, 1))
        assert (applied["inserted"], applied["closed"]) == (1, 1)
        assert applied["open"] == first["open"]
        code = parts[cols.index("code")]
        hist = spark.table(table).where(f"code = '{code}'").orderBy("valid_from").collect()
        assert [(r.is_current, r.valid_to) for r in hist] == [(False, dt.date(2026, 3, 1)), (True, None)]
    finally:
        spark.sql(f"DROP SCHEMA IF EXISTS {s.schema('silver')} CASCADE")
