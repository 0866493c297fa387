import datetime as dt
import hashlib
from decimal import Decimal

import pytest

from govlake.checksum import UnsupportedType, spark_checksum, trino_checksum_sql

pytestmark = pytest.mark.spark


def expected(rows):
    """The checksum computed independently in plain Python."""
    total = 0
    for r in rows:
        canon = "|".join("\\N" if v is None else v for v in r)
        total += int(hashlib.md5(canon.encode()).hexdigest()[:15], 16)
    return Decimal(total)


def test_checksum_matches_an_independent_computation(spark):
    df = spark.createDataFrame(
        [
            (1, "居民1", Decimal("12.50"), dt.date(2026, 1, 2), dt.datetime(2026, 1, 1, 8, 0, 0, 123000), True),
            (2, None, None, None, None, None),
        ],
        "id BIGINT, name STRING, amount DECIMAL(12,2), d DATE, ts TIMESTAMP, ok BOOLEAN",
    )
    n, s = spark_checksum(df)
    ms = int(dt.datetime(2026, 1, 1, 8, 0, 0, 123000, tzinfo=dt.UTC).timestamp() * 1000)
    assert n == 2
    assert s == expected([("1", "居民1", "12.50", "2026-01-02", str(ms), "true"), ("2",) + (None,) * 5])


def test_checksum_is_order_independent_and_content_sensitive(spark):
    a = spark.createDataFrame([(1, "a"), (2, "b")], "id INT, v STRING")
    b = spark.createDataFrame([(2, "b"), (1, "a")], "id INT, v STRING")
    c = spark.createDataFrame([(1, "a"), (2, "c")], "id INT, v STRING")
    assert spark_checksum(a) == spark_checksum(b)
    assert spark_checksum(a)[1] != spark_checksum(c)[1]


def test_trino_sql_renders_each_type_and_rejects_unknown_ones():
    sql = trino_checksum_sql("lakehouse.ops.t", [("id", "long"), ("d", "date"), ("ts", "timestamp")])
    assert "date_diff('millisecond'" in sql and 'CAST("d" AS varchar)' in sql
    assert sql.startswith("SELECT count(*), coalesce(sum(") and sql.endswith("FROM lakehouse.ops.t")
    with pytest.raises(UnsupportedType):
        trino_checksum_sql("t", [("m", "map")])


def test_content_checksum_takes_any_type_ignores_float_noise_and_sees_real_changes(spark):
    from govlake.checksum import spark_content_checksum

    schema = "k string, share double, ids array<string>"
    a = spark.createDataFrame([("a", 0.1 + 0.2, ["x", "y"]), ("b", None, [])], schema)
    noisy = spark.createDataFrame([("b", None, []), ("a", 0.3, ["x", "y"])], schema)
    changed = spark.createDataFrame([("a", 0.31, ["x", "y"]), ("b", None, [])], schema)
    reordered_array = spark.createDataFrame([("a", 0.3, ["y", "x"]), ("b", None, [])], schema)
    assert spark_content_checksum(a) == spark_content_checksum(noisy)
    assert spark_content_checksum(a) != spark_content_checksum(changed)
    assert spark_content_checksum(a) != spark_content_checksum(reordered_array)
