"""Five governance KPIs computed a second, independent way — straight from the raw files of the gold
world's generated city (landing/ file drops, police_api/incidents.jsonl, reference/divisions.csv) with
Python and DuckDB: no Spark, no dbt, no silver, no pipeline code — and compared EXACTLY with what
Trino returns from the gold tables dbt built.

The raw files carry the generator's defects, so this side applies the documented rules itself
(docs/ingestion-and-quality.md, the contracts under schemas/feeds/, read here as plain YAML):

* a file byte-identical to one already delivered (``*_resend``) is skipped (content-addressed ids);
* a record that does not decode in the contract's encoding (GBK with invalid bytes), a last line cut
  short (no line end), a CSV line with the wrong number of fields or a JSON line that does not parse
  is quarantined (``parseable``);
* a CSV delivery whose header lacks a required column (disputes renames 网格编码 → 网格代码 on days
  5–6) is rejected whole;
* IDs are standardised (full-width digits, lowercase x, 15 → 18 digits) and then must have 18
  characters, a plausible birth date (1870-01-01 … the delivery day) and the right GB 11643 check
  character; mobiles (``+86``/separators removed) must read ``1[3-9]`` + 9 digits; codes must exist in
  reference/divisions.csv at their level; allowed sets, ranges and required values as the contract
  says; no timestamp or date after the end of the delivery day (23:59:59 Asia/Shanghai); lifecycle
  timestamps in order; a failing row is quarantined;
* records are deduplicated by business key, the latest ``updated_at`` winning (lifecycle feeds:
  tickets, incidents, disputes); the police API delivers each incident version in the day of its
  ``updated_at`` (range (D 00:00, D+1 00:00] +08:00);
* the civil register is a daily full snapshot: a person is in the register on day D when D's snapshot
  holds a valid row for them (a quarantined row in a batch that starts from an empty register holds
  nothing, so such a person is absent that day — docs/operations.md "Known limits and traps").

KPIs and the definitions both sides agree on (documented semantics of the gold models):

1. 12345 tickets per district and month — tickets whose (latest valid) acceptance time falls in the
   month (Asia/Shanghai business date), by the district of the ticket's grid:
   ``theme_harmonious_city`` (district / city, period month, breakdown all, ``tickets``).
2. Dispute resolution — per district and month, disputes registered, closed (outcome other than
   化解中 with a closing time) and resolved (调解成功) by the business date of registration / closing;
   the resolution rate is resolved ÷ registered of the month's cohort (fct_disputes), and the theme's
   counts (``theme_disputes``: new, closed, resolved disputes) are compared too.
3. Police incidents per 10,000 residents per district — incidents by the delivered district code and
   the local date of the call, residents = people in the register on the month's last covered day,
   ``round(incidents × 10000 / residents, 2)`` half-up (``theme_public_order``, category all).
4. Elderly living alone per community — people of the month's last register snapshot whose
   special-group flags hold 独居老人, per community (``community_portrait``, measure
   elderly_living_alone, all ages and sexes): published cells equal, suppressed cells (null, flag set)
   are exactly those below 5 (at SF0.01 a community has a handful of residents, so nearly every cell
   is suppressed); and, unsuppressed, the same people counted per district in ``dim_person`` (in the
   register at the latest snapshot, flagged elderly living alone).
5. Assistance paid after death — recipients with a 卫健 death registration (earliest death date per
   person) who were paid with a pay date after it: the death registration, the payment ids and the
   amount (``reconciliation_findings`` type paid_after_death, whose ``source_ids`` are the death event
   and the payments, joined to ``fct_assistance_payments`` for the amounts).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pyarrow.parquet as pq
import pytest
import yaml

from govlake import trino_client

ROOT = Path(__file__).resolve().parents[2]
CST = ZoneInfo("Asia/Shanghai")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
FULL = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789xX")
LEVEL_OF_RULE = {"community_code": "community", "grid_code": "grid", "district_code": "district"}


# ------------------------------------------------------------------------------------------------
# the documented rules, written again from the contracts (no pipeline code)
# ------------------------------------------------------------------------------------------------
def contract_table(feed: str) -> dict:
    doc = yaml.safe_load((ROOT / "schemas" / "feeds" / feed / "v1.yaml").read_text(encoding="utf-8"))
    t = doc["tables"][0]
    t["encoding"] = doc["delivery"]["encoding"]
    for c in t["columns"]:
        c.setdefault("source_name", c["name"])
        c.setdefault("rules", [])
    return t


def check_char(first17: str) -> str:
    return CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def normalize_id(v: str | None) -> str | None:
    if v is None:
        return None
    s = re.sub(r"\s+", "", v.translate(FULL)).upper()
    if not s:
        return None
    if re.fullmatch(r"[0-9]{15}", s):
        first17 = s[:6] + "19" + s[6:]
        return first17 + check_char(first17)
    return s


def id_ok(v: str | None, day: dt.date) -> bool:
    if v is None or not re.fullmatch(r"[0-9]{17}[0-9X]", v):
        return False
    try:
        born = dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return False
    return dt.date(1870, 1, 1) <= born <= day and check_char(v[:17]) == v[17]


def normalize_mobile(v: str | None) -> str | None:
    if v is None:
        return None
    s = re.sub(r"[\s\-()]", "", v.translate(FULL))
    s = re.sub(r"^(\+86|0086|86)(1[0-9]{10})$", r"\2", s)
    return s or None


def parse_value(text: str | None, col: dict):
    """Text → value of the contract type; None when blank; raises ValueError when unreadable."""
    if text is None or str(text).strip() == "":
        return None
    text = str(text).strip()
    t = col["type"]
    if t == "date":
        return dt.date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else _bad()
    if t == "timestamp":
        if col.get("format"):  # local wall clock in the source zone
            return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST)
        v = dt.datetime.fromisoformat(text)
        return v if v.tzinfo else v.replace(tzinfo=CST)
    if t in ("int", "bigint"):
        return int(text)
    if t.startswith("decimal"):
        return Decimal(text)
    return text


def _bad():
    raise ValueError("unreadable")


def row_valid(row: dict, table: dict, day: dt.date, codes: dict[str, set]) -> dict | None:
    """The typed row when it passes every quarantine rule of its contract on delivery day ``day``."""
    limit = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=CST)
    out = {}
    for c in table["columns"]:
        raw = row.get(c["name"])
        raw = None if raw is None or str(raw).strip() == "" else raw
        rules = c["rules"]
        if "required" in rules and raw is None:
            return None
        if c["type"].startswith("array"):
            out[c["name"]] = raw
            for p in raw or []:
                if "resident_id" in rules and not id_ok(normalize_id(p.get("id_number")), day):
                    return None
                m = normalize_mobile(p.get("mobile"))
                if "mobile" in rules and m is not None and not re.fullmatch(r"1[3-9][0-9]{9}", m):
                    return None
            continue
        try:
            v = parse_value(raw, c)
        except ValueError:
            return None  # parseable (a column without the rule keeps NULL; none occurs in these feeds)
        if "resident_id" in rules:
            v = normalize_id(v)
            if v is not None and not id_ok(v, day):
                return None
        if "mobile" in rules:
            v = normalize_mobile(v)
            if v is not None and not re.fullmatch(r"1[3-9][0-9]{9}", v):
                return None
        for r in rules:
            if r in LEVEL_OF_RULE and v is not None and v not in codes[LEVEL_OF_RULE[r]]:
                return None
        if "in_set" in rules and v is not None and str(v) not in [str(a) for a in c["allowed"]]:
            return None
        lo, hi = c.get("min"), c.get("max")
        if "in_range" in rules and v is not None and not (
                (lo is None or v >= Decimal(str(lo))) and (hi is None or v <= Decimal(str(hi)))):
            return None
        if "not_future" in rules and v is not None and (v > day if c["type"] == "date" else v > limit):
            return None
        out[c["name"]] = v
    life = (table.get("lifecycle") or {}).get("timestamps") or []
    for i, later in enumerate(life[1:], start=1):
        before = [out[s] for s in life[:i] if out.get(s) is not None]
        if out.get(later) is not None and before and out[later] < max(before):
            return None
    return out


def delivered_lines(path: Path, encoding: str) -> list[str | None]:
    """The records of a text file: decoded lines, None for a line that is not readable as delivered
    (invalid bytes in its encoding, or a last line without its line end)."""
    data = path.read_bytes()
    if encoding == "utf-8-sig" and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    parts = data.split(b"\n")
    tail = parts.pop()  # b"" after a complete last line; the cut line of a truncated file otherwise
    out = []
    for raw in parts:
        try:
            out.append(raw.rstrip(b"\r").decode("gbk" if encoding == "gbk" else "utf-8"))
        except UnicodeDecodeError:
            out.append(None)
    if tail:
        out.append(None)
    return out


def file_drops(landing: Path, feed: str):
    """(delivery day, path) of every distinct file of a feed, a byte-identical re-delivery skipped."""
    seen = set()
    for day_dir in sorted((landing / feed).iterdir()):
        for f in sorted(day_dir.iterdir()):
            digest = hashlib.sha256(f.read_bytes()).hexdigest()
            if digest not in seen:
                seen.add(digest)
                yield dt.date.fromisoformat(day_dir.name), f


def csv_rows(landing: Path, feed: str, table: dict, codes):
    """Valid typed rows of a CSV feed, each with its delivery day (rejected deliveries left out)."""
    by_source = {c["source_name"]: c["name"] for c in table["columns"]}
    required = {c["source_name"] for c in table["columns"] if "required" in c["rules"]}
    for day, f in file_drops(landing, feed):
        lines = delivered_lines(f, table["encoding"])
        if not lines or lines[0] is None:
            continue
        header = next(csv.reader([lines[0]]))
        if required - set(header):
            continue  # required_columns: the delivery is rejected whole
        for line in lines[1:]:
            if line is None:
                continue
            fields = next(csv.reader(io.StringIO(line)), [])
            if len(fields) != len(header):
                continue
            row = {by_source[h]: (v if v != "" else None)
                   for h, v in zip(header, fields, strict=True) if h in by_source}
            ok = row_valid(row, table, day, codes)
            if ok is not None:
                yield day, ok


def jsonl_rows(landing: Path, feed: str, table: dict, codes):
    for day, f in file_drops(landing, feed):
        for line in delivered_lines(f, "utf-8"):
            try:
                rec = json.loads(line) if line is not None else None
            except json.JSONDecodeError:
                rec = None
            if not isinstance(rec, dict):
                continue
            ok = row_valid({k: (None if v is None else str(v)) for k, v in rec.items()}, table, day, codes)
            if ok is not None:
                yield day, ok


def latest_by_key(rows, key: str, update: str) -> dict:
    best = {}
    for _, r in rows:
        k = r[key]
        if k not in best or r[update] > best[k][update]:
            best[k] = r
    return best


def local_date(ts: dt.datetime | None) -> dt.date | None:
    return ts.astimezone(CST).date() if ts else None


def month(d: dt.date) -> dt.date:
    return d.replace(day=1)


# ------------------------------------------------------------------------------------------------
# the raw city, read once per module
# ------------------------------------------------------------------------------------------------
class RawCity:
    def __init__(self, out: Path):
        self.out, self.landing = out, out / "landing"
        self.codes: dict[str, set] = defaultdict(set)
        self.parent: dict[str, str] = {}
        with (out / "reference" / "divisions.csv").open(encoding="utf-8") as f:
            for r in csv.DictReader(f):
                self.codes[r["level"]].add(r["code"])
                self.parent[r["code"]] = r["parent_code"]
        self.db = duckdb.connect()

    def district_of(self, code: str | None) -> str | None:
        while code and code not in self.codes["district"]:
            code = self.parent.get(code)
        return code

    def register(self) -> dict[dt.date, dict[str, dict]]:
        """Day → person (standardised ID) → valid snapshot row."""
        t = contract_table("civil_affairs_residents")
        days: dict[dt.date, dict[str, dict]] = defaultdict(dict)
        for _, r in csv_rows(self.landing, "civil_affairs_residents", t, self.codes):
            days[r["snapshot_date"]][r["id_number"]] = r
        return days


@pytest.fixture(scope="module")
def raw(gold_world):
    _, out, _, _ = gold_world
    return RawCity(out)


@pytest.fixture(scope="module")
def register(raw):
    return raw.register()


def _trino(s, sql):
    return trino_client.query(s, sql.replace("GOLD.", f"{s.trino.catalog}.{s.schema('gold')}."))


# ------------------------------------------------------------------------------------------------
# 1. 12345 tickets per district and month
# ------------------------------------------------------------------------------------------------
def test_kpi_hotline_tickets_per_district_and_month(gold_world, raw):
    s = gold_world[0]
    t = contract_table("hotline_12345")
    tickets = latest_by_key(jsonl_rows(raw.landing, "hotline_12345", t, raw.codes), "ticket_id", "updated_at")
    raw.db.execute("CREATE OR REPLACE TABLE tickets (ticket_id VARCHAR, district_code VARCHAR, accepted_date DATE)")
    raw.db.executemany("INSERT INTO tickets VALUES (?, ?, ?)", [
        (k, raw.district_of(r["grid_code"]), local_date(r["accepted_at"])) for k, r in tickets.items()])
    mine = raw.db.execute("""
        SELECT coalesce(district_code, '4201') AS node, date_trunc('month', accepted_date)::DATE AS m, count(*)
        FROM tickets GROUP BY GROUPING SETS ((district_code, m), (m))
        HAVING NOT (GROUPING(district_code) = 0 AND district_code IS NULL)""").fetchall()
    gold = _trino(s, """
        SELECT node_code, period_start, tickets FROM GOLD.theme_harmonious_city
        WHERE hierarchy_level IN ('city', 'district') AND period = 'month' AND breakdown = 'all'""")
    assert len(tickets) > 100
    assert {(a, b): c for a, b, c in mine} == {(a, b): c for a, b, c in gold if c}
    print(f"12345 tickets by district and month: {sorted(mine)}")


# ------------------------------------------------------------------------------------------------
# 2. dispute resolution
# ------------------------------------------------------------------------------------------------
def test_kpi_dispute_resolution_per_district_and_month(gold_world, raw):
    s = gold_world[0]
    t = contract_table("disputes")
    disputes = latest_by_key(csv_rows(raw.landing, "disputes", t, raw.codes), "dispute_id", "updated_at")
    assert disputes, "no dispute passed the rules"
    rows = []
    for k, r in disputes.items():
        closed = r["outcome"] != "化解中" and r["closed_at"] is not None
        rows.append((k, raw.district_of(r["grid_code"]), local_date(r["reported_at"]),
                     local_date(r["closed_at"]) if closed else None, closed, r["outcome"] == "调解成功"))
    raw.db.execute("CREATE OR REPLACE TABLE disputes (dispute_id VARCHAR, district_code VARCHAR, reported_date DATE, "
                   "closed_date DATE, is_closed BOOLEAN, is_resolved BOOLEAN)")
    raw.db.executemany("INSERT INTO disputes VALUES (?, ?, ?, ?, ?, ?)", rows)
    cohort = raw.db.execute("""
        SELECT district_code, date_trunc('month', reported_date)::DATE, count(*), count(*) FILTER (is_resolved),
               round(count(*) FILTER (is_resolved) / count(*), 4)
        FROM disputes GROUP BY ALL""").fetchall()
    gold_cohort = _trino(s, """
        SELECT district_code, date_trunc('month', reported_date), count(*), count_if(is_resolved),
               round(CAST(count_if(is_resolved) AS double) / count(*), 4)
        FROM GOLD.fct_disputes GROUP BY 1, 2""")
    assert sorted(cohort) == sorted(tuple(r) for r in gold_cohort)
    # the theme's flow counts: registered, closed and resolved in the month
    flows = raw.db.execute("""
        WITH e AS (
            SELECT district_code, date_trunc('month', reported_date)::DATE AS m, 1 AS new, 0 AS closed, 0 AS resolved
            FROM disputes
            UNION ALL
            SELECT district_code, date_trunc('month', closed_date)::DATE, 0, 1, CASE WHEN is_resolved THEN 1 ELSE 0 END
            FROM disputes WHERE is_closed)
        SELECT district_code, m, sum(new), sum(closed), sum(resolved) FROM e GROUP BY ALL""").fetchall()
    gold_flows = _trino(s, """
        SELECT node_code, period_start, new_disputes, closed_disputes, resolved_disputes FROM GOLD.theme_disputes
        WHERE hierarchy_level = 'district' AND period = 'month' AND breakdown = 'all'""")
    assert {(a, b): (int(c), int(d), int(e)) for a, b, c, d, e in flows} == \
        {(a, b): (c, d, e) for a, b, c, d, e in gold_flows if (c, d, e) != (0, 0, 0)}
    print(f"disputes (district, month, registered, resolved, rate): {sorted(cohort)}")


# ------------------------------------------------------------------------------------------------
# 3. police incidents per 10,000 residents per district
# ------------------------------------------------------------------------------------------------
def _police_versions(raw):
    """(delivery day, valid typed version) of every incident version the API serves."""
    t = contract_table("police_incidents")
    for line in delivered_lines(raw.out / "police_api" / "incidents.jsonl", "utf-8"):
        rec = json.loads(line)
        upd = dt.datetime.fromisoformat(rec["updated_at"]).astimezone(CST)
        day = (upd - dt.timedelta(microseconds=1)).date()  # range (D 00:00, D+1 00:00] +08:00
        row = {k: (v if k == "persons" or v is None else str(v)) for k, v in rec.items()}
        ok = row_valid(row, t, day, raw.codes)
        if ok is not None:
            yield day, ok


def test_kpi_police_incidents_per_10k_residents_per_district(gold_world, raw, register):
    s = gold_world[0]
    incidents = latest_by_key(_police_versions(raw), "incident_id", "updated_at")
    last_day = max(register)
    people = register[last_day]
    raw.db.execute("CREATE OR REPLACE TABLE incidents (incident_id VARCHAR, district_code VARCHAR, reported_date DATE)")
    raw.db.executemany("INSERT INTO incidents VALUES (?, ?, ?)", [
        (k, r["district_code"], local_date(r["reported_at"])) for k, r in incidents.items()])
    raw.db.execute("CREATE OR REPLACE TABLE residents (person VARCHAR, district_code VARCHAR)")
    raw.db.executemany("INSERT INTO residents VALUES (?, ?)",
                       [(k, raw.district_of(r["community_code"])) for k, r in people.items()])
    counts = raw.db.execute("""
        SELECT i.district_code, date_trunc('month', reported_date)::DATE, count(*), any_value(p.residents)
        FROM incidents i
        LEFT JOIN (SELECT district_code, count(DISTINCT person) AS residents FROM residents GROUP BY 1) p
            USING (district_code)
        WHERE i.district_code IS NOT NULL GROUP BY ALL""").fetchall()
    mine = {(d, m): (n, res, (Decimal(n) * 10000 / Decimal(res)).quantize(Decimal("0.01"), ROUND_HALF_UP))
            for d, m, n, res in counts}
    gold = _trino(s, """
        SELECT node_code, period_start, incidents, residents, incidents_per_10k FROM GOLD.theme_public_order
        WHERE hierarchy_level = 'district' AND period = 'month' AND category_code = 'all'""")
    # the month's residents are taken on its last covered day: the last register snapshot here
    assert mine == {(a, b): (c, d, Decimal(str(e))) for a, b, c, d, e in gold}
    print(f"incidents per 10k (district, month): {sorted(mine.items())}")


# ------------------------------------------------------------------------------------------------
# 4. elderly living alone per community
# ------------------------------------------------------------------------------------------------
def test_kpi_elderly_living_alone_per_community(gold_world, raw, register):
    s = gold_world[0]
    by_month: dict[dt.date, dt.date] = {}
    for d in register:
        by_month[month(d)] = max(d, by_month.get(month(d), d))
    raw.db.execute("CREATE OR REPLACE TABLE snapshot (as_of DATE, person VARCHAR, community_code VARCHAR, "
                   "special_groups VARCHAR)")
    raw.db.executemany("INSERT INTO snapshot VALUES (?, ?, ?, ?)", [
        (as_of, k, r["community_code"], r["special_groups"] or "")
        for as_of in by_month.values() for k, r in register[as_of].items()])
    mine = {(c, m): n for c, m, n in raw.db.execute("""
        SELECT community_code, date_trunc('month', as_of)::DATE,
               count(DISTINCT person) FILTER (special_groups LIKE '%独居老人%')
        FROM snapshot GROUP BY ALL""").fetchall()}
    gold = _trino(s, """
        SELECT community_code, period_start, value, is_suppressed FROM GOLD.community_portrait
        WHERE measure = 'elderly_living_alone' AND age_band = 'all' AND sex = 'all'""")
    assert {(c, m) for c, m, _, _ in gold} == set(mine)
    published = {(c, m): v for c, m, v, sup in gold if not sup}
    suppressed = {(c, m) for c, m, v, sup in gold if sup}
    assert published == {k: n for k, n in mine.items() if n >= 5}
    assert suppressed == {k for k, n in mine.items() if n < 5}
    assert all(v is None for c, m, v, sup in gold if sup)
    total = sum(mine.values())
    assert total > 0
    # a small city's cells are nearly all suppressed: the unsuppressed district totals of the person
    # dimension (people in the register at the last snapshot) carry the same figure
    last = max(register)
    per_district: dict[str, int] = defaultdict(int)
    for r in register[last].values():
        if "独居老人" in (r["special_groups"] or ""):
            per_district[raw.district_of(r["community_code"])] += 1
    gold_districts = _trino(s, """
        SELECT district_code, count(*) FROM GOLD.dim_person
        WHERE is_in_register AND is_elderly_living_alone GROUP BY district_code""")
    assert dict(per_district) == {d: n for d, n in gold_districts}
    assert sum(per_district.values()) == sum(n for (_, m), n in mine.items() if m == month(last))
    print(f"elderly living alone: {total} in {len(mine)} community-months, {len(published)} cells published; "
          f"by district at {last}: {sorted(per_district.items())}")


# ------------------------------------------------------------------------------------------------
# 5. assistance paid after death
# ------------------------------------------------------------------------------------------------
def test_kpi_assistance_paid_after_death(gold_world, raw):
    s = gold_world[0]
    health = contract_table("health_events")
    deaths: dict[str, tuple[dt.date, str]] = {}
    seen_events = set()
    for day, f in file_drops(raw.landing, "health_events"):
        for rec in pq.read_table(f).to_pylist():
            row = {k: (None if v is None else (v.astimezone(CST).strftime("%Y-%m-%dT%H:%M:%S+08:00")
                                              if isinstance(v, dt.datetime) else str(v))) for k, v in rec.items()}
            ok = row_valid(row, health, day, raw.codes)
            if ok is None or ok["event_id"] in seen_events:
                continue
            seen_events.add(ok["event_id"])
            if ok["event_type"] == "死亡登记" and ok["death_date"] is not None:
                prev = deaths.get(ok["id_number"])
                cand = (ok["death_date"], ok["event_id"])
                deaths[ok["id_number"]] = min(prev, cand) if prev else cand
    assistance = contract_table("civil_affairs_assistance")
    payments = {}
    for _, r in csv_rows(raw.landing, "civil_affairs_assistance", assistance, raw.codes):
        payments.setdefault(r["payment_id"], r)
    raw.db.execute("CREATE OR REPLACE TABLE deaths (person VARCHAR, death_date DATE, death_event_id VARCHAR)")
    raw.db.executemany("INSERT INTO deaths VALUES (?, ?, ?)", [(k, d, e) for k, (d, e) in deaths.items()])
    raw.db.execute("CREATE OR REPLACE TABLE payments (payment_id VARCHAR, person VARCHAR, pay_date DATE, "
                   "amount DECIMAL(12, 2))")
    raw.db.executemany("INSERT INTO payments VALUES (?, ?, ?, ?)", [
        (k, r["id_number"], r["pay_date"], r["amount"]) for k, r in payments.items()])
    mine = raw.db.execute("""
        SELECT d.death_event_id, list_sort(list(p.payment_id)), sum(p.amount)
        FROM deaths d JOIN payments p ON p.person = d.person AND p.pay_date > d.death_date
        GROUP BY d.death_event_id""").fetchall()
    gold = _trino(s, """
        SELECT f.source_ids[1], array_sort(array_agg(p.payment_id)), sum(p.amount)
        FROM GOLD.reconciliation_findings f
        CROSS JOIN UNNEST(slice(f.source_ids, 2, cardinality(f.source_ids))) AS u(payment_id)
        JOIN GOLD.fct_assistance_payments p ON p.payment_id = u.payment_id
        WHERE f.finding_type = 'paid_after_death'
        GROUP BY f.source_ids[1]""")
    assert mine, "the generator always makes a recipient who is paid after death"
    assert sorted((e, list(ids), Decimal(a)) for e, ids, a in mine) == \
        sorted((e, list(ids), Decimal(str(a))) for e, ids, a in gold)
    print(f"paid after death: {len(mine)} recipients, {sum(len(x[1]) for x in mine)} payments, "
          f"{sum(Decimal(x[2]) for x in mine)} CNY")
