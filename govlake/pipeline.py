"""Run ingestion for a range of days: every feed into bronze (per delivery mode), then silver.

``govlake run`` and ``govlake replay`` use this module; Airflow calls the same job entry points
(``spark_jobs/jobs/*``) one task per feed. One Spark session serves the whole run: the per-job
JVM start (~10 s) would otherwise dominate a small city.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from govlake.contracts import all_contracts, contract
from govlake.errors import GovlakeError
from govlake.settings import Settings


class PipelineError(GovlakeError):
    """A run that cannot start or finish; the message says what to do."""


@dataclass
class FeedSummary:
    feed: str
    mode: str
    deliveries: int = 0
    skipped: int = 0
    rows_read: int = 0
    accepted: int = 0
    quarantined: int = 0
    duplicate: int = 0
    rejected: int = 0
    blocked: int = 0
    bronze_s: float = 0.0
    silver_s: float = 0.0
    notes: list[str] = field(default_factory=list)


def days(start: dt.date, n: int) -> list[dt.date]:
    if n < 1:
        raise PipelineError("--days must be at least 1")
    return [start + dt.timedelta(days=i) for i in range(n)]


def reference_csv(settings: Settings, landing: Path | None) -> Path:
    """The division code table the code rules check against: beside the landing zone when the
    generator wrote one there, otherwise the configured divisions file."""
    if landing is not None:
        beside = landing.parent / "reference" / "divisions.csv"
        if beside.is_file():
            return beside
    generated = settings.feeds_out_dir / "reference" / "divisions.csv"
    if generated.is_file():
        return generated
    expected = landing.parent / "reference" / "divisions.csv" if landing else generated
    raise PipelineError(f"no division code table (districts to grids): expected {expected} "
                        "(run `govlake-sim generate` first, or give the departments' --landing folder)")


def quiet(_msg: str) -> None:
    pass


def land(spark, settings: Settings, feed: str, day: list[dt.date], landing: Path | None, echo
         ) -> tuple[int, int, int]:
    """One feed, the given days into bronze (one call per feed: the jobs batch their commits)
    → (deliveries landed, skipped, rows read)."""
    mode = contract(feed).delivery.mode
    if mode == "file_drop":
        from spark_jobs.jobs.bronze_file_drop import land_file_drop

        if landing is None:
            raise PipelineError(f"{feed} is a file drop: give --landing")
        res = land_file_drop(spark, settings, feed, landing, day, echo=echo)
    elif mode == "http_cursor":
        from spark_jobs.jobs.bronze_http_cursor import land_cursor_pull

        res = land_cursor_pull(spark, settings, feed, day, echo=echo)
    elif mode == "db_watermark":
        from spark_jobs.jobs.bronze_db_watermark import land_watermark_pull

        res = land_watermark_pull(spark, settings, feed, day, echo=echo)
    else:  # pragma: no cover - the contract model allows only these
        raise PipelineError(f"{feed}: unknown delivery mode {mode}")
    landed = [r for r in res if r.status == "landed"]
    return len(landed), len(res) - len(landed), sum(r.rows for r in landed)


def run(settings: Settings, landing: Path | None, start: dt.date, n_days: int, feeds: list[str] | None = None,
        echo: Callable[[str], None] = print, progress=None, spark=None, through: str = "silver",
        ) -> list[FeedSummary]:
    """Bronze for every (feed, day), then silver per feed, then (``through="gold"``) ``dbt build``
    in the same Spark session; returns a summary per feed."""
    from spark_jobs.jobs.silver import run_silver

    known = all_contracts()
    feeds = feeds or sorted(known)
    unknown = [f for f in feeds if f not in known]
    if unknown:
        raise PipelineError(f"unknown feed(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    if landing is not None and not landing.is_dir():
        raise PipelineError(f"landing zone {landing} does not exist "
                            "(run `govlake-sim generate` first, or give the departments' --landing folder)")
    ref = reference_csv(settings, landing)
    the_days = days(start, n_days)
    from govlake.spark import spark_session

    summaries = {f: FeedSummary(f, known[f].delivery.mode) for f in feeds}
    with spark_session(settings, "govlake-run") if spark is None else nullcontext(spark) as spark:
        from spark_jobs.jobs.silver_divisions import load_divisions

        t0 = time.perf_counter()
        d = load_divisions(spark, settings, ref, start)  # every feed's silver checks its codes against it
        echo(f"silver divisions: {d['open']} codes open, {d['inserted']} inserted, {d['closed']} closed "
             f"[{time.perf_counter() - t0:.1f}s]")
        tasks = {layer: progress.add_task(layer, total=len(feeds)) for layer in ("bronze", "silver")} if progress \
            else {}

        def one_feed(feed: str) -> None:
            s = summaries[feed]
            t0 = time.perf_counter()
            s.deliveries, s.skipped, s.rows_read = land(spark, settings, feed, the_days, landing, quiet)
            s.bronze_s = time.perf_counter() - t0
            echo(f"bronze {feed}: {s.deliveries} deliveries landed ({s.rows_read} records), {s.skipped} skipped "
                 f"[{s.bronze_s:.1f}s]")
            if progress:
                progress.advance(tasks["bronze"])
            t0 = time.perf_counter()
            for a in run_silver(spark, settings, feed, ref, echo=quiet):
                s.accepted += a.accepted
                s.quarantined += a.quarantined
                s.duplicate += a.duplicate
                s.rejected += a.status == "rejected"
                s.blocked += a.status == "blocked"
                if a.reason and a.reason not in s.notes:
                    s.notes.append(a.reason)
            s.silver_s = time.perf_counter() - t0
            echo(f"silver {feed}: accepted {s.accepted}, quarantined {s.quarantined}, duplicate {s.duplicate}"
                 + (f", {s.rejected} rejected" if s.rejected else "") + (f", {s.blocked} blocked" if s.blocked else "")
                 + f" [{s.silver_s:.1f}s]")
            if progress:
                progress.advance(tasks["silver"])

        in_parallel(one_feed, feeds, settings.pipeline.parallel_feeds)
        if through == "gold":
            build_gold(settings, echo)
    return [summaries[f] for f in feeds]


def in_parallel(work: Callable[[str], None], feeds: list[str], workers: int) -> None:
    """``work(feed)`` for every feed, ``workers`` at a time, in threads of this process (they share
    its Spark session: a small batch spends most of its time in fixed per-job and per-commit costs,
    which overlap). The first failure stops feeds not yet started and is raised once the running
    ones have ended; every feed is independent (own bronze, silver and quarantine tables; the shared
    tables take their MERGEs in turn, see ``spark_jobs.io.table_lock``)."""
    if workers <= 1 or len(feeds) <= 1:
        for feed in feeds:
            work(feed)
        return
    with ThreadPoolExecutor(min(workers, len(feeds)), thread_name_prefix="feed") as pool:
        futures = [pool.submit(work, feed) for feed in feeds]
        first: BaseException | None = None
        for fut in as_completed(futures):
            if fut.cancelled():
                continue
            err = fut.exception()
            if err is not None and first is None:
                first = err
                for other in futures:
                    other.cancel()
    if first is not None:
        raise first


def drop_dbt_temp_views() -> list[str]:
    """dbt-spark's incremental and merge steps leave session temp views (``<model>__dbt_tmp``) behind;
    in a shared session they show up in every schema's table list. Drop them after a build."""
    from pyspark.sql import SparkSession

    spark = SparkSession.getActiveSession()
    if spark is None:
        return []
    dropped = [t.name for t in spark.catalog.listTables() if t.isTemporary and t.name.endswith("__dbt_tmp")]
    for name in dropped:
        spark.catalog.dropTempView(name)
    return dropped


def build_gold(settings: Settings, echo: Callable[[str], None] = print, select: list[str] | None = None,
               full_refresh: bool = False, unit_tests: bool | None = None):
    """``dbt build`` (models, seeds, data tests) in this process: dbt-spark's session method picks up
    the pipeline's Spark session. dbt's unit tests run too when ``unit_tests`` (default: the setting
    ``dbt.unit_tests_in_batch``, off: they test model logic, not the day's data). A failing model or
    test raises PipelineError naming them; returns the DbtResult (every node with its status and
    seconds)."""
    from govlake.dbt import DbtError, run_dbt

    with_unit = settings.dbt.unit_tests_in_batch if unit_tests is None else unit_tests
    t0 = time.perf_counter()
    try:
        res = run_dbt(settings, ["build", *(["--select", *select] if select else []),
                                 *(["--full-refresh"] if full_refresh else []),
                                 *([] if with_unit else ["--exclude-resource-type", "unit_test"])],
                      target="session")
    except DbtError as e:
        raise PipelineError(str(e)) from e
    finally:
        drop_dbt_temp_views()
    took = time.perf_counter() - t0
    failed = res.failures()
    echo(f"gold: dbt build {len(res.results)} nodes, {len(failed)} failed [{took:.1f}s]")
    if not res.ok:
        names = ", ".join(f"{f['name']} ({f['status']})" for f in failed[:10]) or "see .state/logs/dbt"
        raise PipelineError(f"dbt build failed: {names}")
    return res


def replay_delivery(settings: Settings, delivery_id: str, echo=print, spark=None):
    """Process one landed delivery into silver again (a steward asked for it, or a rule changed)."""
    from govlake.spark import spark_session
    from spark_jobs.jobs.silver import replay

    with spark_session(settings, "govlake-replay") if spark is None else nullcontext(spark) as spark:
        return replay(spark, settings, delivery_id, reference_csv(settings, None), echo=echo)


def redeliver(settings: Settings, feed: str, file: Path, day: dt.date, landing: Path) -> Path:
    """A corrected re-delivery: put the file into the landing zone as a delivery of its own (a new
    name; the original stays as it came) so the normal run lands and accounts it."""
    c = contract(feed)
    if c.delivery.mode != "file_drop":
        raise PipelineError(f"{feed} is pulled ({c.delivery.mode}); re-deliveries apply to file drops")
    if not file.is_file():
        raise PipelineError(f"{file} is not a file")
    folder = landing / feed / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    n = 1 + sum(1 for p in folder.iterdir() if ".redelivery-" in p.name)
    target = folder / f"{file.stem}.redelivery-{n}{file.suffix}"
    shutil.copyfile(file, target)
    return target
