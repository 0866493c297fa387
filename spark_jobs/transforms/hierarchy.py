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
