"""Reports for department data stewards (``govlake report …``).

``write_quality_reports``: read the ops and quarantine tables through Trino (``queries``), compute
each feed's figures (``figures``, with personal data masked by ``masking``) per department
(``departments``), write one self-contained HTML page per department and an index (``html``), and
optionally GX Data Docs rebuilt from ``ops.quality_results`` (``gx_docs``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

GX_DOCS_LIMIT = 200  # most recent validations rebuilt as Data Docs pages


@dataclass
class Written:
    files: list[Path]
    reports: list  # DepartmentReport
    docs_index: Path | None
    docs_note: str


def write_quality_reports(settings, out: Path, department: str | None = None, since: dt.date | None = None,
                          until: dt.date | None = None, gx_docs: bool = True,
                          echo: Callable[[str], None] = print) -> Written:
    """Raises ValueError for an unknown department; Trino errors pass through."""
    from govlake.contracts import all_contracts
    from govlake.report.departments import departments, select_departments
    from govlake.report.html import DocsLink, write_site
    from govlake.report.queries import Tables, TrinoReader, existing_tables, fetch_department, sql_last_day

    chosen = select_departments(departments(all_contracts().values()), department)
    t = Tables(settings.trino.catalog, settings.schema("ops"), settings.schema("quarantine"))
    run = TrinoReader(settings)
    try:
        existing = existing_tables(run, t)
        if since is None or until is None:
            last = None
            if f"{t.ops}.deliveries" in existing:
                rows = run(sql_last_day(t, [f for d in chosen for f in d.feeds]))
                last = next(iter(rows[0].values())) if rows else None
            until = until or last
            since = since or ((until or dt.date.today()) - dt.timedelta(days=29))
        reports = []
        for d in chosen:
            r = fetch_department(run, t, d, since, until, existing)
            reports.append(r)
            echo(f"{d.zh} ({d.en}): " + ", ".join(
                f"{f.feed} {f.total.deliveries} deliveries / {f.total.rows_in:,} rows in" for f in r.feeds))
    finally:
        run.close()

    docs, note, docs_index = None, "", None
    rows = [q for r in reports for q in r.quality_rows]
    if not gx_docs:
        note = "Not built (--no-gx-docs)."
    elif not rows:
        note = f"Not built: {t.ops_table('quality_results')} holds no GX results for the period."
    else:
        from govlake.report.gx_docs import DOCS_DIR, build_data_docs, results_from_quality_rows

        results = results_from_quality_rows(rows)
        results.sort(key=lambda x: x["meta"]["run_id"]["run_time"], reverse=True)
        kept = results[:GX_DOCS_LIMIT]
        built = build_data_docs(kept, out / DOCS_DIR)
        docs_index = built.index
        more = f"The {GX_DOCS_LIMIT} most recent of {len(results)}. " if len(results) > len(kept) else ""
        docs = DocsLink(index=built.index.relative_to(out.resolve()).as_posix(),
                        pages=[(s, b, p.relative_to(out.resolve()).as_posix()) for s, b, p in built.pages],
                        note=f"{more}Data Docs load their styles from public CDNs; offline, use the "
                             "direct links below (the GX index table needs JavaScript from a CDN).")
        echo(f"GX Data Docs: {len(built.pages)} validation page(s) in {built.index.parent}")
    generated = dt.datetime.now(dt.UTC)
    files = write_site(reports, out, generated, settings.trino.catalog, docs, note)
    return Written(files, reports, docs_index, note)
