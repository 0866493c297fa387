"""Division codes onto the 5-level hierarchy (city → district → street → community → grid).

A record that names a grid gets its community, street and district; one that names a community
gets its street and district. The parents come from the division code table (``level, code,
parent_code``), never from slicing the code: function-zone grids and re-coded communities do not
follow the prefix pattern. Pure DataFrame → DataFrame functions.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from govlake.contracts import Table, hierarchy_columns


def lookups(reference: DataFrame) -> tuple[DataFrame, DataFrame]:
    """(grid_code → community, street, district; community_code → street, district)."""
    ref = reference.select("level", "code", "parent_code")
    street = ref.where(F.col("level") == "street").select(F.col("code").alias("street_code"),
                                                          F.col("parent_code").alias("district_code"))
    community = (ref.where(F.col("level") == "community")
                 .select(F.col("code").alias("community_code"), F.col("parent_code").alias("street_code"))
                 .join(street, "street_code", "left"))
    grid = (ref.where(F.col("level") == "grid")
            .select(F.col("code").alias("grid_code"), F.col("parent_code").alias("community_code"))
            .join(community, "community_code", "left"))
    return grid, community


def add_hierarchy(df: DataFrame, table: Table, reference: DataFrame) -> DataFrame:
    """Add the parent codes the table does not deliver itself (see ``hierarchy_columns``)."""
    wanted = hierarchy_columns(table)
    if not wanted:
        return df
    grid, community = lookups(reference)
    names = {c.name for c in table.columns}
    by, lookup = ("grid_code", grid) if "grid_code" in names else ("community_code", community)
    lookup = F.broadcast(lookup.select(F.col(by).alias("_h_key"), *[F.col(w).alias(f"_h_{w}") for w in wanted]))
    out = df.join(lookup, F.col(by) == F.col("_h_key"), "left").drop("_h_key")
    for w in wanted:
        out = out.withColumnRenamed(f"_h_{w}", w)
    return out


DIVISION_COLUMNS = ("code", "level", "name", "parent_code")


def division_row_hash(df: DataFrame) -> DataFrame:
    return df.withColumn("row_hash", F.sha2(F.concat_ws("\u0001", *[F.coalesce(F.col(c), F.lit("\u0000"))
                                                                     for c in DIVISION_COLUMNS[1:]]), 256))


def division_merge_source(current: DataFrame, incoming: DataFrame) -> DataFrame:
    """The MERGE source that turns the code table into SCD2 versions (``silver.divisions``).

    ``current``: the open versions (code, row_hash); ``incoming``: today's code table (code, level,
    name, parent_code). Rows out carry ``_merge_key`` (code to match an open version, null to insert
    a new version) and ``_gone`` (the code left the table: close it). A renamed or re-parented code is
    closed and inserted again; an unchanged code matches with the same hash and is left alone.
    """
    inc = division_row_hash(incoming.select(*DIVISION_COLUMNS).dropDuplicates(["code"]))
    cur = current.select(F.col("code").alias("_c_code"), F.col("row_hash").alias("_c_hash"))
    joined = inc.join(cur, inc.code == cur._c_code, "full_outer")
    present = joined.where(F.col("code").isNotNull())
    match = present.select(*DIVISION_COLUMNS, "row_hash", F.col("code").alias("_merge_key"),
                           F.lit(False).alias("_gone"))
    changed = (present.where(F.col("_c_code").isNotNull() & (F.col("_c_hash") != F.col("row_hash")))
               .select(*DIVISION_COLUMNS, "row_hash", F.lit(None).cast("string").alias("_merge_key"),
                       F.lit(False).alias("_gone")))
    blanks = [F.lit(None).cast("string").alias(c) for c in DIVISION_COLUMNS[1:]]
    gone = (joined.where(F.col("code").isNull())
            .select(F.col("_c_code").alias("code"), *blanks, F.col("_c_hash").alias("row_hash"),
                    F.col("_c_code").alias("_merge_key"), F.lit(True).alias("_gone")))
    return match.unionByName(changed).unionByName(gone)
