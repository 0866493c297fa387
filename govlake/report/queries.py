"""Reading the report's figures through Trino: the SQL on the ops and quarantine tables (kept, so the
page can print it), ``TrinoReader`` and ``fetch_department``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from govlake.report.departments import Department
from govlake.report.figures import SAMPLES_PER_FEED, FeedReport, build_feed


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
