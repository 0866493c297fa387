"""Spark writes Delta through the shared metastore; Trino reads the same tables."""

import subprocess
import sys
import threading
import time

from govlake import trino_client
from govlake.checksum import trino_checksum_sql
from govlake.platform.delta_features import unsupported_features
from govlake.platform.smoke import compare, table_protocol, write_smoke_table


def trino(settings, sql):
    return trino_client.query(settings, sql)


def test_warehouse_schemas_exist_in_trino_and_live_under_the_warehouse(settings):
    schemas = {r[0] for r in trino(settings, f"SHOW SCHEMAS FROM {settings.trino.catalog}")}
    assert set(settings.warehouse.schemas) <= schemas
    for schema in settings.warehouse.schemas:
        ddl = trino(settings, f"SHOW CREATE SCHEMA {settings.trino.catalog}.{schema}")[0][0]
        assert f"{settings.warehouse_uri.removeprefix('file://')}/{schema}.db" in ddl


def test_append_merge_delete_round_trip_matches(settings, spark, table_name):
    write_smoke_table(spark, table_name)
    result = compare(settings, spark, table_name)
    assert result.ok, result.problems
    # 1000 appended, 100 inserted by MERGE, every id ending in 3 deleted
    assert result.spark_rows == result.trino_rows == 990
    # the checksum follows content: a Spark update changes what Trino computes, identically
    spark.sql(f"UPDATE {table_name} SET name = concat(name, '·') WHERE id = 7")
    after = compare(settings, spark, table_name)
    assert after.ok and after.trino_checksum != result.trino_checksum
    # a rerun replaces the table while Trino's snapshot cache is warm: still no stale files
    write_smoke_table(spark, table_name)
    again = compare(settings, spark, table_name)
    assert again.ok, again.problems
    assert again.trino_checksum == result.trino_checksum


def test_table_created_by_spark_appears_in_show_tables(settings, spark, table_name):
    schema, name = table_name.split(".")
    assert (name,) not in trino(settings, f"SHOW TABLES FROM {settings.trino.catalog}.{schema}")
    spark.sql(f"CREATE TABLE {table_name} (id BIGINT) USING delta")
    assert (name,) in trino(settings, f"SHOW TABLES FROM {settings.trino.catalog}.{schema}")


def test_trino_sees_a_new_spark_commit_without_restart(settings, spark, table_name):
    spark.sql(f"CREATE TABLE {table_name} (id BIGINT, v STRING) USING delta")
    spark.sql(f"INSERT INTO {table_name} VALUES (1, 'a'), (2, 'b')")
    fq = f"{settings.trino.catalog}.{table_name}"
    assert trino(settings, f"SELECT count(*) FROM {fq}") == [(2,)]
    spark.sql(f"INSERT INTO {table_name} VALUES (3, 'c')")
    assert trino(settings, f"SELECT count(*), max(id) FROM {fq}") == [(3, 3)]
    spark.sql(f"DELETE FROM {table_name} WHERE id = 1")
    assert trino(settings, f"SELECT min(id) FROM {fq}") == [(2,)]


def test_trino_read_during_spark_commits_sees_whole_snapshots(settings, spark, table_name):
    """Every row carries the version of the commit that wrote it: a mixed read would show two."""
    rows = 4000
    spark.range(rows).selectExpr("id", "0 AS v").repartition(8).write.format("delta").saveAsTable(table_name)
    fq = f"{settings.trino.catalog}.{table_name}"
    commits = 6
    seen: list[tuple] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def reader():
        try:
            while not done.is_set():
                seen.append(trino(settings, f"SELECT count(*), min(v), max(v) FROM {fq}")[0])
        except BaseException as e:  # surfaced below
            errors.append(e)

    t = threading.Thread(target=reader)
    t.start()
    try:
        for _ in range(commits):
            # rewrites every file: each commit removes all old files and adds new ones
            spark.sql(f"UPDATE {table_name} SET v = v + 1")
            time.sleep(0.2)
    finally:
        done.set()
        t.join(60)
    assert not errors, errors
    assert seen, "the reader never completed a query"
    mixed = [r for r in seen if r[0] != rows or r[1] != r[2]]
    assert not mixed, f"Trino returned a mix of snapshots: {mixed[:5]}"
    versions = {r[1] for r in seen}
    assert len(versions) >= 2, f"reads did not overlap the commits (saw versions {versions})"
    assert trino(settings, f"SELECT min(v), max(v) FROM {fq}") == [(commits, commits)]


def test_protocol_check_names_a_feature_trino_cannot_read(spark, table_name):
    spark.sql(
        f"CREATE TABLE {table_name} (id BIGINT) USING delta "
        "TBLPROPERTIES ('delta.enableRowTracking' = 'true')"
    )
    reader, writer, features = table_protocol(spark, table_name)
    assert "rowTracking" in unsupported_features(reader, writer, features)


def test_checksum_sql_runs_on_every_supported_type(settings, spark, table_name):
    spark.sql(
        f"CREATE TABLE {table_name} (i INT, s STRING, d DATE, ts TIMESTAMP, b BOOLEAN, x DECIMAL(5,1)) USING delta"
    )
    spark.sql(f"INSERT INTO {table_name} VALUES (1, NULL, DATE'2026-02-28', TIMESTAMP'2026-02-28 23:59:59.999', "
              "false, 12.5), (NULL, '武汉', NULL, NULL, NULL, NULL)")
    result = compare(settings, spark, table_name)
    assert result.ok, result.problems
    cols = [(f.name, f.dataType.typeName()) for f in spark.table(table_name).schema.fields]
    assert trino(settings, trino_checksum_sql(f"{settings.trino.catalog}.{table_name}", cols))[0][0] == 2


def test_smoke_command_prints_exactly_one_match_line():
    r = subprocess.run([sys.executable, "-m", "govlake.cli", "smoke"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.splitlines() == ["smoke: spark rows=990 trino rows=990 match"]


def test_status_lists_each_service_with_port_pid_and_health(settings):
    r = subprocess.run([sys.executable, "-m", "govlake.cli", "status"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    for name, port in (("postgres", settings.postgres.port), ("metastore", settings.metastore.port),
                       ("trino", settings.trino.port)):
        line = next(ln for ln in r.stdout.splitlines() if f" {name} " in ln)
        assert f":{port}" in line and "healthy" in line
        assert any(tok.isdigit() and int(tok) > 1 for tok in line.replace("│", " ").split())


def test_starting_a_running_platform_says_so(settings):
    r = subprocess.run([sys.executable, "-m", "govlake.cli", "up"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    for name in ("postgres", "metastore", "trino"):
        assert f"{name} already running" in r.stdout


def test_a_table_with_a_checkpoint_reads_back(settings, spark, table_name):
    """Delta writes a checkpoint every 10 commits; Delta 4.1.0 could not read one on Spark 4.1.4."""
    spark.sql(f"CREATE TABLE {table_name} (id BIGINT) USING delta")
    for i in range(12):
        spark.sql(f"INSERT INTO {table_name} VALUES ({i})")
    log = spark.sql(f"DESCRIBE DETAIL {table_name}").collect()[0]["location"]
    import pathlib
    from urllib.parse import urlparse

    assert list(pathlib.Path(urlparse(log).path, "_delta_log").glob("*.checkpoint*.parquet"))
    spark.catalog.clearCache()
    spark.sql(f"REFRESH TABLE {table_name}")
    assert spark.table(table_name).count() == 12
    assert trino(settings, f"SELECT count(*), sum(id) FROM {settings.trino.catalog}.{table_name}") == [(12, 66)]
