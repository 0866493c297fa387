"""Steward quality figures: what the ops tables say about each feed of a department, read through
Trino, plus the masking that keeps personal data out of the report.

Three parts, the first two pure (plain Python data in, plain dataclasses out; no services):

* masking — ``mask_id``, ``mask_mobile``, ``mask_text``, ``scrub``, ``mask_record``;
* figures — ``build_feed``: per delivery, per day and over the period, the five quality dimensions
  (completeness, validity, uniqueness, timeliness, consistency), the headline, the top failing rules
  and masked quarantine samples;
* reading — ``TrinoReader`` and ``fetch_department``: the SQL (kept, so the page can print it).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from govlake.contracts import RULES, Column, Contract, Pii, Table, parse_type

SHANGHAI = ZoneInfo("Asia/Shanghai")
SAMPLES_PER_FEED = 10
REDACTED = "[redacted]"

# ---------------------------------------------------------------------------------------------
# masking
# ---------------------------------------------------------------------------------------------
# \d matches full-width digits too (str patterns are Unicode); bounded by anything but ASCII
# letters and digits, so hex tokens and longer codes (15-digit grid codes) are left alone.
ID_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE_LIKE = re.compile(r"(?<![0-9A-Za-z])(?:\+?86)?1[3-9]\d{9}(?![0-9A-Za-z])")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]{2,}")
_DIGIT_RUN = re.compile(r"(?<![A-Za-z])\d{6,}[\dXx](?![A-Za-z])")


def _keep_ends(v: str, head: int, tail: int) -> str:
    if len(v) <= head + tail:
        return "*" * len(v)
    return v[:head] + "*" * (len(v) - head - tail) + (v[-tail:] if tail else "")


def mask_id(v: str) -> str:
    """Resident ID: first 6 (the area code) and last 1 kept: ``420102***********3``."""
    return _keep_ends(v.strip(), 6, 1)


def mask_mobile(v: str) -> str:
    """Mobile: first 3 and last 4 kept: ``138****5678``."""
    return _keep_ends(v.strip(), 3, 4)


def mask_text(v: str) -> str:
    """A name, an address or another direct identifier: the first character and one ``*``."""
    v = v.strip()
    return f"{v[0]}*" if len(v) > 1 else "*" * len(v)


def scrub(text: str) -> str:
    """Mask anything that looks like a resident ID or a mobile wherever it stands (defence in
    depth for fields the contract does not classify: schema drift, reasons, free text)."""
    text = ID_LIKE.sub(lambda m: mask_id(m.group()), text)
    return MOBILE_LIKE.sub(lambda m: mask_mobile(m.group()), text)


def mask_unmapped(text: str) -> str:
    """Text that cannot be mapped to contract columns (a malformed or cut record): every run of
    Chinese characters keeps its first character, every run of 7+ digits its first 3 and last 1."""
    text = _CJK_RUN.sub(lambda m: mask_text(m.group()), text)
    return _DIGIT_RUN.sub(lambda m: _keep_ends(m.group(), 3, 1), text)


def column_kind(column: Column) -> str | None:
    """How a contract column is masked: id | mobile | text | nested | sensitive | None (shown).
    (A field outside the contract is ``unmapped``: masked as by ``mask_unmapped``.)"""
    if column.pii is Pii.DIRECT:
        if isinstance(parse_type(column.type), tuple):
            return "nested"
        if "resident_id" in column.rules or column.name.endswith("id_number"):
            return "id"
        if "mobile" in column.rules or "mobile" in column.name:
            return "mobile"
        return "text"
    if column.pii is Pii.SENSITIVE:
        return "sensitive"
    return None


def key_kind(key: str) -> str | None:
    """Masking for a field no contract column describes (nested struct fields, added columns)."""
    k = key.lower()
    if any(x in k for x in ("id_number", "idcard", "id_card", "身份证", "证件号")):
        return "id"
    if any(x in k for x in ("mobile", "phone", "电话", "手机")):
        return "mobile"
    if any(x in k for x in ("name", "姓名", "名字", "联系人", "address", "地址", "住址")):
        return "text"
    return None


def mask_value(value: Any, kind: str | None, shown: bool = False) -> Any:
    """Mask one delivered value by its kind; nested lists/objects are masked field by field.
    ``shown``: a sensitive value named by a violation is kept (identifiers are masked anyway)."""
    if value is None or value == "":
        return value
    if isinstance(value, dict):
        return {k: mask_value(v, key_kind(k) or (None if kind in (None, "nested") else kind), shown)
                for k, v in value.items()}
    if isinstance(value, list):
        return [mask_value(v, kind, shown) for v in value]
    if kind == "nested" and isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        try:
            return json.dumps(mask_value(json.loads(value), "nested", shown), ensure_ascii=False)
        except ValueError:
            return mask_unmapped(value)
    if isinstance(value, bool):
        return value
    text = str(value)
    if kind == "id":
        return mask_id(text)
    if kind == "mobile":
        return mask_mobile(text)
    if kind in ("text", "nested"):
        return mask_text(text)
    if kind == "sensitive" and not shown:
        return REDACTED
    if kind == "unmapped":
        return mask_unmapped(scrub(text))
    masked = scrub(text)
    return value if masked == text else masked


@dataclass
class MaskedRecord:
    fields: list[tuple[str, str, bool]] | None  # (delivered field, masked value, named by a violation)
    text: str  # the masked record in its delivered form (CSV line or JSON object)


def mask_record(record: str | None, fmt: str, table: Table | None, header: list[str] | None,
                violated: Iterable[str] = ()) -> MaskedRecord:
    """The delivered record with every direct identifier masked: CSV fields are mapped to contract
    columns by the delivery's header (``column.source``), JSON objects by key; what cannot be
    mapped is masked wholesale (``mask_unmapped``). ``violated``: contract column names a
    violation names (highlighted; a sensitive value there is shown)."""
    if record is None:
        return MaskedRecord(None, "(record not decodable: bytes kept in bronze)")
    by_source = {c.source: c for c in table.columns} if table else {}
    bad = {v.split("[", 1)[0] for v in violated if v}

    def one(name: str, value: Any) -> tuple[Any, bool]:
        col = by_source.get(name)  # a field no contract column describes is masked by its name or wholesale
        kind = column_kind(col) if col else (key_kind(name) or "unmapped")
        hit = bool(col and col.name in bad)
        return mask_value(value, kind, shown=hit), hit

    if fmt == "csv":
        try:
            values = next(csv.reader([record]), [])
        except csv.Error:
            values = None
        if not header or values is None or len(values) != len(header):
            return MaskedRecord(None, mask_unmapped(scrub(record)))
        out = [(h, *one(h, v)) for h, v in zip(header, values, strict=True)]
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow([m for _, m, _ in out])
        return MaskedRecord([(h, str(m), hit) for h, m, hit in out], buf.getvalue())
    try:
        obj = json.loads(record)
    except ValueError:
        obj = None
    if not isinstance(obj, dict):
        return MaskedRecord(None, mask_unmapped(scrub(record)))
    masked = {k: one(k, v) for k, v in obj.items()}
    shown = [(k, _show(m), hit) for k, (m, hit) in masked.items()]
    return MaskedRecord(shown, json.dumps({k: m for k, (m, _) in masked.items()}, ensure_ascii=False))


def _show(v: Any) -> str:
    if v is None:
        return ""
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


def parse_header(fmt: str, raw: str | None, table: Table | None) -> list[str] | None:
    """The delivered header of one table: a CSV header line, or for XLSX a JSON {sheet: [headers]}."""
    if not raw:
        return None
    try:
        if fmt == "csv":
            return next(csv.reader(io.StringIO(raw)), None)
        if fmt == "xlsx" and table is not None:
            return json.loads(raw).get(table.sheet)
    except (csv.Error, ValueError, AttributeError):
        return None
    return None


# ---------------------------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------------------------
def ratio(num: float, den: float) -> float | None:
    return None if not den else num / den


def deadline(delivered_on: dt.date, freshness_hours: float) -> dt.datetime:
    """End of the delivery day in Asia/Shanghai plus the contract's freshness target (aware, UTC)."""
    end = dt.datetime.combine(delivered_on + dt.timedelta(days=1), dt.time(0), tzinfo=SHANGHAI)
    return (end + dt.timedelta(hours=freshness_hours)).astimezone(dt.UTC)


def as_utc(ts: dt.datetime | None) -> dt.datetime | None:
    """Trino returns Delta timestamps zone-aware; naive values are taken as UTC (Spark's storage)."""
    if ts is None:
        return None
    return ts.replace(tzinfo=dt.UTC) if ts.tzinfo is None else ts.astimezone(dt.UTC)


def missing_columns_in_reason(reason: str | None) -> int:
    """How many columns a ``missing required column(s) a, b: …`` rejection names."""
    m = re.search(r"missing required column\(s\) (.+?)(?::|$)", reason or "")
    return len([x for x in m.group(1).split(",") if x.strip()]) if m else 0


def required_count(table: Table) -> int:
    return sum(1 for c in table.columns if "required" in c.rules)


@dataclass
class DeliveryFig:
    feed: str
    delivery_id: str
    source: str
    delivered_on: dt.date
    status: str  # landed | skipped_duplicate | failed
    reason: str | None
    finished_at: dt.datetime | None
    deadline: dt.datetime
    rows_read: int = 0
    silver_status: str | None = None  # processed | rejected | blocked | None (pending)
    silver_reason: str | None = None
    rows_in: int = 0
    accepted: int = 0
    quarantined: int = 0
    duplicate: int = 0
    required_cells: int = 0
    missing_required: int = 0
    gx_evaluated: int = 0
    gx_passed: int = 0

    @property
    def on_time(self) -> bool | None:
        if self.status != "landed" or self.finished_at is None:
            return None
        return self.finished_at <= self.deadline

    @property
    def late_hours(self) -> float | None:
        if self.on_time is not False:
            return None
        return (self.finished_at - self.deadline).total_seconds() / 3600


@dataclass
class Tally:
    """Sums over deliveries (a day or the whole period) and the five dimensions as shares."""

    deliveries: int = 0  # landed or failed (resends are counted apart)
    resends: int = 0  # skipped_duplicate: the same content delivered again
    failed: int = 0
    rejected: int = 0  # silver refused the delivery whole
    pending: int = 0  # landed, not yet processed by silver
    rows_read: int = 0
    rows_in: int = 0
    accepted: int = 0
    quarantined: int = 0
    duplicate: int = 0
    required_cells: int = 0
    missing_required: int = 0
    timed: int = 0
    on_time: int = 0
    gx_evaluated: int = 0
    gx_passed: int = 0

    def add(self, d: DeliveryFig) -> None:
        if d.status == "skipped_duplicate":
            self.resends += 1
            return
        self.deliveries += 1
        self.failed += d.status == "failed"
        self.rows_read += d.rows_read
        if d.status == "landed":
            self.pending += d.silver_status is None
            self.rejected += d.silver_status == "rejected"
        for k in ("rows_in", "accepted", "quarantined", "duplicate", "required_cells", "missing_required",
                  "gx_evaluated", "gx_passed"):
            setattr(self, k, getattr(self, k) + getattr(d, k))
        if d.on_time is not None:
            self.timed += 1
            self.on_time += d.on_time

    @property
    def late(self) -> int:
        return self.timed - self.on_time

    @property
    def accepted_share(self) -> float | None:
        return ratio(self.accepted, self.rows_in)

    @property
    def completeness(self) -> float | None:
        r = ratio(self.missing_required, self.required_cells)
        return None if r is None else 1 - r

    @property
    def validity(self) -> float | None:
        r = ratio(self.quarantined, self.rows_in)
        return None if r is None else 1 - r

    @property
    def uniqueness(self) -> float | None:
        r = ratio(self.duplicate, self.rows_in)
        return None if r is None else 1 - r

    @property
    def timeliness(self) -> float | None:
        return ratio(self.on_time, self.timed)

    @property
    def consistency(self) -> float | None:
        return ratio(self.gx_passed, self.gx_evaluated)

    def dimensions(self) -> dict[str, float | None]:
        return {d: getattr(self, d) for d in DIMENSIONS}


DIMENSIONS = ("completeness", "validity", "uniqueness", "timeliness", "consistency")
DIMENSION_TEXT = {
    "completeness": "required values present: 1 − missing required values ÷ (rows in × required columns)",
    "validity": "1 − rows quarantined ÷ rows in",
    "uniqueness": "1 − duplicate rows ÷ rows in (repeated keys, and versions silver already holds as new or newer)",
    "timeliness": "deliveries landed by the end of their delivery day (Asia/Shanghai) + the contract's "
                  "freshness hours",
    "consistency": "GX expectations passed ÷ evaluated (ops.quality_results)",
}


# quarantine reasons that are not contract rules
EXTRA_RULES = {"quality_gate": ("block", "the GX quality gate failed on the rows the rules accepted: the delivery "
                                         "was blocked and its rows quarantined")}


@dataclass
class RuleCount:
    table: str
    rule: str
    column: str | None
    severity: str
    description: str
    rows: int  # quarantined rows with this violation
    first: int  # rows quarantined with it as their first violation
    deliveries: int


@dataclass
class GxFailure:
    table: str
    expectation: str
    column: str | None
    rule: str | None
    failed: int  # deliveries where it failed
    evaluated: int
    unexpected: int
    blocking: bool


@dataclass
class Sample:
    delivered_on: dt.date | None
    source_file: str
    line: int | None
    table: str
    rule: str
    column: str | None
    reason: str
    violations: list[tuple[str, str | None, str]]  # (rule, column, reason)
    record: MaskedRecord


@dataclass
class Headline:
    deliveries: int
    resends: int
    rejected: int
    pending: int
    failed: int
    rows_in: int
    accepted_share: float | None
    valid_share: float | None
    quarantined: int
    top_rule: RuleCount | None
    late: int
    timed: int


@dataclass
class FeedReport:
    contract: Contract
    deliveries: list[DeliveryFig]
    days: list[tuple[dt.date, Tally]]
    total: Tally
    rules: list[RuleCount]
    gx_failures: list[GxFailure]
    samples: list[Sample]
    notes: list[str] = field(default_factory=list)

    @property
    def feed(self) -> str:
        return self.contract.feed

    @property
    def headline(self) -> Headline:
        t = self.total
        return Headline(t.deliveries, t.resends, t.rejected, t.pending, t.failed,
                        t.rows_in, t.accepted_share, t.validity, t.quarantined, self.rules[0] if self.rules else None,
                        t.late, t.timed)

    @property
    def share(self) -> tuple[str, float | None]:
        """The headline share: rows accepted (a full snapshot's unchanged rows are accepted too:
        silver keeps them as the open SCD2 version)."""
        return ("accepted", self.headline.accepted_share)


def _int(v: Any) -> int:
    return int(v or 0)


def build_feed(c: Contract, *, deliveries: list[dict], accounting: list[dict] = (), violations: list[dict] = (),
               quality: list[dict] = (), samples: list[dict] = (), since: dt.date | None = None,
               until: dt.date | None = None, notes: Iterable[str] = ()) -> FeedReport:
    """Every figure of one feed from rows of ops.deliveries, ops.silver_accounting, the violation
    counts of quarantine.<feed> (delivery_id, table_name, rule, column_name, rows_violating,
    rows_first), ops.quality_results and sample quarantine rows (all dicts keyed by column)."""
    tables = {t.name: t for t in c.tables}
    acc_by: dict[str, list[dict]] = defaultdict(list)
    for a in accounting:
        acc_by[a["delivery_id"]].append(a)
    missing_by: dict[str, int] = defaultdict(int)
    for v in violations:
        if v["rule"] == "required":
            missing_by[v["delivery_id"]] += _int(v["rows_violating"])
    gx_by: dict[str, list[dict]] = defaultdict(list)
    for q in quality:
        gx_by[q["delivery_id"]].append(q)

    figs: list[DeliveryFig] = []
    landed: dict[str, DeliveryFig] = {}
    for r in deliveries:
        d = DeliveryFig(feed=c.feed, delivery_id=r["delivery_id"], source=r["source"], delivered_on=r["delivered_on"],
                        status=r["status"], reason=r.get("reason"), finished_at=as_utc(r.get("finished_at")),
                        deadline=deadline(r["delivered_on"], c.freshness_hours), rows_read=_int(r.get("rows_read")))
        figs.append(d)
        if d.status != "landed":
            continue
        landed[d.delivery_id] = d
        accs = acc_by.get(d.delivery_id, [])
        if accs:
            statuses = {a["status"] for a in accs}
            d.silver_status = next((s for s in ("rejected", "blocked", "processed", "replayed") if s in statuses),
                                   accs[0]["status"])
            d.silver_reason = "; ".join(sorted({a["reason"] for a in accs if a.get("reason")})) or None
            for a in accs:
                n = _int(a["rows_in"])
                d.rows_in += n
                d.accepted += _int(a["rows_accepted"])
                d.quarantined += _int(a["rows_quarantined"])
                d.duplicate += _int(a["rows_duplicate"])
                t = tables.get(a["table_name"])
                if t is not None:
                    d.required_cells += n * required_count(t)
                    if a["status"] == "rejected":
                        d.missing_required += n * min(missing_columns_in_reason(a.get("reason")), required_count(t))
        elif r.get("silver_status"):  # summed over tables by the writer of ops.deliveries
            d.silver_status, d.silver_reason = r["silver_status"], r.get("silver_reason")
            d.accepted, d.quarantined, d.duplicate = (_int(r.get(k)) for k in
                                                      ("rows_accepted", "rows_quarantined", "rows_duplicate"))
            d.rows_in = d.accepted + d.quarantined + d.duplicate
            if len(c.tables) == 1:
                d.required_cells = d.rows_in * required_count(c.tables[0])
        d.missing_required = min(d.missing_required + missing_by.get(d.delivery_id, 0), d.required_cells)
        gx = gx_by.get(d.delivery_id, [])
        d.gx_evaluated = len(gx)
        d.gx_passed = sum(1 for q in gx if q.get("success"))
    figs.sort(key=lambda d: (d.delivered_on, d.finished_at or dt.datetime.min.replace(tzinfo=dt.UTC), d.source))

    by_day: dict[dt.date, Tally] = {}
    total = Tally()
    for d in figs:
        by_day.setdefault(d.delivered_on, Tally()).add(d)
        total.add(d)
    first = since or (figs[0].delivered_on if figs else None)
    last = until or (figs[-1].delivered_on if figs else None)
    days: list[tuple[dt.date, Tally]] = []
    if first and last:
        day = first
        while day <= last:
            days.append((day, by_day.get(day, Tally())))
            day += dt.timedelta(days=1)

    return FeedReport(contract=c, deliveries=figs, days=days, total=total,
                      rules=top_rules(c, violations, landed), gx_failures=gx_failures(quality, landed),
                      samples=[masked_sample(c, s, landed) for s in samples[:SAMPLES_PER_FEED]], notes=list(notes))


def top_rules(c: Contract, violations: Iterable[dict], landed: dict[str, DeliveryFig], n: int = 10) -> list[RuleCount]:
    agg: dict[tuple, list] = {}
    for v in violations:
        if v["delivery_id"] not in landed:
            continue
        key = (v["table_name"], v["rule"], v.get("column_name"))
        a = agg.setdefault(key, [0, 0, set()])
        a[0] += _int(v["rows_violating"])
        a[1] += _int(v.get("rows_first"))
        a[2].add(v["delivery_id"])
    out = []
    for (table, rule, column), (rows, first, ids) in agg.items():
        sev, text = (c.severity(rule).value, RULES[rule][1]) if rule in RULES else EXTRA_RULES.get(rule, ("?", ""))
        out.append(RuleCount(table, rule, column, sev, text, rows, first, len(ids)))
    out.sort(key=lambda r: (-r.rows, r.rule, r.column or ""))
    return out[:n]


def gx_failures(quality: Iterable[dict], landed: dict[str, DeliveryFig], n: int = 10) -> list[GxFailure]:
    agg: dict[tuple, GxFailure] = {}
    for q in quality:
        if q["delivery_id"] not in landed:
            continue
        key = (q["table_name"], q["expectation"], q.get("column_name"), q.get("rule"))
        g = agg.setdefault(key, GxFailure(*key, failed=0, evaluated=0, unexpected=0, blocking=False))
        g.evaluated += 1
        if not q.get("success"):
            g.failed += 1
            g.unexpected += _int(q.get("unexpected_count"))
            g.blocking = g.blocking or bool(q.get("blocking"))
    out = sorted((g for g in agg.values() if g.failed), key=lambda g: (-g.failed, -g.unexpected, g.expectation))
    return out[:n]


def masked_sample(c: Contract, s: dict, landed: dict[str, DeliveryFig]) -> Sample:
    table = next((t for t in c.tables if t.name == s.get("table_name")), c.tables[0] if len(c.tables) == 1 else None)
    d = landed.get(s["delivery_id"])
    header = parse_header(c.delivery.format, s.get("header"), table)
    try:
        raw = json.loads(s.get("violations") or "[]")
    except ValueError:
        raw = []
    vs = [(str(v.get("rule")), v.get("column"), scrub(str(v.get("reason") or ""))) for v in raw if isinstance(v, dict)]
    named = [v[1] for v in vs if v[1]] + ([s["column_name"]] if s.get("column_name") else [])
    return Sample(delivered_on=d.delivered_on if d else None, source_file=scrub(s.get("source_file") or ""),
                  line=s.get("line"), table=s.get("table_name") or "", rule=s.get("rule") or "",
                  column=s.get("column_name"), reason=scrub(s.get("reason") or ""), violations=vs,
                  record=mask_record(s.get("record"), c.delivery.format, table, header, named))


# ---------------------------------------------------------------------------------------------
# departments
# ---------------------------------------------------------------------------------------------
@dataclass
class Department:
    zh: str
    en: str
    contracts: list[Contract]

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.en.lower()).strip("-") or self.contracts[0].feed

    @property
    def feeds(self) -> list[str]:
        return [c.feed for c in self.contracts]


def departments(contracts: Iterable[Contract]) -> list[Department]:
    out: dict[str, Department] = {}
    for c in sorted(contracts, key=lambda c: c.feed):
        out.setdefault(c.department.zh, Department(c.department.zh, c.department.en, [])).contracts.append(c)
    return sorted(out.values(), key=lambda d: d.en.lower())


def select_departments(all_depts: list[Department], query: str | None) -> list[Department]:
    """``query``: a department's Chinese or English name, or one of its feeds; exact match first,
    then a case-insensitive part of a name. Raises ValueError when nothing matches."""
    if not query:
        return all_depts
    q = query.strip().lower()
    exact = [d for d in all_depts if q in (d.zh.lower(), d.en.lower()) or q in d.feeds]
    if exact:
        return exact
    part = [d for d in all_depts if q in d.zh.lower() or q in d.en.lower()]
    if part:
        return part
    known = "; ".join(f"{d.zh} / {d.en} ({', '.join(d.feeds)})" for d in all_depts)
    raise ValueError(f"no department or feed matches {query!r} — known: {known}")


# ---------------------------------------------------------------------------------------------
# reading through Trino
# ---------------------------------------------------------------------------------------------
@dataclass
class Query:
    purpose: str
    sql: str


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _in(values: Iterable[str]) -> str:
    return "(" + ", ".join(_lit(v) for v in values) + ")"


@dataclass
class Tables:
    """Fully qualified names (catalog.schema.table) of what the report reads."""

    catalog: str
    ops: str
    quarantine: str

    def ops_table(self, name: str) -> str:
        return f"{self.catalog}.{self.ops}.{name}"

    def quarantine_table(self, feed: str) -> str:
        return f"{self.catalog}.{self.quarantine}.{feed}"


def sql_existing(t: Tables) -> str:
    return (f"SELECT table_schema, table_name FROM {t.catalog}.information_schema.tables "
            f"WHERE table_schema IN {_in([t.ops, t.quarantine])}")


def _window(feeds: list[str], since: dt.date, until: dt.date | None) -> str:
    out = f"feed IN {_in(feeds)} AND delivered_on >= DATE '{since.isoformat()}'"
    return out + (f" AND delivered_on <= DATE '{until.isoformat()}'" if until else "")


def _landed_ids(t: Tables, feeds: list[str], since: dt.date, until: dt.date | None) -> str:
    return (f"SELECT delivery_id FROM {t.ops_table('deliveries')} "
            f"WHERE {_window(feeds, since, until)} AND status = 'landed'")


def _of_landed(t: Tables, table: str, alias: str, feeds: list[str], since: dt.date, until: dt.date | None) -> str:
    """The FROM … WHERE tail (closing the subquery) of an ops table's rows of the landed deliveries."""
    return (f"      FROM {t.ops_table(table)} {alias}\n"
            f"      WHERE feed IN {_in(feeds)}\n"
            f"        AND delivery_id IN ({_landed_ids(t, feeds, since, until)}))\n")


def sql_deliveries(t: Tables, feeds: list[str], since: dt.date, until: dt.date | None = None) -> str:
    return ("SELECT feed, delivery_id, source, bytes, rows_read, status, reason, header, delivered_on, started_at,\n"
            "       finished_at, rows_accepted, rows_quarantined, rows_duplicate, silver_status, silver_reason\n"
            f"FROM {t.ops_table('deliveries')}\nWHERE {_window(feeds, since, until)}\n"
            "ORDER BY feed, delivered_on, source")


def sql_accounting(t: Tables, feeds: list[str], since: dt.date, until: dt.date | None = None) -> str:
    """The latest accounting of each delivery and silver table (a replay adds a newer row)."""
    return ("SELECT feed, table_name, delivery_id, rows_in, rows_accepted, rows_quarantined, rows_duplicate,\n"
            "       status, reason\n"
            "FROM (SELECT a.*, row_number() OVER (PARTITION BY delivery_id, table_name ORDER BY processed_at DESC)"
            " AS rn\n"
            f"{_of_landed(t, 'silver_accounting', 'a', feeds, since, until)}"
            "WHERE rn = 1")


def sql_quality(t: Tables, feeds: list[str], since: dt.date, until: dt.date | None = None) -> str:
    """The latest GX validation of each delivery and silver table, one row per expectation."""
    return ("SELECT feed, table_name, delivery_id, suite, expectation, column_name, rule, severity, success,\n"
            "       observed_value, element_count, unexpected_count, unexpected_percent, blocking, validated_at\n"
            "FROM (SELECT r.*, max(validated_at) OVER (PARTITION BY delivery_id, table_name) AS latest\n"
            f"{_of_landed(t, 'quality_results', 'r', feeds, since, until)}"
            "WHERE validated_at = latest")


def sql_violations(t: Tables, feed: str, since: dt.date, until: dt.date | None = None) -> str:
    """Per delivery, table, rule and column: quarantined rows with that violation (every violation
    of the row counts) and rows for which it is the first one (these sum to rows quarantined)."""
    return ("SELECT q.delivery_id, q.table_name, coalesce(v.rule, q.rule) AS rule,\n"
            "       coalesce(v.col, q.column_name) AS column_name,\n"
            "       count(*) AS rows_violating, count_if(coalesce(v.n, 1) = 1) AS rows_first\n"
            f"FROM {t.quarantine_table(feed)} q\n"
            "LEFT JOIN UNNEST(CAST(json_parse(q.violations) AS\n"
            "    array(row(rule varchar, \"column\" varchar, severity varchar, reason varchar))))\n"
            "    WITH ORDINALITY AS v(rule, col, severity, reason, n) ON true\n"
            f"WHERE q.delivery_id IN ({_landed_ids(t, [feed], since, until)})\n"
            "GROUP BY 1, 2, 3, 4")


def sql_samples(t: Tables, feed: str, since: dt.date, until: dt.date | None = None,
                limit: int = SAMPLES_PER_FEED) -> str:
    """A few quarantined rows, taken in turn from each rule (newest first)."""
    return ("SELECT delivery_id, source_file, line, table_name, rule, column_name, reason, violations, record\n"
            "FROM (SELECT q.*, row_number() OVER (PARTITION BY rule ORDER BY quarantined_at DESC, source_file, line)"
            " AS rn\n"
            f"      FROM {t.quarantine_table(feed)} q\n"
            f"      WHERE q.delivery_id IN ({_landed_ids(t, [feed], since, until)}))\n"
            f"ORDER BY rn, rule\nLIMIT {int(limit)}")


def sql_last_day(t: Tables, feeds: list[str]) -> str:
    return f"SELECT max(delivered_on) FROM {t.ops_table('deliveries')} WHERE feed IN {_in(feeds)}"


Runner = Callable[[str], list[dict]]


class TrinoReader:
    """Runs SQL on Trino (one connection) and returns rows as dicts."""

    def __init__(self, settings) -> None:
        from govlake import trino_client

        self._conn = trino_client.connect(settings)

    def __call__(self, sql: str) -> list[dict]:
        cur = self._conn.cursor()
        cur.execute(sql)
        rows = cur.fetchall()
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in rows]

    def close(self) -> None:
        self._conn.close()


@dataclass
class DepartmentReport:
    department: Department
    since: dt.date
    until: dt.date | None
    feeds: list[FeedReport]
    queries: list[Query]
    quality_rows: list[dict]  # ops.quality_results rows (for GX Data Docs)
    notes: list[str] = field(default_factory=list)


def existing_tables(run: Runner, t: Tables) -> set[str]:
    return {f"{r['table_schema']}.{r['table_name']}" for r in run(sql_existing(t))}


def fetch_department(run: Runner, t: Tables, dept: Department, since: dt.date, until: dt.date | None,
                     existing: set[str]) -> DepartmentReport:
    """Read one department's figures (each query kept for the page footer)."""
    queries: list[Query] = []
    notes: list[str] = []

    def q(purpose: str, sql: str) -> list[dict]:
        queries.append(Query(purpose, sql))
        return run(sql)

    feeds = dept.feeds

    def have(schema: str, name: str) -> bool:
        return f"{schema}.{name}" in existing

    deliveries = accounting = quality = []
    if have(t.ops, "deliveries"):
        deliveries = q("deliveries in the period (ops.deliveries)", sql_deliveries(t, feeds, since, until))
    else:
        notes.append(f"{t.ops_table('deliveries')} does not exist yet: nothing has been delivered")
    if deliveries and have(t.ops, "silver_accounting"):
        accounting = q("rows in / accepted / quarantined / duplicate per delivery and silver table "
                       "(ops.silver_accounting)", sql_accounting(t, feeds, since, until))
    if deliveries and have(t.ops, "quality_results"):
        quality = q("GX expectation results per delivery (ops.quality_results)", sql_quality(t, feeds, since, until))
    elif deliveries:
        notes.append(f"{t.ops_table('quality_results')} does not exist yet: consistency (GX) is not measured")
    headers = {r["delivery_id"]: r.get("header") for r in deliveries if r["status"] == "landed"}
    reports = []
    for c in dept.contracts:
        rows = [r for r in deliveries if r["feed"] == c.feed]
        violations = samples = []
        if rows and have(t.quarantine, c.feed):
            violations = q(f"{c.feed}: quarantined rows per delivery, rule and column (quarantine.{c.feed})",
                           sql_violations(t, c.feed, since, until))
            if violations:
                samples = q(f"{c.feed}: sample quarantined rows (masked before they reach the page)",
                            sql_samples(t, c.feed, since, until))
                for s in samples:
                    s["header"] = headers.get(s["delivery_id"])
        reports.append(build_feed(c, deliveries=rows, accounting=[a for a in accounting if a["feed"] == c.feed],
                                  violations=violations, quality=[x for x in quality if x["feed"] == c.feed],
                                  samples=samples, since=since, until=until))
    return DepartmentReport(dept, since, until, reports, queries, quality, notes)
