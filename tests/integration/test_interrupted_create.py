"""A run killed while creating a table leaves its files but no catalog entry (Delta commits the
creation, then registers the table in the metastore). The next run sets those files aside and
creates the table; files whose log adds data are never moved (the error stands)."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from spark_jobs import io


@pytest.fixture
def schema(spark):
    name = f"interrupted{uuid.uuid4().hex[:6]}"
    spark.sql(f"CREATE SCHEMA {name}")
    yield name
    spark.sql(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def _unregistered_copy(spark, table: str, rows: int) -> Path:
    """Create ``table`` (with ``rows`` rows), then drop it from the catalog and put its files back:
    the files of a creation whose registration never happened."""
    io.ensure_table(spark, table, "a STRING", "test")
    if rows:
        spark.range(rows).selectExpr("cast(id as string) as a").write.format("delta").mode("append").saveAsTable(table)
    path = Path(spark.sql(f"DESCRIBE DETAIL {table}").collect()[0]["location"].removeprefix("file:"))
    keep = path.with_name(path.name + ".keep")
    shutil.copytree(path, keep)
    spark.sql(f"DROP TABLE {table}")
    shutil.rmtree(path, ignore_errors=True)
    keep.rename(path)
    return path


def test_a_creation_commit_without_its_catalog_entry_is_set_aside(spark, schema):
    path = _unregistered_copy(spark, f"{schema}.t", rows=0)
    io.ensure_table(spark, f"{schema}.t", "a STRING", "test")
    assert spark.catalog.tableExists(f"{schema}.t")
    aside = [p for p in path.parent.iterdir() if p.name.startswith("t.interrupted-")]
    assert len(aside) == 1 and (aside[0] / "_delta_log").is_dir()  # moved, not deleted


def test_files_whose_log_adds_data_are_never_moved(spark, schema):
    path = _unregistered_copy(spark, f"{schema}.t", rows=3)
    with pytest.raises(Exception, match="DELTA_CREATE_TABLE_WITH_NON_EMPTY_LOCATION"):
        io.ensure_table(spark, f"{schema}.t", "a STRING", "test")
    assert (path / "_delta_log").is_dir()
    assert not [p for p in path.parent.iterdir() if ".interrupted-" in p.name]
