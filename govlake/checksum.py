"""An order-independent content checksum computed identically by Spark and by Trino.

Each row becomes a canonical text (columns joined by ``|``, NULL as ``\\N``), hashed with MD5; the
first 15 hex digits are read as an integer and summed as DECIMAL(38,0). Types are rendered the same
way in both engines: integers, decimals, strings and booleans as text, dates as ``yyyy-MM-dd``,
timestamps as epoch milliseconds (Trino reads Delta timestamps at millisecond precision).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

NULL = "\\N"


class UnsupportedType(ValueError):
    pass


def _kind(spark_type_name: str) -> str:
    t = spark_type_name.lower()
    if t in {"byte", "short", "integer", "long", "string", "boolean"} or t.startswith(("decimal", "varchar", "char")):
        return "text"
    if t == "date":
        return "date"
    if t in {"timestamp", "timestamp_ntz"}:
        return "timestamp"
    raise UnsupportedType(f"no canonical form for Spark type {spark_type_name!r}")


def spark_checksum(df: DataFrame, columns: Sequence[str] | None = None) -> tuple[int, Decimal]:
    """(row count, checksum) of ``df`` over ``columns`` (default: all, in order)."""
    from pyspark.sql import functions as F

    cols = list(columns or df.columns)
    types = {f.name: f.dataType.typeName() for f in df.schema.fields}
    parts = []
    for c in cols:
        kind = _kind(types[c])
        col = F.col(c)
        if kind == "text":
            e = col.cast("string")
        elif kind == "date":
            e = F.date_format(col, "yyyy-MM-dd")
        else:
            e = F.unix_millis(col.cast("timestamp")).cast("string")
        parts.append(F.coalesce(e, F.lit(NULL)))
    h = F.conv(F.substring(F.md5(F.concat_ws("|", *parts)), 1, 15), 16, 10).cast("decimal(38,0)")
    row = df.agg(F.count(F.lit(1)).alias("n"), F.sum(h).alias("s")).collect()[0]
    return int(row["n"]), Decimal(row["s"] or 0)


def trino_checksum_sql(table: str, columns: Sequence[tuple[str, str]]) -> str:
    """SQL returning (row count, checksum) in Trino; ``columns`` = [(name, spark type name)]."""
    parts = []
    for name, spark_type in columns:
        kind = _kind(spark_type)
        q = f'"{name}"'
        if kind == "text" or kind == "date":
            e = f"CAST({q} AS varchar)"
        else:
            e = f"CAST(date_diff('millisecond', TIMESTAMP '1970-01-01 00:00:00 UTC', {q}) AS varchar)"
        parts.append(f"coalesce({e}, '{NULL}')")
    canon = " || '|' || ".join(parts)
    h = f"CAST(from_base(substr(lower(to_hex(md5(to_utf8({canon})))), 1, 15), 16) AS decimal(38,0))"
    return f"SELECT count(*), coalesce(sum({h}), 0) FROM {table}"


def spark_content_checksum(df: DataFrame, decimals: int = 9) -> tuple[int, Decimal]:
    """(row count, checksum) of every column of ``df`` whatever its types (Spark only): each row as
    JSON with doubles and floats rounded to ``decimals`` places, so float noise in the last bits of
    an aggregate does not read as a change. For "did a rebuild change this table?" checks."""
    from pyspark.sql import functions as F

    cols = [F.round(F.col(f.name), decimals).alias(f.name) if f.dataType.simpleString() in ("double", "float")
            else F.col(f.name) for f in df.schema.fields]
    return spark_checksum(df.select(F.to_json(F.struct(*cols)).alias("row")))
