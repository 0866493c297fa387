"""The `govlake` command line."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from govlake.errors import GovlakeError
from govlake.settings import load_settings

_wide = None if sys.stdout.isatty() else 160
console = Console(highlight=False, soft_wrap=True, width=_wide)
err = Console(stderr=True, highlight=False, soft_wrap=True, width=_wide)


def user_error(e: BaseException) -> bool:
    """Errors a user acts on: ours, bad values, files and connections, and Trino's answers."""
    return isinstance(e, GovlakeError | ValueError | OSError) or type(e).__module__.startswith("trino.")


class CommandGroup(TyperGroup):
    """Every command's user errors end here, printed as one line (exit 1); bugs keep their traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except Exception as e:
            if not user_error(e):
                raise
            msg = getattr(e, "message", None) or str(e) or type(e).__name__
            err.print(f"[bold red]error:[/] {msg}")
            raise typer.Exit(1) from None


def _fail(message: str) -> None:
    raise GovlakeError(message)


app = typer.Typer(cls=CommandGroup, add_completion=False, no_args_is_help=True,
                  help="govlake: city-governance lakehouse")


@app.command()
def setup(verify: bool = typer.Option(False, help="re-hash every cached artifact")) -> None:
    """Install and verify what the platform needs (idempotent; a warm run fetches nothing)."""
    from govlake.setup import run_setup

    run_setup(load_settings(), console.print, verify=verify)


@app.command()
def up() -> None:
    """Start PostgreSQL, the Hive Metastore, Trino, the Spark Connect server and Airflow on loopback;
    create the warehouse schemas."""
    from govlake import platform

    s = load_settings()
    secs = platform.up(s, console.print)
    airflow = f", Airflow {s.airflow.host}:{s.airflow.port} (logins: govlake info)" if s.airflow.start else ""
    console.print(f"platform up in {secs:.1f}s — Trino {s.trino.url} (catalog {s.trino.catalog}), "
                  f"metastore {s.metastore.uri}{airflow}, logs {s.log_dir}")


@app.command()
def down() -> None:
    """Stop exactly the processes `up` started."""
    from govlake import platform

    platform.down(load_settings(), console.print)


@app.command()
def status() -> None:
    """List each service with port, pid, health and memory; exit 1 when one is not healthy."""
    from govlake import platform

    rows = platform.status(load_settings())
    t = Table("service", "address", "pid", "health", "rss MiB", "detail")
    for r in rows:
        t.add_row(
            r.name, f"{r.host}:{r.port}" if r.port else "(no port)", str(r.pid or "-"),
            "[green]healthy[/]" if r.healthy else "[red]down[/]",
            f"{r.rss_mb:.0f}" if r.rss_mb else "-", r.detail,
        )
    console.print(t)
    if not all(r.healthy for r in rows):
        raise typer.Exit(1)


@app.command()
def smoke() -> None:
    """Spark writes a Delta table (append, MERGE, delete); Trino reads it; counts and checksums match."""
    from govlake.platform.smoke import run_smoke

    result = run_smoke(load_settings())
    print(result.line)
    if not result.ok:
        for problem in result.problems:
            err.print(f"smoke: {problem}")
        raise typer.Exit(1)


@app.command()
def info() -> None:
    """Where to look: URLs, ports, clients, state and logs (all from settings)."""
    from govlake.artifacts import ArtifactCache, load_manifest

    s = load_settings()
    cache = ArtifactCache(s.cache_dir, s.maven.repository)
    jars = {a.name: cache.path(a) for a in load_manifest(s.root / "infra" / "artifacts.yaml")}
    t = s.trino
    console.print(f"Trino web UI   {t.url}/ui/  (user {t.user})")
    from govlake.java import trino_jdk

    java = trino_jdk(s.java).java
    console.print(f"Trino CLI      {java} --enable-native-access=ALL-UNNAMED -jar {jars['trino-cli']} "
                  f"--server {t.host}:{t.port} --catalog {t.catalog} --user {t.user}")
    console.print(f"JDBC           jdbc:trino://{t.host}:{t.port}/{t.catalog}  driver {jars['trino-jdbc']}")
    console.print(f"Python         trino.dbapi.connect(host='{t.host}', port={t.port}, user='{t.user}', "
                  f"catalog='{t.catalog}')")
    console.print(f"Theme library  {t.catalog}.{s.schema('gold')}.*  — govlake sql \"select …\", govlake docs "
                  "(dbt docs site), govlake findings list (steward findings)")
    console.print(f"Metastore      {s.metastore.uri}")
    if s.airflow.start:
        from govlake.platform.airflow import api_url, passwords

        logins = ", ".join(f"{u} / {p}" for u, p in passwords(s).items())
        console.print(f"Airflow UI     {api_url(s)}/  logins {logins} (admin, read-only viewer)")
    if s.spark_connect.start:
        console.print(f"Spark Connect  {s.spark_connect.url}  (Airflow tasks reach Spark here; "
                      "SparkSession.builder.remote(…))")
    console.print(f"PostgreSQL     {s.postgres.host}:{s.postgres.port} (user {s.postgres.superuser}, "
                  f"password in {s.secrets_dir / 'postgres_password'})")
    console.print(f"Warehouse      {s.warehouse_uri}  schemas: {', '.join(s.warehouse.schemas)}")
    console.print(f"State / logs   {s.state_dir}  /  {s.log_dir}")
    console.print(f"Steward pages  {s.state_dir / 'reports' / 'quality'}/  (refreshed by each ingest DAG; "
                  "govlake report quality rebuilds them with GX Data Docs)")
    console.print("dbt docs       govlake docs   (the theme library's models, lineage and tests on http://127.0.0.1:8580)")
    console.print("Stop           make down   (reset everything: make reset)")


def _summary_table(summaries) -> Table:
    t = Table(title="ingestion summary (rows in = accepted + quarantined + duplicate)")
    for col in ("feed", "mode", "deliveries", "skipped", "rows read", "accepted", "quarantined", "duplicate",
                "rejected/blocked", "bronze s", "silver s"):
        t.add_column(col, justify="left" if col in ("feed", "mode") else "right")
    for s in summaries:
        t.add_row(s.feed, s.mode, str(s.deliveries), str(s.skipped), f"{s.rows_read:,}", f"{s.accepted:,}",
                  f"{s.quarantined:,}", f"{s.duplicate:,}", f"{s.rejected}/{s.blocked}", f"{s.bronze_s:.1f}",
                  f"{s.silver_s:.1f}")
    return t


@app.command()
def run(
    landing: Path = typer.Option(None, help="landing zone of the file drops (default: the generated one)"),
    start: str = typer.Option(..., help="first delivery day, YYYY-MM-DD"),
    days: int = typer.Option(1, help="number of days"),
    feed: list[str] = typer.Option(None, help="only these feeds (repeatable); default all"),
    through: str = typer.Option("silver", help="last layer to build: silver, or gold (then dbt build)"),
) -> None:
    """Ingest every feed for those days into bronze and silver (and gold with --through gold)."""
    import datetime as dt

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from govlake.pipeline import run as run_pipeline

    s = load_settings()
    if through not in ("silver", "gold"):
        _fail(f"--through {through!r}: expected silver or gold")
    try:
        first = dt.date.fromisoformat(start)
    except ValueError:
        _fail(f"--start {start!r} is not a date (YYYY-MM-DD)")
    landing = (landing or s.feeds_out_dir / "landing").resolve()
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=not console.is_terminal) as progress:
        summaries = run_pipeline(s, landing, first, days, feed or None, echo=console.print, progress=progress,
                                 through=through)
    console.print(_summary_table(summaries))
    for sm in summaries:
        for note in sm.notes[:3]:
            console.print(f"  {sm.feed}: {note}")


@app.command()
def replay(
    delivery: str = typer.Option(None, help="re-process this landed delivery id into silver"),
    file: Path = typer.Option(None, help="a corrected file to deliver again (file-drop feeds)"),
    feed: str = typer.Option(None, help="the feed of --file"),
    date: str = typer.Option(None, help="the delivery day of --file, YYYY-MM-DD"),
    landing: Path = typer.Option(None, help="landing zone (default: the generated one)"),
) -> None:
    """Replay into silver: an existing delivery again, or a corrected re-delivery (accounted like any)."""
    import datetime as dt

    from govlake import pipeline

    s = load_settings()
    if delivery:
        for a in pipeline.replay_delivery(s, delivery, echo=console.print):
            console.print(f"{a.table}: {a.status}")
    elif file and feed and date:
        landing = (landing or s.feeds_out_dir / "landing").resolve()
        day = dt.date.fromisoformat(date)
        target = pipeline.redeliver(s, feed, file, day, landing)
        console.print(f"re-delivered as {target}")
        summaries = pipeline.run(s, landing, day, 1, [feed], echo=console.print)
        console.print(_summary_table(summaries))
    else:
        _fail("give --delivery ID, or --file F --feed FEED --date YYYY-MM-DD")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def dbt(ctx: typer.Context) -> None:
    """Run dbt on the theme library with the platform's settings: `govlake dbt build`, `govlake dbt test -s x`."""
    from govlake.dbt import run_dbt

    s = load_settings()
    res = run_dbt(s, list(ctx.args))
    if not res.ok:
        for f in res.failures():
            console.print(f"[red]{f['status']}[/] {f['resource_type']} {f['name']}: {f['message']}")
        raise typer.Exit(1)


@app.command()
def sql(
    statement: str = typer.Argument(..., help="a SQL query for Trino, e.g. \"select * from governance_kpis\""),
    title: str = typer.Option(None, help="a heading printed above the result"),
    limit: int = typer.Option(50, help="print at most this many rows"),
) -> None:
    """Run one query through Trino (catalog lakehouse, schema gold) and print the result as a table."""
    _query_table(statement, title, limit)


def _query_table(statement: str, title: str | None, limit: int) -> None:
    """`govlake sql` and `govlake ask`: run one query through Trino (schema gold), print a table and a tally."""
    import time

    import trino

    from govlake.trino_client import connect

    s = load_settings()
    t0 = time.perf_counter()
    try:
        conn = connect(s, schema=s.schema("gold"))
        cur = conn.cursor()
        cur.execute(statement)
        rows = cur.fetchmany(limit + 1)
        names = [d[0] for d in cur.description or []]
        conn.close()
    except (trino.exceptions.TrinoUserError, trino.exceptions.TrinoQueryError) as e:
        _fail(f"Trino refused the query: {getattr(e, 'message', e)}")
    except OSError as e:
        _fail(f"Trino at {s.trino.url} is not reachable ({e}); run `make up`")
    table = Table(title=title)
    for n in names:
        table.add_column(n)
    for r in rows[:limit]:
        table.add_row(*["" if v is None else str(v) for v in r])
    console.print(table)
    more = " (more rows not shown)" if len(rows) > limit else ""
    secs = time.perf_counter() - t0
    console.print(f"{min(len(rows), limit)} row(s){more} in {secs:.2f}s through Trino {s.trino.url}")


@app.command()
def ask(
    question_id: str = typer.Argument(None, metavar="ID", help="a question id; without it, list the questions"),
    limit: int = typer.Option(50, help="print at most this many rows"),
    show_sql: bool = typer.Option(False, "--sql", help="print the question's SQL instead of running it"),
) -> None:
    """The analyst questions (dbt_project/analyses): list them, or run one through Trino like `govlake sql`."""
    from govlake import analyst_questions

    s = load_settings()
    questions = analyst_questions.load(settings=s)
    if question_id is None:
        t = Table("#", "id", "title")
        for q in questions:
            t.add_row(str(q.number or ""), q.id, q.title)
        console.print(t)
        console.print(f"{len(questions)} question(s) in {analyst_questions.analyses_dir(s)}; "
                      "run one with `govlake ask ID`, see its SQL with `govlake ask ID --sql`")
        return
    q = analyst_questions.find(question_id, questions)
    sql = q.for_schema(s.trino.catalog, s.schema("gold"))  # the configured gold (a sandbox's prefix too)
    if show_sql:
        print(sql)
        return
    _query_table(sql, q.title, limit)


@app.command()
def docs(
    port: int = typer.Option(8580, help="port of the local docs site (loopback only)"),
    serve: bool = typer.Option(True, help="serve the site after generating it"),
) -> None:
    """Generate the dbt docs site (models, columns in Chinese and English, lineage) and serve it locally."""
    from govlake.dbt import project_dir, run_dbt

    s = load_settings()
    res = run_dbt(s, ["docs", "generate"])
    if not res.ok:
        _fail("dbt docs generate failed (see .state/logs/dbt)")
    console.print(f"docs site: {project_dir(s) / 'target' / 'index.html'}")
    if serve:
        console.print(f"serving on http://127.0.0.1:{port} (Ctrl-C stops)")
        run_dbt(s, ["docs", "serve", "--host", "127.0.0.1", "--port", str(port), "--no-browser"])


contracts_app = typer.Typer(no_args_is_help=True, help="Data contracts (schemas/feeds) and what is derived from them")
app.add_typer(contracts_app, name="contracts")


@contracts_app.command("derive")
def contracts_derive(
    check: bool = typer.Option(False, "--check", help="write nothing; exit 1 listing the stale derived files"),
) -> None:
    """Write the derived files (GX suites, dbt sources, the contract JSON Schema) from the contracts."""
    from govlake.derive import main as derive_main

    rc = derive_main(["--check"] if check else [])
    if rc:
        raise typer.Exit(rc)


@contracts_app.command("list")
def contracts_list() -> None:
    """Every feed contract: department, delivery mode, cadence, tables."""
    from govlake.contracts import all_contracts

    t = Table("feed", "version", "department", "delivery", "cadence", "freshness h", "tables")
    for c in all_contracts().values():
        t.add_row(c.feed, f"v{c.version}", f"{c.department.zh} / {c.department.en}", f"{c.delivery.mode} "
                  f"({c.delivery.format})", c.cadence, f"{c.freshness_hours:g}", ", ".join(tb.name for tb in c.tables))
    console.print(t)


report_app = typer.Typer(no_args_is_help=True, help="Reports for department data stewards")
app.add_typer(report_app, name="report")


@report_app.command("quality")
def report_quality(
    department: str | None = typer.Option(None, help="department (Chinese or English name) or a feed; default all"),
    since: str | None = typer.Option(None, help="first delivery day YYYY-MM-DD (default: 30 days to the last)"),
    until: str | None = typer.Option(None, help="last delivery day YYYY-MM-DD (default: the last delivered)"),
    out: Path | None = typer.Option(None, help="output folder (default: .state/reports/quality)"),
    gx_docs: bool = typer.Option(True, help="also build GX Data Docs from ops.quality_results"),
) -> None:
    """Per-department data quality pages (self-contained HTML, masked samples) read through Trino."""
    import datetime as dt

    from govlake.report import write_quality_reports

    s = load_settings()
    try:
        first, last = (dt.date.fromisoformat(x) if x else None for x in (since, until))
    except ValueError as e:
        _fail(f"--since/--until must be dates YYYY-MM-DD: {e}")
    target = (out or s.state_dir / "reports" / "quality").resolve()
    written = write_quality_reports(s, target, department, first, last, gx_docs, console.print)
    for p in written.files:
        console.print(f"wrote {p}")


airflow_app = typer.Typer(no_args_is_help=True, help="Run the lakehouse through Airflow (the DAGs in dags/)")
app.add_typer(airflow_app, name="airflow")


@airflow_app.command("run")
def airflow_run(
    start: str = typer.Option(..., help="first delivery day, YYYY-MM-DD"),
    days: int = typer.Option(1, help="number of days: one run per feed DAG over that data interval"),
    feed: list[str] = typer.Option(None, help="only these feeds' DAGs (repeatable); default all"),
    gold: bool = typer.Option(True, help="also wait for the gold DAG the silver asset events trigger"),
    timeout: float = typer.Option(3600, help="seconds to wait for the runs"),
) -> None:
    """Trigger each feed's ingest DAG over [start, start + days), unpause the DAGs, and follow the runs
    (and the asset-triggered gold run) to the end, printing each task as it finishes."""
    import datetime as dt
    import time

    from govlake.airflow_client import Airflow, AirflowError
    from govlake.tasks import delivered_days, feed_plan, sandbox_from_env

    s = load_settings()
    sandbox = sandbox_from_env()  # a test's or benchmark's private schemas travel with the runs
    try:
        first = dt.date.fromisoformat(start)
    except ValueError:
        _fail(f"--start {start!r} is not a date (YYYY-MM-DD)")
    plan = feed_plan()
    feeds = feed or sorted(plan)
    unknown = sorted(set(feeds) - set(plan))
    if unknown:
        _fail(f"unknown feed(s) {', '.join(unknown)}; known: {', '.join(sorted(plan))}")
    if not feed and days < 7:  # a weekly feed's run over days without its delivery would wait for one not due
        last = first + dt.timedelta(days=days)
        weekly = [f for f in feeds if plan[f]["cadence"] == "weekly" and not delivered_days(s, f, first, last)]
        feeds = [f for f in feeds if f not in weekly]
        if weekly:
            console.print(f"not triggered over {days} day(s): {', '.join(weekly)} (weekly, and its delivery is "
                          "not among these days; name it with --feed to run it anyway)")
    t0 = time.monotonic()
    try:
        af = Airflow(s)
        dag_ids = [f"ingest_{f}" for f in feeds]
        af.wait_for_dags([*dag_ids, "gold_theme_library"])
        a = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
        b = a + dt.timedelta(days=days)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        gold_before = {r["dag_run_id"] for r in af.runs("gold_theme_library")}
        runs, how = [], {}
        for d in dag_ids:
            run_id, kind = af.ensure_run(d, a, b, f"govlake__{first}__{days}d__{stamp}", sandbox)
            runs.append((d, run_id))
            how.setdefault(kind, []).append(d)
        for kind in ("rerun", "done", "running"):
            if how.get(kind):
                console.print(f"{kind} (a run over this interval exists): {', '.join(how[kind])}")
        for d in [*dag_ids, "gold_theme_library"]:
            af.set_paused(d, False)
        console.print(f"{len(runs)} ingest runs over {a:%Y-%m-%d} .. {b:%Y-%m-%d} (exclusive); "
                      f"follow them at {af.base}/dags")
        states = af.wait(runs, timeout, console.print)
        failed = [d for (d, _), st in states.items() if st != "success"]
        if failed:
            _fail(f"ingest runs failed: {', '.join(failed)} (see {af.base}/dags)")
        if gold:
            # the gold run that follows the last of these silver events (runs of the ingest DAGs' own
            # schedule may have triggered an earlier one: it is followed too)
            # only the feeds the gold DAG waits for (weekly ones are read as they stand)
            waited = {f"ingest_{f}" for f, p in plan.items() if p["cadence"] != "weekly"}
            ends = [dt.datetime.fromisoformat(ti["end_date"]) for d, r in runs if d in waited
                    for ti in af.task_instances(d, r)
                    if ti["task_id"] == "silver" and ti["state"] == "success" and ti.get("end_date")]
            if not ends:
                console.print("no new delivery reached silver: the gold DAG has nothing to build")
                return
            last = max(ends) - dt.timedelta(seconds=1)
            deadline = time.monotonic() + 300
            while True:
                new = [r for r in af.runs("gold_theme_library") if r["dag_run_id"] not in gold_before]
                if any(dt.datetime.fromisoformat(r["run_after"]) >= last for r in new):
                    break
                if time.monotonic() > deadline:
                    _fail("the silver asset events did not trigger the gold DAG within 300 s "
                          f"(see {af.base}/dags/gold_theme_library)")
                time.sleep(3)
            follow = [("gold_theme_library", r["dag_run_id"]) for r in sorted(new, key=lambda r: r["run_after"])]
            console.print("gold_theme_library triggered by the silver assets "
                          f"({', '.join(r for _, r in follow)})")
            states = af.wait(follow, timeout, console.print)
            latest = follow[-1]
            if states[latest] != "success":
                _fail(f"gold run {latest[1]} {states[latest]} (see {af.base}/dags/gold_theme_library)")
    except AirflowError as e:
        _fail(str(e))
    console.print(f"done through Airflow in {time.monotonic() - t0:.0f}s — UI {af.base}/ (govlake info for the logins)")


findings_app = typer.Typer(no_args_is_help=True, help="Reconciliation findings: steward decisions and evaluation")
app.add_typer(findings_app, name="findings")


@findings_app.command("decide")
def findings_decide(
    finding_id: str = typer.Argument(..., help="finding_id from gold.reconciliation_findings"),
    status: str = typer.Option(..., "--status", help="open, confirmed or dismissed"),
    by: str = typer.Option(..., "--by", help="the steward deciding"),
    note: str | None = typer.Option(None, "--note", help="short note (no clear personal data)"),
) -> None:
    """Append a steward's decision to ops.finding_decisions (the next dbt run keeps it)."""
    from govlake.findings import decide

    d = decide(load_settings(), finding_id, status, by, note)
    console.print(f"{d.finding_id}: {d.status} by {d.decided_by} at {d.decided_at:%Y-%m-%d %H:%M:%S} UTC")


@findings_app.command("list")
def findings_list(
    status: str | None = typer.Option(None, help="open, confirmed or dismissed"),
    department: str | None = typer.Option(None, help="owning department (民政, 公安 …)"),
) -> None:
    """Findings with their current status (latest decision, default open)."""
    from govlake.findings import LIST_COLUMNS, list_findings

    rows = list_findings(load_settings(), status, department)
    t = Table(*LIST_COLUMNS)
    for r in rows:
        t.add_row(*["" if v is None else str(v) for v in r])
    console.print(t)
    console.print(f"{len(rows)} finding(s)")


@findings_app.command("evaluate")
def findings_evaluate(
    defects: Path | None = typer.Option(None, help="ground_truth/defects.jsonl (default: under feeds.out_dir)"),
) -> None:
    """Recall and precision of gold.reconciliation_findings against the generator's ground truth."""
    from govlake.findings import default_defects_path, finding_pairs, token_key
    from govlake.reconciliation_eval import evaluate_file

    s = load_settings()
    ev = evaluate_file(finding_pairs(s), defects or default_defects_path(s), token_key(s))
    for line in ev.lines():
        console.print(line)


def main() -> None:  # pragma: no cover - console entry
    sys.exit(app())


if __name__ == "__main__":  # pragma: no cover
    main()
