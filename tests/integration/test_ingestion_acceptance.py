"""Issue 4 acceptance on the real platform: a generated SF0.01 city with default defects goes through
`govlake run` (bronze for the three delivery modes, silver, the quality gate) in private schemas, a
private urban-management database and a private police API; then every defect of the ground-truth
sidecar is looked up where it must have ended.

The city is the session's gold world (``conftest.gold_world``: a month, seed 11), not one of its own:
ingesting a second city cost ~215 s of every `make test`, and nothing here needs a different one (the
replays below leave silver as it was, which the gold modules rely on too)."""

import datetime as dt
import hashlib
import hmac
import json
import re
from collections import defaultdict

import pytest
from pyspark.sql import functions as F

from govlake import trino_client
from govlake.checksum import spark_checksum
from govlake.contracts import all_contracts, contract
from govlake.identity import is_valid_id, is_valid_mobile, normalize_id
from govlake.secrets import secret
from tests.integration.conftest import GOLD_DAYS as DAYS

QUARANTINED = {  # defect kind → the rule that must catch it
    "id_bad_check_char": "resident_id", "impossible_birth_date": "resident_id", "malformed_mobile": "mobile",
    "unknown_grid_code": "grid_code", "function_zone_code": "grid_code", "missing_required": "required",
    "future_timestamp": "not_future", "lifecycle_out_of_order": "lifecycle_order",
}
REPAIRED = {"id_15_digit", "id_fullwidth", "id_lowercase_x"}
FILE_LEVEL = {"duplicate_file", "truncated_file", "invalid_gbk_bytes", "schema_drift_added_column",
              "schema_drift_renamed_column"}
PASS_THROUGH = {"exact_duplicate", "late_arrival", "contradiction_dead_but_active", "contradiction_paid_after_death",
                "contradiction_community_mismatch", "contradiction_mobile_mismatch"}
ALL_KINDS = sorted(set(QUARANTINED) | REPAIRED | FILE_LEVEL | PASS_THROUGH)


@pytest.fixture(scope="module")
def world(gold_world):
    """(settings of the sandbox, the generated folder, the ingestion summaries)."""
    s, out, summaries, _ = gold_world
    if summaries is None:
        pytest.skip("GOLD_TEST_REUSE reuses an ingested world: the ingestion checks need a fresh run")
    return s, out, summaries


def _truth(out):
    return [json.loads(x) for x in (out / "ground_truth" / "defects.jsonl").read_text().splitlines()]


def _table(s, layer, name):
    return f"{s.schema(layer)}.{name}"


def test_the_run_covers_every_feed_and_mode(world):
    _, _, summaries = world
    by = {x.feed: x for x in summaries}
    assert set(by) == set(all_contracts())
    assert {x.mode for x in summaries} == {"file_drop", "http_cursor", "db_watermark"}
    for x in summaries:
        assert x.deliveries >= 1 and x.rows_read > 0 and x.accepted > 0, x
    assert by["police_incidents"].deliveries == DAYS and by["urban_cases"].deliveries == DAYS


def test_accounting_identity_holds_for_every_delivery(spark, world):
    s, _, _ = world
    rows = spark.table(_table(s, "ops", "deliveries")).where("status = 'landed'").collect()
    assert len(rows) > 9 * DAYS
    for r in rows:
        # replayed: the CLI test replays a delivery of this world (silver_status is the latest outcome)
        assert r.silver_status in ("processed", "replayed", "rejected", "blocked"), r
        assert r.rows_read == r.rows_accepted + r.rows_quarantined + r.rows_duplicate, r
    bronze = {}
    for feed in all_contracts():
        for r in spark.table(_table(s, "bronze", feed)).groupBy("_delivery_id").count().collect():
            bronze[r["_delivery_id"]] = r["count"]
    # nothing landed that is not accounted (an empty delivery has no bronze rows, but its ops row)
    assert {r.delivery_id: r.rows_read for r in rows if r.rows_read} == bronze


def _delivered_text(value) -> str:
    """How an injected value reads inside a JSON record (timestamps as the source renders them)."""
    return json.dumps(value, ensure_ascii=False).strip('"')[:16] if value is not None else ""


def _in_bronze(spark, s, t) -> bool:
    """Whether the damaged version of a pulled record reached bronze (the department database holds
    current rows only: an update on the same day can replace it before the pull)."""
    rows = spark.table(_table(s, "bronze", t["feed"])).where(F.col("_record").contains(t["delivered_key"])).collect()
    if t["injected"] is None:  # a removed value: a version of the record without it
        return any(json.loads(r._record).get(t["column"]) in (None, "") for r in rows)
    return any(_delivered_text(t["injected"]) in r._record for r in rows)


def _copies(records, key):
    """How many identical copies of the most repeated record naming ``key`` there are."""
    from collections import Counter

    counts = Counter(x for x in records if key in x)
    return max(counts.values(), default=0)


def _silver_tokens(spark, s, feed, key):
    cols = []
    for t in contract(feed).tables:
        df = spark.table(_table(s, "silver", t.name))
        cols += [df.select(F.col(c).alias("t")) for c in df.columns if c.endswith("id_number_token")
                 or c in ("party_a_id_token", "party_b_id_token", "caller_id_number_token")]
        if "persons" in df.columns:
            cols.append(df.select(F.explode("persons").alias("p")).select(F.col("p.person_token").alias("t")))
    tokens = set()
    for c in cols:
        tokens |= {r.t for r in c.distinct().collect()}
    return tokens


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_each_defect_kind_is_quarantined_repaired_or_counted(spark, world, kind):
    s, out, _ = world
    truth = [t for t in _truth(out) if t["kind"] == kind]
    if not truth:
        pytest.skip(f"this city (seed 11) has no {kind}")  # the kinds present are asserted below
    late = {(t["feed"], t["record_key"]) for t in _truth(out) if t["kind"] == "late_arrival"}
    key = secret(s, "person_token_key", 32).encode()
    checked = 0
    all_truth = _truth(out)
    # (delivery, record) pairs that carry a defect the rules must quarantine
    flawed = {(t.get("delivery"), t.get("record_key")) for t in all_truth if t["kind"] in QUARANTINED}
    if kind in QUARANTINED:
        q = defaultdict(list)
        for feed in {t["feed"] for t in truth}:
            for r in spark.table(_table(s, "quarantine", feed)).collect():
                q[r.source_file].append(r)
        superseded = 0
        for t in truth:
            if (t["feed"], t.get("record_key")) in late:
                continue  # moved to a later delivery than the sidecar names
            needle = t.get("delivered_key") or t["record_key"]
            if t["feed"] in ("urban_cases", "police_incidents"):  # pulled: the sidecar names the source, not a file
                hits = [r for rows in q.values() for r in rows if needle in (r.record or "")
                        and _delivered_text(t["injected"]) in (r.record or "")]
                if not hits and t["feed"] == "urban_cases" and not _in_bronze(spark, s, t):
                    superseded += 1  # the department DB holds current rows only: a later update replaced it
                    continue
            else:
                hits = [r for r in q.get(t["delivery"].removeprefix("landing/"), []) if needle in (r.record or "")]
            assert hits, (kind, t)
            rules = {v["rule"] for r in hits for v in json.loads(r.violations or "[]")} | {r.rule for r in hits}
            expected = {QUARANTINED[kind]}
            if QUARANTINED[kind] == "grid_code" and t.get("column") == "community_code":
                expected = {"community_code"}
            if t.get("column") == "birth_date":  # a shifted birth date no longer matches the ID
                expected |= {"birth_matches_id"}
            assert expected & rules or "parseable" in rules, (t, rules)
            checked += 1
        assert superseded <= checked, (superseded, checked)
    elif kind in REPAIRED:
        by_feed = defaultdict(list)
        for t in truth:
            if (t["delivery"], t["record_key"]) not in flawed:  # also carries a defect that quarantines it
                by_feed[t["feed"]].append(t)
        for feed, ts in by_feed.items():
            tokens = _silver_tokens(spark, s, feed, key)
            for t in ts:
                assert normalize_id(t["injected"]) == t["original"]
                expected = hmac.new(key, t["original"].encode(), hashlib.sha256).hexdigest()
                assert expected in tokens, t
                checked += 1
    elif kind == "exact_duplicate":
        dups = {r.source: r.rows_duplicate
                for r in spark.table(_table(s, "ops", "deliveries")).where("status = 'landed'").collect()}
        by_source = defaultdict(set)
        for t in truth:
            # a pulled source dedups by its own key (the DB upsert, the API's versions): only files repeat lines
            if contract(t["feed"]).delivery.mode == "file_drop":
                by_source[(t["feed"], t["delivery"].removeprefix("landing/"))].add(t["record_key"])
        for (feed, source), keys in by_source.items():
            bronze = [r._record for r in spark.table(_table(s, "bronze", feed))
                      .where(F.col("_source_file") == source).select("_record").collect()]
            quarantined = [r.record for r in spark.table(_table(s, "quarantine", feed))
                           .where(F.col("source_file") == source).select("record").collect()]
            # each copy beyond the first that was not quarantined must be counted as a duplicate; the
            # copies are identical records (another record may name the key too: a volunteer row names
            # the member, on another sheet of the same file)
            expected = sum(max(0, _copies(bronze, k) - sum(k in x for x in quarantined) - 1) for k in keys)
            assert dups[source] >= expected > 0 or expected == 0, (source, dups[source], expected)
            checked += expected
    elif kind == "duplicate_file":
        ops = {r.source: r for r in spark.table(_table(s, "ops", "deliveries")).collect()}
        for t in truth:
            r, orig = ops[t["delivery"].removeprefix("landing/")], ops[t["original"].removeprefix("landing/")]
            assert orig.status == "landed"
            if orig.rows_read == 0:  # an empty hour resent: every empty file is a delivery of its own
                assert r.rows_read == 0
                continue
            assert r.status == "skipped_duplicate" and r.rows_read == 0, r
            checked += 1
    elif kind in ("truncated_file", "invalid_gbk_bytes"):
        problem = "unterminated_last_line" if kind == "truncated_file" else "decode_error"
        damaged, quarantined = defaultdict(list), defaultdict(list)  # by source file, one read per feed
        for feed in {t["feed"] for t in truth}:
            for r in (spark.table(_table(s, "bronze", feed)).where(F.col("_problem").startswith(problem))
                      .select("_source_file", "_line", F.col("_raw_b64").isNotNull().alias("raw")).collect()):
                damaged[r._source_file].append(r)
            for r in spark.table(_table(s, "quarantine", feed)).select("source_file", "line", "rule",
                                                                       "violations").collect():
                quarantined[r.source_file].append(r)
        for t in truth:
            source = t["delivery"].removeprefix("landing/")
            assert damaged[source], t
            if kind == "invalid_gbk_bytes":
                assert any(r._line == t["line"] and r.raw for r in damaged[source]), t
            lines = {r._line for r in damaged[source]}
            q = quarantined[source]
            assert lines <= {r.line for r in q}, (t, lines)
            assert all(r.rule == "parseable" or "parseable" in (r.violations or "") for r in q if r.line in lines)
            checked += 1
    elif kind == "schema_drift_added_column":
        for t in truth:
            extra = (spark.table(_table(s, "silver", contract(t["feed"]).table().name))
                     .where(F.col("_extra").isNotNull()).collect())
            assert extra and all(t["column"] in r._extra for r in extra)
            ops = spark.table(_table(s, "ops", "deliveries")).where(F.col("source") == t["delivery"].removeprefix(
                "landing/")).first()
            assert ops.silver_status == "processed" and t["column"] in ops.silver_reason, ops
            checked += 1
    elif kind == "schema_drift_renamed_column":
        ops = {r.source: r for r in spark.table(_table(s, "ops", "deliveries")).collect()}
        for t in truth:
            source = t["delivery"].removeprefix("landing/")
            r = ops[source]
            assert r.silver_status == "rejected" and t["column"] in r.silver_reason, r
            assert r.rows_quarantined == r.rows_read and r.rows_accepted == 0
            silver = spark.table(_table(s, "silver", contract(t["feed"]).table().name))
            assert silver.where(F.col("_delivery_id") == r.delivery_id).count() == 0
            checked += 1
    elif kind == "late_arrival":
        for t in truth:
            c = contract(t["feed"])
            pk = c.table().primary_key[0]
            if c.table().column(pk).pii.value == "direct":
                continue
            silver = spark.table(_table(s, "silver", c.table().name))
            assert silver.where(F.col(pk) == t["record_key"]).count() == 1, t
            checked += 1
    else:  # cross-department contradictions are valid records: they must reach silver for issue 5
        quarantined_records = {t["record_key"] for t in all_truth if t["kind"] in QUARANTINED}
        for t in truth:
            if t.get("incident_id", t["record_key"]) in quarantined_records:
                continue  # the record also carries a defect the rules quarantine (checked under that kind)
            tokens = _silver_tokens(spark, s, t["feed"], key)
            expected = hmac.new(key, t["record_key"].encode(), hashlib.sha256).hexdigest()
            assert expected in tokens, t
            checked += 1
    assert checked, f"no {kind} defect could be checked"


def test_the_city_carries_most_defect_kinds(world):
    _, out, _ = world
    present = {t["kind"] for t in _truth(out)}
    assert len(present & set(ALL_KINDS)) >= 15, sorted(present)


def test_no_clear_text_id_or_mobile_in_silver_gold_or_ops(spark, world):
    s, _, _ = world
    id_like = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
    mobile_like = re.compile(r"(?<![0-9A-Za-z])1[3-9][0-9]{9}(?![0-9A-Za-z])")
    scanned = tables = 0
    for layer in ("silver", "gold", "ops"):
        for t in spark.catalog.listTables(s.schema(layer)):
            df = spark.table(f"{s.schema(layer)}.{t.name}")
            text = [F.col(f"`{f}`").cast("string") for f, typ in df.dtypes
                    if typ.startswith(("string", "array", "map", "struct"))]
            if not text:
                continue
            tables += 1
            for row in df.select(F.concat_ws(" ", *text).alias("x")).toLocalIterator():
                scanned += 1
                x = row.x or ""
                assert not [m for m in id_like.findall(x) if is_valid_id(m.upper(), dt.date(2026, 12, 31))], t.name
                assert not [m for m in mobile_like.findall(x) if is_valid_mobile(m)], t.name
    assert tables >= 15 and scanned > 10_000, (tables, scanned)


def test_every_table_reads_the_same_through_trino(spark, world):
    s, _, _ = world
    checked = 0
    for layer in ("bronze", "silver", "ops", "quarantine"):
        tables = [t.name for t in spark.catalog.listTables(s.schema(layer))]
        assert tables, layer
        for name in tables:
            n = spark.table(f"{s.schema(layer)}.{name}").count()
            got = trino_client.query(s, f'SELECT count(*) FROM {s.trino.catalog}.{s.schema(layer)}."{name}"')
            assert got[0][0] == n, (layer, name)
            checked += 1
    assert checked >= 9 + 11 + 4 + 9


def _silver_state(spark, s, tables):
    out = {}
    for name in tables:
        df = spark.table(_table(s, "silver", name)).drop("_ingested_at")
        df = df.select(*[F.to_json(F.col(c)).alias(c) if t.startswith(("map", "array", "struct"))
                         else F.col(c).cast("string").alias(c) if t in ("double", "float") else F.col(c)
                         for c, t in df.dtypes])
        out[name] = spark_checksum(df)
    return out


def test_replaying_a_delivery_five_times_leaves_silver_identical(spark, world):
    from spark_jobs.jobs.silver import replay

    s, out, _ = world
    spark.catalog.clearCache()  # the session is shared by every integration module
    ops = spark.table(_table(s, "ops", "deliveries")).where("status = 'landed' AND silver_status = 'processed'")
    picks = [ops.where(F.col("feed") == f).orderBy("delivered_on").first()
             for f in ("hotline_12345", "civil_affairs_residents", "party_building")]
    tables = [t.name for p in picks for t in contract(p.feed).tables]
    before = _silver_state(spark, s, tables)
    ref = out / "reference" / "divisions.csv"
    # five times the 12345 delivery (status history) and the residents snapshot (SCD2); the
    # party-building workbook (three sheets, ~40 s a replay) twice: from the second replay on, a
    # replay finds what the first left, so more rounds of it would add minutes, not evidence
    for round_ in range(5):
        for p in picks if round_ < 2 else picks[:2]:
            for a in replay(spark, s, p.delivery_id, ref, echo=lambda _: None):
                assert a.rows_in == a.accepted + a.quarantined + a.duplicate
    assert _silver_state(spark, s, tables) == before
    acc = spark.table(_table(s, "ops", "silver_accounting")).where(F.col("status") == "replayed")
    assert acc.where(F.col("delivery_id") == picks[0].delivery_id).count() == 5
    assert acc.where(F.col("delivery_id") == picks[2].delivery_id).count() == 2 * len(contract(picks[2].feed).tables)
