"""Daily full snapshots → change records and SCD2 versions, on small frames."""

import datetime as dt
import hashlib
import hmac
import random

import pytest
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from spark_jobs.transforms.snapshot import (
    attribute_columns,
    carry_held,
    row_hash,
    scd2_merge_source,
    snapshot_deliveries,
    snapshot_diff,
    snapshot_key,
    with_scd_columns,
)

pytestmark = pytest.mark.spark

KEY = "id_number_token"
ATTRS = ["sex", "birth_date", "community_code", "grid_code", "special_groups", "tags"]
BATCH_SCHEMA = (f"{KEY} string, sex string, birth_date date, community_code string, grid_code string, "
                "special_groups array<string>, tags map<string,string>, snapshot_date date, "
                "_extra map<string,string>, _delivery_id string, _source_file string, _line long, "
                "_ingested_at timestamp")
TABLE_SCHEMA = BATCH_SCHEMA + ", valid_from date, valid_to date, is_current boolean, row_hash string"
D0, D1, D2, D3, D4 = (dt.date(2026, 1, d) for d in (1, 2, 3, 4, 5))
VERSION = [KEY, *ATTRS, "valid_from", "valid_to", "is_current", "row_hash"]
CLOSES = f"{KEY} string, valid_to date"


def person(key, day, **over):
    row = {KEY: key, "sex": "女", "birth_date": dt.date(1980, 5, 1), "community_code": "420102002003",
           "grid_code": "420102002003001", "special_groups": ["独居老人"], "tags": {"a": "1"},
           "snapshot_date": day, "_extra": None, "_delivery_id": f"del-{day}", "_source_file": f"f-{day}.csv",
           "_line": 1, "_ingested_at": dt.datetime(2026, 1, 1, 8, 0)}
    row.update(over)
    return row


def frame(spark, rows, schema=BATCH_SCHEMA) -> DataFrame:
    names = [f.split(" ")[0] for f in schema.split(", ")]
    return spark.createDataFrame([tuple(r.get(n) for n in names) for r in rows], schema)


def empty_table(spark):
    return spark.createDataFrame([], TABLE_SCHEMA)


def diff(spark, current, rows, dates, **kw):
    batch = frame(spark, rows)
    return snapshot_diff(current.where("is_current"), batch, KEY, ATTRS, "snapshot_date", dates, **kw)


def apply(plan, table: DataFrame) -> DataFrame:
    """Emulate the MERGE: close the open versions named in ``closes``, append ``inserts``."""
    closes = plan.closes.select(F.col(KEY), F.col("valid_to").alias("_close"))
    t = table.join(closes, KEY, "left")
    hit = F.col("is_current") & F.col("_close").isNotNull()
    t = (t.withColumn("valid_to", F.when(hit, F.col("_close")).otherwise(F.col("valid_to")))
         .withColumn("is_current", F.when(hit, F.lit(False)).otherwise(F.col("is_current")))
         .drop("_close").select(*table.columns))
    return t.unionByName(plan.inserts.select(*table.columns)).localCheckpoint()


def changes(plan):
    return sorted((r[KEY], r.change_type, r.snapshot_date, tuple(r.changed_columns), r._delivery_id)
                  for r in plan.changes.collect())


def versions(table, key=None):
    df = table if key is None else table.where(F.col(KEY) == key)
    return sorted((r[KEY], r.valid_from, r.valid_to, r.is_current) for r in df.collect())


def state(table):
    return sorted((*[str(r[c]) for c in VERSION], r._delivery_id) for r in table.collect())


@pytest.fixture(scope="module")
def day1(spark):
    rows = [person("A", D1), person("B", D1, sex="男", _line=2), person("C", D1, grid_code=None, _line=3)]
    plan = diff(spark, empty_table(spark), rows, [D1])
    return rows, plan, apply(plan, empty_table(spark))


def test_first_load_everything_new_and_current(spark, day1):
    rows, plan, _ = day1
    assert changes(plan) == [(k, "new", D1, (), f"del-{D1}") for k in "ABC"]
    assert plan.closes.count() == 0
    ins = {r[KEY]: r for r in plan.inserts.collect()}
    assert set(ins) == {"A", "B", "C"}
    for r in ins.values():
        assert (r.valid_from, r.valid_to, r.is_current) == (D1, None, True)
        assert len(r.row_hash) == 64
    assert ins["B"]._line == 2 and ins["B"].sex == "男"
    expected = frame(spark, rows).select(KEY, row_hash(ATTRS, frame(spark, rows).schema).alias("h")).collect()
    assert {r[KEY]: r.h for r in expected} == {k: r.row_hash for k, r in ins.items()}
    assert plan.inserts.columns == [*frame(spark, rows).columns, "valid_from", "valid_to", "is_current", "row_hash"]
    assert plan.changes.columns == [KEY, "change_type", "snapshot_date", "changed_columns", "_delivery_id"]
    assert plan.closes.columns == [KEY, "valid_to"]


def test_unchanged_day_changes_nothing(spark, day1):
    rows, _, table = day1
    plan = diff(spark, table, [{**r, "snapshot_date": D2} for r in rows], [D2])
    assert plan.changes.count() == 0 and plan.closes.count() == 0 and plan.inserts.count() == 0


def test_lineage_only_differences_are_not_changes(spark, day1):
    rows, _, table = day1
    again = [{**r, "snapshot_date": D2, "_delivery_id": "other", "_source_file": "x.csv", "_line": 99,
              "_extra": {"新列": "v"}, "_ingested_at": dt.datetime(2026, 1, 3)} for r in rows]
    plan = diff(spark, table, again, [D2])
    assert plan.changes.count() == 0 and plan.closes.count() == 0 and plan.inserts.count() == 0


def test_attribute_change_closes_and_opens_a_version(spark, day1):
    _, _, table = day1
    nxt = [person("A", D2), person("B", D2, sex="男", community_code="420102002004", special_groups=[]),
           person("C", D2, grid_code="420102002003002", _line=3)]
    plan = diff(spark, table, nxt, [D2])
    assert changes(plan) == [("B", "changed", D2, ("community_code", "special_groups"), f"del-{D2}"),
                             ("C", "changed", D2, ("grid_code",), f"del-{D2}")]  # null → value is a change
    assertDataFrameEqual(plan.closes, spark.createDataFrame([("B", D2), ("C", D2)], CLOSES))
    after = apply(plan, table)
    assert versions(after, "B") == [("B", D1, D2, False), ("B", D2, None, True)]
    assert versions(after, "A") == [("A", D1, None, True)]
    new_b = after.where(f"{KEY} = 'B' and is_current").first()
    assert new_b.community_code == "420102002004" and new_b._delivery_id == f"del-{D2}"


def test_gone_key_is_closed(spark, day1):
    rows, _, table = day1
    plan = diff(spark, table, [{**r, "snapshot_date": D2, "_delivery_id": "d2"} for r in rows if r[KEY] != "A"],
                [D2])
    assert changes(plan) == [("A", "gone", D2, (), "d2")]  # the delivery that lacks it
    assertDataFrameEqual(plan.closes, spark.createDataFrame([("A", D2)], CLOSES))
    assert plan.inserts.count() == 0
    assert versions(apply(plan, table), "A") == [("A", D1, D2, False)]


def test_empty_snapshot_everything_gone_with_given_delivery(spark, day1):
    _, _, table = day1
    plan = diff(spark, table, [], [D2], deliveries={D2: "empty-d2"})
    assert changes(plan) == [(k, "gone", D2, (), "empty-d2") for k in "ABC"]
    assert plan.closes.count() == 3


def test_gone_and_back_within_one_batch(spark, day1):
    _, _, table = day1
    rows = [
        # A (open since D1): present D2, absent D3, back on D4 with a new grid
        person("A", D2), person("A", D4, grid_code="420102002003009"),
        # B (open since D1): unchanged D2, changed D3, then unchanged D4
        person("B", D2, sex="男"), person("B", D3, sex="女"), person("B", D4, sex="女", _line=7),
        # C (open since D1): absent for the whole batch
        # N (unknown): appears D2, gone D3, back D4 unchanged
        person("N", D2), person("N", D4),
        # M (unknown): appears D3 only
        person("M", D3),
    ]
    plan = diff(spark, table, rows, [D2, D3, D4])
    assert changes(plan) == [
        ("A", "gone", D3, (), f"del-{D3}"), ("A", "new", D4, (), f"del-{D4}"),
        ("B", "changed", D3, ("sex",), f"del-{D3}"),
        ("C", "gone", D2, (), f"del-{D2}"),
        ("M", "gone", D4, (), f"del-{D4}"), ("M", "new", D3, (), f"del-{D3}"),
        ("N", "gone", D3, (), f"del-{D3}"), ("N", "new", D2, (), f"del-{D2}"), ("N", "new", D4, (), f"del-{D4}"),
    ]
    assertDataFrameEqual(plan.closes, spark.createDataFrame([("A", D3), ("B", D3), ("C", D2)], CLOSES))
    after = apply(plan, table)
    assert versions(after) == [
        ("A", D1, D3, False), ("A", D4, None, True),
        ("B", D1, D3, False), ("B", D3, None, True),
        ("C", D1, D2, False),
        ("M", D3, D4, False),
        ("N", D2, D3, False), ("N", D4, None, True),
    ]
    # one version row for B's D3+D4 snapshots, lineage of the first
    b = after.where(f"{KEY} = 'B' and is_current").collect()
    assert len(b) == 1 and b[0]._delivery_id == f"del-{D3}" and b[0]._line == 1


def random_snapshot(rnd, day, keys):
    rows = []
    for i, k in enumerate(keys):
        if rnd.random() < 0.25:
            continue
        rows.append(person(k, day, _line=i, sex=rnd.choice(["男", "女", None]),
                           community_code=rnd.choice(["420102002003", "420102002004"]),
                           special_groups=rnd.choice([None, [], ["残疾人"], ["残疾人", "低保对象"]]),
                           tags=rnd.choice([None, {"a": "1", "b": "2"}, {"b": "2", "a": "1"}, {"a": "2"}])))
    return rows


def test_one_batch_equals_day_by_day(spark, day1):
    _, _, table1 = day1
    rnd = random.Random(11)
    keys = [*"ABC", *[f"K{i}" for i in range(12)]]
    days = [D2, D3, D4]
    snaps = {d: random_snapshot(rnd, d, keys) for d in days}
    snaps[D3] = []  # an empty delivery in the middle
    one_by_one, daily = table1, []
    for d in days:
        p = diff(spark, one_by_one, snaps[d], [d])
        daily += changes(p)
        one_by_one = apply(p, one_by_one)
    plan = diff(spark, table1, [r for d in days for r in snaps[d]], days)
    together = apply(plan, table1)
    assert state(together) == state(one_by_one)
    # the change log is the concatenation of the daily ones (empty-day gone rows have no delivery id)
    assert changes(plan) == sorted(daily)
    assert together.where("is_current").groupBy(KEY).count().where("count > 1").count() == 0


def test_snapshot_not_later_than_silver_is_refused(spark, day1):
    rows, _, table = day1
    for d in (D1, D0):
        with pytest.raises(ValueError, match="not later than"):
            diff(spark, table, [{**r, "snapshot_date": d} for r in rows], [d])
    with pytest.raises(ValueError, match="not later than"):
        diff(spark, table, [{**r, "snapshot_date": D2} for r in rows], [D1, D2])


def test_bad_batches_are_refused(spark, day1):
    rows, _, table = day1
    with pytest.raises(ValueError, match="more than once"):
        diff(spark, table, [person("A", D2), person("A", D2, _line=2)], [D2])
    with pytest.raises(ValueError, match="not in dates"):
        diff(spark, table, [person("A", D2), person("B", D3)], [D2])
    with pytest.raises(ValueError, match="not attributes"):
        snapshot_diff(table, frame(spark, rows), KEY, [*ATTRS, "_line"], "snapshot_date", [D2])


def test_row_hash_is_canonical_and_null_safe(spark):
    schema = "a string, b string, d date, arr array<string>, m map<string,string>, n int"
    df = spark.createDataFrame([
        ("x", None, dt.date(2026, 1, 1), ["p", "q"], {"k": "1", "j": "2"}, 1),
        ("x", None, dt.date(2026, 1, 1), ["p", "q"], {"j": "2", "k": "1"}, 1),  # map order: same
        (None, "x", dt.date(2026, 1, 1), ["p", "q"], {"k": "1", "j": "2"}, 1),  # value moved: differs
        ("x", "", dt.date(2026, 1, 1), ["p", "q"], {"k": "1", "j": "2"}, 1),  # "" ≠ null
        ("x", None, dt.date(2026, 1, 1), ["q", "p"], {"k": "1", "j": "2"}, 1),  # array order matters
        ("x", None, dt.date(2026, 1, 1), ["p,q"], {"k": "1", "j": "2"}, 1),  # no join ambiguity
        ("x", None, dt.date(2026, 1, 1), ["p", "q"], {"k": "1", "j": "2"}, None),
    ], schema)
    attrs = ["a", "b", "d", "arr", "m", "n"]
    h = [r.h for r in df.select(row_hash(attrs, df.schema).alias("h")).collect()]
    assert h[0] == h[1]
    assert len(set(h[1:])) == 6
    reordered = [r.h for r in df.select(row_hash(list(reversed(attrs)), df.schema).alias("h")).collect()]
    assert reordered == h
    # an added attribute that is null everywhere changes no hash; dates hash like their ISO string
    wider = df.withColumn("extra", F.lit(None).cast("string")).withColumn("d", F.col("d").cast("string"))
    assert [r.h for r in wider.select(row_hash([*attrs, "extra"], wider.schema).alias("h")).collect()] == h


def test_attribute_columns_leave_out_key_date_lineage_and_scd(spark):
    assert attribute_columns(empty_table(spark), KEY, "snapshot_date") == ATTRS


# ---- applying a batch: dates, held persons, the SCD2 MERGE source ------------------------------------
def test_snapshot_key_and_scd_columns(spark, day1):
    rows, _, _ = day1
    assert snapshot_key([KEY, "sex"], ["id_number"]) == KEY
    assert snapshot_key(["code", "sex"], ["code"]) == "code"
    plain = with_scd_columns(frame(spark, rows))
    assert plain.columns[-4:] == ["valid_from", "valid_to", "is_current", "row_hash"]
    assert dict(plain.dtypes)["valid_from"] == "date" and plain.where("valid_from is not null").count() == 0


def test_snapshot_deliveries_include_an_empty_delivery(spark):
    rows = frame(spark, [person("A", D2), person("B", D2, _line=2)])
    assert snapshot_deliveries(rows, [(D2, "ignored: the rows name it"), (D3, "empty-d3")]) == {
        D2: f"del-{D2}", D3: "empty-d3"}


def token(value: str, key: bytes = b"k") -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def test_a_person_quarantined_for_another_reason_is_held_not_gone(spark):
    a, b, c = token("IDA"), token("IDB"), token("IDC")
    first = [person(a, D1), person(b, D1, _line=2), person(c, D1, _line=3)]
    table = apply(diff(spark, empty_table(spark), first, [D1]), empty_table(spark))
    violations = "array<struct<rule:string,column:string,severity:string,reason:string>>"
    bad = spark.createDataFrame([
        ("IDA", D2, [("mobile", "mobile", "quarantine", "malformed mobile")]),  # held: the ID is fine
        ("IDB", D2, [("mobile", "mobile", "quarantine", "malformed mobile")]),  # also delivered clean: clean wins
        ("IDC", D2, [("resident_id", "id_number", "quarantine", "id_check_char")]),  # cannot be attributed
    ], f"id_number string, snapshot_date date, _violations {violations}")
    batch = frame(spark, [person(b, D2, _line=9)])
    current = table.where("is_current")
    rows = carry_held(batch, current, bad, KEY, "snapshot_date", b"k", [D2])
    assert rows.columns == batch.columns
    got = sorted((r[KEY], r.snapshot_date, r._line, r._delivery_id) for r in rows.collect())
    assert got == sorted([(a, D2, 1, f"del-{D1}"), (b, D2, 9, f"del-{D2}")])  # a carried with its version's lineage
    plan = snapshot_diff(current, rows, KEY, ATTRS, "snapshot_date", [D2], deliveries={D2: f"del-{D2}"})
    assert changes(plan) == [(c, "gone", D2, (), f"del-{D2}")]


def test_scd2_merge_source_closes_and_inserts_in_one_frame(spark, day1):
    _, _, table = day1
    plan = diff(spark, table, [person("A", D2), person("B", D2, sex="男"), person("C", D2, grid_code="g2")], [D2])
    src = scd2_merge_source(plan, KEY, table.columns, dict(table.dtypes))
    assert src.columns == ["_merge_key", *table.columns]
    closes = src.where("_merge_key is not null").select("_merge_key", KEY, "valid_to", "is_current", "sex")
    assertDataFrameEqual(closes, spark.createDataFrame(  # the MERGE sets valid_to and is_current = false
        [("C", None, D2, None, None)], f"_merge_key string, {KEY} string, valid_to date, is_current boolean, "
                                       "sex string"))
    inserts = src.where("_merge_key is null").select(KEY, "grid_code", "valid_from", "valid_to", "is_current")
    assertDataFrameEqual(inserts, spark.createDataFrame(
        [("C", "g2", D2, None, True)], f"{KEY} string, grid_code string, valid_from date, valid_to date, "
                                       "is_current boolean"))
