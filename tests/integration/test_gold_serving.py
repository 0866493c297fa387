"""Serving the theme library: every table dbt built in the sandbox gold schema is readable through
Trino as ``lakehouse.<gold schema>.<table>``, with Spark's row count and (where the column types
allow) Spark's content checksum (govlake/checksum.py: the same order-independent checksum in both
engines).

Column types the shared checksum has no canonical text for are brought to one first, the same way on
both sides: doubles as DECIMAL(38,6) (both engines round the stored double half-up), arrays of strings
joined with ``,`` in their stored order. A column of any other type is left out of the checksum and
named in the test's output; the row count still covers its table.
"""

from pathlib import Path

import pytest
import trino
from pyspark.sql import functions as F

from govlake import trino_client
from govlake.checksum import UnsupportedType, _kind, spark_checksum, trino_checksum_sql

DBT = Path(__file__).resolve().parents[2] / "dbt_project"


def _gold_tables(spark, schema: str) -> dict[str, str]:
    """Name → type of what the metastore holds in ``schema``. Session-temporary views (dbt-spark's
    ``<model>__dbt_tmp`` of an incremental model, visible because dbt ran in this Spark session)
    belong to no schema and are left out."""
    return {t.name: t.tableType for t in spark.catalog.listTables(schema) if not t.isTemporary}


def _trino(settings, sql):
    return trino_client.query(settings, sql)


def _canonical(df):
    """(Spark frame with checksum-ready columns, [(name, spark type)] for Trino, SQL select list, skipped)."""
    cols, select, skipped = [], [], []
    for f in df.schema.fields:
        t = f.dataType.typeName()
        q = f'"{f.name}"'
        if t in ("double", "float"):
            df = df.withColumn(f.name, F.col(f.name).cast("decimal(38,6)"))
            cols.append((f.name, "decimal(38,6)"))
            select.append(f"CAST({q} AS decimal(38,6)) AS {q}")
        elif t == "array" and f.dataType.elementType.typeName() == "string":
            df = df.withColumn(f.name, F.array_join(F.col(f.name), ","))
            cols.append((f.name, "string"))
            select.append(f"array_join({q}, ',') AS {q}")
        else:
            try:
                _kind(t)
            except UnsupportedType:
                skipped.append(f"{f.name} ({f.dataType.simpleString()})")
                continue
            cols.append((f.name, t))
            select.append(q)
    return df.select(*[c for c, _ in cols]), cols, select, skipped


def test_every_mart_and_seed_is_built_as_a_table(spark, gold_world):
    s, _, _, _ = gold_world
    tables = _gold_tables(spark, s.schema("gold"))
    expected = {p.stem for p in (DBT / "models" / "marts").rglob("*.sql")}
    expected |= {p.stem for p in (DBT / "seeds").glob("*.csv")}
    assert expected - set(tables) == set(), f"built in {s.schema('gold')}: {sorted(tables)}"
    views = sorted(n for n, kind in tables.items() if kind == "VIEW")
    assert not views, f"gold must hold tables (Trino cannot read Spark views): {views}"


def test_trino_lists_the_same_gold_tables_as_spark(spark, gold_world):
    s, _, _, _ = gold_world
    gold = s.schema("gold")
    in_trino = {r[0] for r in _trino(s, f"SHOW TABLES FROM {s.trino.catalog}.{gold}")}
    assert in_trino == set(_gold_tables(spark, gold))


def test_every_gold_table_reads_back_through_trino_with_spark_counts_and_checksums(spark, gold_world):
    s, _, _, _ = gold_world
    gold = s.schema("gold")
    names = sorted(_gold_tables(spark, gold))
    assert names
    conn = trino_client.connect(s)
    mismatches, skipped_cols, report = [], {}, []
    try:
        cur = conn.cursor()
        for name in names:
            df, cols, select, skipped = _canonical(spark.table(f"{gold}.{name}"))
            if skipped:
                skipped_cols[name] = skipped
            n_spark, sum_spark = spark_checksum(df)
            source = f"(SELECT {', '.join(select)} FROM {s.trino.catalog}.{gold}.{name}) AS t"
            try:
                cur.execute(trino_checksum_sql(source, cols))
                n_trino, sum_trino = cur.fetchone()
            except trino.exceptions.TrinoQueryError as e:  # e.g. a stale snapshot: HIVE_CANNOT_OPEN_SPLIT
                mismatches.append(f"{name}: Trino cannot read it: {e.error_name}: {e.message[:300]}")
                continue
            report.append(f"{name}: rows {n_spark}/{n_trino}, checksum over {len(cols)} columns")
            if (n_spark, sum_spark) != (int(n_trino), sum_trino):
                mismatches.append(f"{name}: spark ({n_spark}, {sum_spark}) != trino ({n_trino}, {sum_trino})")
    finally:
        conn.close()
    print("\n".join(report))
    if skipped_cols:
        print(f"columns outside the checksum: {skipped_cols}")
    assert not mismatches, "\n".join(mismatches)
    # the theme library is not empty: every theme of a month of a city has rows (a fact may be empty
    # on a small city: a few dozen disputes may include no escalation)
    empty = [r for r in report if r.split(": rows ")[1].startswith("0/") and r.startswith("theme_")]
    assert not empty, empty


@pytest.mark.parametrize("table", ["theme_public_order", "fct_hotline_tickets", "dim_grid"])
def test_gold_is_queryable_by_its_analyst_name(gold_world, table):
    """The sandbox stands for ``lakehouse.gold``: a table is addressed catalog.schema.table."""
    s, _, _, _ = gold_world
    rows = _trino(s, f"SELECT count(*) FROM {s.trino.catalog}.{s.schema('gold')}.{table}")
    assert rows[0][0] > 0
