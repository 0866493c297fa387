"""The figures of one feed (``build_feed``): per delivery, per day and over the period, the five quality
dimensions (completeness, validity, uniqueness, timeliness, consistency), the headline, the top failing
rules and masked quarantine samples. Pure: rows as plain dicts in, dataclasses out; no services."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from govlake.contracts import RULES, Contract, Table
from govlake.report.masking import MaskedRecord, mask_record, parse_header, scrub

SHANGHAI = ZoneInfo("Asia/Shanghai")
SAMPLES_PER_FEED = 10


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
