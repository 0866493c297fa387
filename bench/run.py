"""`make bench`: the batch-latency scenarios of issue 10 in one process tree, with their baselines.

    .venv/bin/python bench/run.py                 # quick: demo, incremental day, bare Spark, queries
    .venv/bin/python bench/run.py --scale full    # + SF0.1 incremental day, SF1 day (hours on 2 cores)
    .venv/bin/python bench/run.py --only queries  # one scenario (repeatable; sf0.1 and sf1_day are the full ones)

Needs the platform (`make up`; `make bench` starts it). Every city is generated into a temporary
folder and ingested into a private sandbox (prefixed schemas, its own urban database and police
API), dropped afterwards. One Spark session serves every scenario, as in `govlake run`; its JVM
start is paid before the clock starts.

Scenarios and their targets (issue 10; 2 cores, warm caches, platform up):
- ``demo``: SF0.01 × 7 days, landing → gold queryable in Trino (≤ 120 s);
- ``incremental``: one more day after the demo's week, bronze → silver → gold (≤ 90 s at SF0.1), and
  its ratio to the full gold rebuild of the same world (≤ 10 %);
- ``bare_spark``: bronze → silver of the residents feed against bare Spark reading the same landed
  files and writing Delta with no rules (≤ 2×);
- ``queries``: the analyst questions through Trino (P95 ≤ 0.5 s) against DuckDB over the same gold
  Delta files read through the ``deltalake`` package's Arrow datasets (≤ 5×);
- ``sf1_day`` (``--scale full``): one SF1 day (the 1 M-row snapshot and that day's events) → gold (≤ 300 s).
Each scenario also reports records, seconds per million records, and the peak resident memory of
the platform's processes and this process tree (≤ 12 GB).

Writes ``bench/results/<date>-<host>.json`` and ``.md`` (the table) and ``.png`` (seconds per stage
per scenario; query P95 Trino vs DuckDB); a ``--scale full`` or ``--only`` run adds them to the name
(``<date>-<host>-full-sf1_day.json``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform as pyplatform
import statistics
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

from govlake import pipeline
from govlake.settings import load_settings, project_root
from govlake.spark import build_spark
from govlake_sim.generator import GenerateOptions, generate
from govlake_sim.sandbox import sandbox

START = dt.date(2026, 1, 1)
RESULTS = Path(__file__).parent / "results"
GB = 1024**3


# ---- memory -------------------------------------------------------------------------------------------
class PeakMemory:
    """Samples the resident memory of this process tree and of the platform's services (processes
    whose command line names this checkout's state folder) every ``interval`` seconds."""

    def __init__(self, state_dir: Path, interval: float = 0.5) -> None:
        self.state = str(state_dir.resolve())
        self.interval = interval
        self.peak_total = 0
        self.peak_by: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _name(self, p: psutil.Process, cmd: str) -> str:
        for svc in ("postgres", "metastore", "trino", "police"):
            if svc in cmd.lower():
                return svc
        if "java" in p.name():
            return "spark"
        return "python"

    def sample(self) -> None:
        me = psutil.Process()
        procs = {me.pid: me, **{c.pid: c for c in me.children(recursive=True)}}
        for p in psutil.process_iter(["pid", "cmdline"]):
            cmd = " ".join(p.info["cmdline"] or [])
            if self.state in cmd:
                procs[p.pid] = p
        total, by = 0, {}
        for p in procs.values():
            try:
                rss = p.memory_info().rss
                cmd = " ".join(p.cmdline())
            except psutil.Error:
                continue
            total += rss
            name = self._name(p, cmd)
            by[name] = by.get(name, 0) + rss
        self.peak_total = max(self.peak_total, total)
        for k, v in by.items():
            self.peak_by[k] = max(self.peak_by.get(k, 0), v)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


# ---- results ------------------------------------------------------------------------------------------
@dataclass
class Figure:
    scenario: str
    what: str
    value: float
    unit: str
    target: str = ""
    ok: bool | None = None
    ratio: str = ""


@dataclass
class Scenario:
    name: str
    records: int = 0
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)
    peak_gb: float = 0.0
    peak_by_gb: dict[str, float] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    @property
    def s_per_m(self) -> float:
        return self.seconds / (self.records / 1e6) if self.records else 0.0


class Stages:
    """An ``echo`` for ``pipeline.run``: each progress line closes a stage (bronze F, silver F, gold);
    the line is printed, indented, when ``show``."""

    def __init__(self, show: bool = True) -> None:
        self.t = time.perf_counter()
        self.stages: dict[str, float] = {}
        self.show = show

    def __call__(self, msg: str) -> None:
        now = time.perf_counter()
        head = msg.split(":")[0]
        self.stages[head] = self.stages.get(head, 0.0) + now - self.t
        self.t = now
        if self.show:
            print(f"    {msg}", flush=True)

    def by_layer(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for k, v in self.stages.items():
            layer = k.split()[0]
            out[layer] = out.get(layer, 0.0) + v
        return out


def city(tmp: Path, sf: float, days: int, name: str) -> Path:
    out = tmp / name
    t = time.perf_counter()
    generate(GenerateOptions(sf=sf, days=days, start=START, out=out))
    print(f"  generated SF{sf} × {days} days in {time.perf_counter() - t:.0f}s")
    return out


def ingest(s, out: Path, start: dt.date, days: int, spark, through: str) -> tuple[int, Stages, float]:
    st = Stages()
    t = time.perf_counter()
    summaries = pipeline.run(s, out / "landing", start, days, spark=spark, echo=st, through=through)
    return sum(x.rows_read for x in summaries), st, time.perf_counter() - t


# ---- scenarios ----------------------------------------------------------------------------------------
def demo_and_incremental(spark, tmp: Path, settings, sf: float, name: str, with_queries: bool):
    """The week landing → gold, then one more day (incremental), then a full gold rebuild; with
    ``with_queries``, the analyst questions on that gold before the sandbox is dropped."""
    print(f"\n== {name}: SF{sf} × 7 days landing → gold, then day 8 incremental, then a full gold rebuild")
    out = city(tmp, sf, 8, f"city-{name}")
    results = []
    with sandbox(spark, out, f"bench{uuid.uuid4().hex[:6]}_") as s:
        with PeakMemory(settings.state_dir) as mem:
            rows, st, secs = ingest(s, out, START, 7, spark, "gold")
        week = Scenario(name, rows, secs, st.by_layer(), mem.peak_total / GB,
                        {k: v / GB for k, v in mem.peak_by.items()}, {"feeds": st.stages})
        print(f"  week: {rows:,} records in {secs:.1f}s ({_layers(week.stages)})")
        with PeakMemory(settings.state_dir) as mem:
            rows1, st1, secs1 = ingest(s, out, START + dt.timedelta(days=7), 1, spark, "gold")
        inc = Scenario(f"{name}+1 day", rows1, secs1, st1.by_layer(), mem.peak_total / GB,
                       {k: v / GB for k, v in mem.peak_by.items()})
        print(f"  one more day: {rows1:,} records in {secs1:.1f}s ({_layers(inc.stages)})")
        t = time.perf_counter()
        pipeline.build_gold(s, echo=lambda _: None, full_refresh=True)
        rebuild = time.perf_counter() - t
        inc.extra["full_gold_rebuild_s"] = rebuild
        print(f"  full gold rebuild (dbt build --full-refresh): {rebuild:.1f}s")
        results += [week, inc]
        if with_queries:
            results.append(_scenario("queries", lambda: queries(s)))
    return [x for x in results if x is not None]


FAILED: dict[str, str] = {}  # scenario → error: the others still run and are written


def _scenario(name: str, run):
    """``run()``, or None when it fails (the error is printed and kept in FAILED)."""
    try:
        return run()
    except Exception as e:  # a scenario's failure must not lose the figures of the others
        FAILED[name] = f"{type(e).__name__}: {e}"[:500]
        print(f"  {name} FAILED: {FAILED[name]}")
        return None


def bare_spark(spark, tmp: Path, settings, sf: float) -> Scenario:
    """bronze → silver of the residents snapshot vs bare Spark: read the same landed files, write Delta."""
    feed = "civil_affairs_residents"
    print(f"\n== bare_spark: {feed} SF{sf} × 1 day, govlake bronze → silver vs read CSV + write Delta")
    out = city(tmp, sf, 1, "city-bare")
    with sandbox(spark, out, f"bench{uuid.uuid4().hex[:6]}_") as s, PeakMemory(settings.state_dir) as mem:
        st = Stages()
        t = time.perf_counter()
        summaries = pipeline.run(s, out / "landing", START, 1, [feed], spark=spark, echo=st)
        ours = time.perf_counter() - t
        rows = sum(x.rows_read for x in summaries)
        files = sorted(str(p) for p in (out / "landing" / feed).rglob("*.csv"))
        target = f"{s.schema('bronze')}.bare_{feed}"
        # Spark 4 reads only Unicode and Latin charsets in CSV unless the legacy Java charsets are on
        legacy = spark.conf.get("spark.sql.legacy.javaCharsets", "false")
        spark.conf.set("spark.sql.legacy.javaCharsets", "true")
        t = time.perf_counter()
        try:
            (spark.read.option("header", True).option("encoding", "GBK").csv(files)
             .write.format("delta").mode("overwrite").saveAsTable(target))
        finally:
            spark.conf.set("spark.sql.legacy.javaCharsets", legacy)
        bare = time.perf_counter() - t
        spark.sql(f"DROP TABLE IF EXISTS {target}")
    ratio = ours / bare
    print(f"  govlake {ours:.1f}s, bare Spark {bare:.1f}s for {rows:,} records: {ratio:.1f}×")
    return Scenario("bare_spark", rows, ours, st.by_layer(), mem.peak_total / GB,
                    {k: v / GB for k, v in mem.peak_by.items()}, extra={"bare_s": bare, "ratio": ratio})


def queries(s, reps: int = 5) -> Scenario:
    """The analyst questions through Trino and through DuckDB over the same gold Delta files."""
    import duckdb
    import sqlglot
    from deltalake import DeltaTable

    from govlake import trino_client
    from govlake.analyst_questions import load

    qs = load(settings=s)
    print(f"\n== queries: {len(qs)} analyst questions × {reps}, Trino vs DuckDB over the same Delta files")
    gold = s.schema("gold")
    db = duckdb.connect()
    registered: set[str] = set()
    trino_t, duck_t, per = [], [], {}
    conn = trino_client.connect(s)
    cur = conn.cursor()
    for q in qs:
        sql = q.for_schema(s.trino.catalog, gold)
        tables = sorted(set(_gold_tables(sql, s.trino.catalog, gold)))
        for t in tables:
            if t not in registered:
                path = s.schema_location(gold).rstrip("/") + f"/{t}"
                db.register(t, DeltaTable(path).to_pyarrow_dataset())
                registered.add(t)
        local = sql.replace(f"{s.trino.catalog}.{gold}.", "")
        duck_sql = sqlglot.transpile(local, read="trino", write="duckdb")[0]
        tt, dd = [], []
        for _ in range(reps):
            t0 = time.perf_counter()
            cur.execute(sql)
            n_trino = len(cur.fetchall())
            tt.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            n_duck = len(db.execute(duck_sql).fetchall())
            dd.append(time.perf_counter() - t0)
        if n_trino != n_duck:
            print(f"  warning: {q.id}: Trino {n_trino} rows, DuckDB {n_duck}")
        per[q.id] = {"trino_median_s": statistics.median(tt), "duckdb_median_s": statistics.median(dd)}
        trino_t += tt[1:]  # the first run of each warms caches on both sides
        duck_t += dd[1:]
    # Trino's floor: a query that reads nothing still pays parsing, planning and scheduling
    floor = []
    for _ in range(reps + 1):
        t0 = time.perf_counter()
        cur.execute("SELECT 1")
        cur.fetchall()
        floor.append(time.perf_counter() - t0)
    conn.close()
    p95_t, p95_d = _p95(trino_t), _p95(duck_t)
    floor_s = statistics.median(floor[1:])
    print(f"  P95 Trino {p95_t * 1000:.0f} ms, DuckDB {p95_d * 1000:.0f} ms: {p95_t / p95_d:.1f}× "
          f"(Trino's SELECT 1: {floor_s * 1000:.0f} ms)")
    return Scenario("queries", extra={"p95_trino_s": p95_t, "p95_duckdb_s": p95_d, "ratio": p95_t / p95_d,
                                      "trino_select1_s": floor_s, "per_question": per})


def _gold_tables(sql: str, catalog: str, gold: str) -> list[str]:
    import re

    return re.findall(rf"{re.escape(catalog)}\.{re.escape(gold)}\.(\w+)", sql)


def _p95(xs: list[float]) -> float:
    import numpy as np

    return float(np.percentile(xs, 95))


def _layers(stages: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.1f}s" for k, v in stages.items())


def sf1_day(spark, tmp: Path, settings) -> Scenario:
    print("\n== sf1_day: SF1 × 1 day landing → gold")
    out = city(tmp, 1.0, 1, "city-sf1")
    with sandbox(spark, out, f"bench{uuid.uuid4().hex[:6]}_") as s, PeakMemory(settings.state_dir) as mem:
        rows, st, secs = ingest(s, out, START, 1, spark, "gold")
    print(f"  {rows:,} records in {secs:.1f}s ({_layers(st.by_layer())})")
    return Scenario("sf1_day", rows, secs, st.by_layer(), mem.peak_total / GB,
                    {k: v / GB for k, v in mem.peak_by.items()}, {"feeds": st.stages})


# ---- the table ----------------------------------------------------------------------------------------
def figures(sc: dict[str, Scenario]) -> list[Figure]:
    f: list[Figure] = []
    if "demo" in sc:
        d = sc["demo"]
        f.append(Figure("demo", "SF0.01 × 7 days landing → gold", d.seconds, "s", "≤ 120 s", d.seconds <= 120))
    for key, sf in (("demo+1 day", 0.01), ("sf0.1+1 day", 0.1)):
        if key not in sc:
            continue
        i = sc[key]
        reb = i.extra["full_gold_rebuild_s"]
        ok = i.seconds <= 90 if sf >= 0.1 else None
        f.append(Figure("incremental", f"one more day at SF{sf} → gold", i.seconds, "s", "≤ 90 s at SF0.1", ok))
        f.append(Figure("incremental", f"incremental day / full gold rebuild (same SF{sf} world)", i.seconds / reb,
                        "×", "≤ 0.10 (at SF1 × 30)", None, f"{i.seconds:.0f} s / {reb:.0f} s"))
    if "bare_spark" in sc:
        b = sc["bare_spark"]
        f.append(Figure("bare_spark", "residents bronze → silver / bare Spark CSV → Delta", b.extra["ratio"], "×",
                        "≤ 2×", b.extra["ratio"] <= 2, f"{b.seconds:.1f} s / {b.extra['bare_s']:.1f} s"))
    if "queries" in sc:
        q = sc["queries"].extra
        f.append(Figure("queries", "analyst questions P95 through Trino", q["p95_trino_s"] * 1000, "ms", "≤ 500 ms",
                        q["p95_trino_s"] <= 0.5))
        f.append(Figure("queries", "P95 Trino / P95 DuckDB (same Delta files)", q["ratio"], "×", "≤ 5×",
                        q["ratio"] <= 5, f"{q['p95_trino_s'] * 1000:.0f} ms / {q['p95_duckdb_s'] * 1000:.0f} ms"))
        if "trino_select1_s" in q:
            f.append(Figure("queries", "Trino's floor: SELECT 1, median", q["trino_select1_s"] * 1000, "ms"))
    if "sf1_day" in sc:
        d = sc["sf1_day"]
        f.append(Figure("sf1_day", "SF1 × 1 day landing → gold", d.seconds, "s", "≤ 300 s", d.seconds <= 300))
    peaks = [x.peak_gb for x in sc.values() if x.peak_gb]
    if peaks:
        f.append(Figure("all", "peak resident memory (platform + this process tree)", max(peaks), "GB", "≤ 12 GB",
                        max(peaks) <= 12))
    for x in sc.values():
        if x.records and x.seconds:
            f.append(Figure(x.name, "cost per million records", x.s_per_m, "s/M records"))
    return f


def markdown(figs: list[Figure], sc: dict[str, Scenario], header: str) -> str:
    lines = [header, "", "| scenario | figure | value | target | met | ratio |", "|---|---|---|---|---|---|"]
    for x in figs:
        met = "" if x.ok is None else ("yes" if x.ok else "**no**")
        lines.append(f"| {x.scenario} | {x.what} | {x.value:,.2f} {x.unit} | {x.target} | {met} | {x.ratio} |")
    lines += ["", "| scenario | records | seconds | stages (s) | peak GB |", "|---|---|---|---|---|"]
    for x in sc.values():
        if x.records:
            lines.append(f"| {x.name} | {x.records:,} | {x.seconds:.1f} | {_layers(x.stages)} | {x.peak_gb:.1f} |")
    return "\n".join(lines) + "\n"


def chart(sc: dict[str, Scenario], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    staged = [x for x in sc.values() if x.stages]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    layers = sorted({k for x in staged for k in x.stages})
    bottom = [0.0] * len(staged)
    for layer in layers:
        vals = [x.stages.get(layer, 0.0) for x in staged]
        axes[0].bar([x.name for x in staged], vals, bottom=bottom, label=layer)
        bottom = [a + b for a, b in zip(bottom, vals, strict=True)]
    axes[0].set_ylabel("seconds")
    axes[0].set_title("time per stage per scenario")
    axes[0].legend()
    if "queries" in sc:
        per = sc["queries"].extra["per_question"]
        ids = list(per)
        xs = range(len(ids))
        axes[1].barh([i + 0.2 for i in xs], [per[k]["trino_median_s"] * 1000 for k in ids], 0.4, label="Trino")
        axes[1].barh([i - 0.2 for i in xs], [per[k]["duckdb_median_s"] * 1000 for k in ids], 0.4, label="DuckDB")
        axes[1].set_yticks(list(xs), [k[:28] for k in ids], fontsize=7)
        axes[1].set_xlabel("median ms")
        axes[1].set_title("analyst questions: Trino vs DuckDB")
        axes[1].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", choices=["quick", "full"], default="quick")
    ap.add_argument("--only", action="append", choices=["demo", "bare_spark", "queries", "sf0.1", "sf1_day"])
    a = ap.parse_args()
    wanted = set(a.only or ["demo", "bare_spark", "queries"] + (["sf0.1", "sf1_day"] if a.scale == "full" else []))
    settings = load_settings()
    spark = build_spark(settings, "govlake-bench")
    spark.range(1).count()
    sc: dict[str, Scenario] = {}
    started = dt.datetime.now(dt.UTC)
    try:
        with tempfile.TemporaryDirectory() as tmp_:
            tmp = Path(tmp_)
            if wanted & {"demo", "queries"}:
                res = _scenario("demo", lambda: demo_and_incremental(spark, tmp, settings, 0.01, "demo",
                                                                     "queries" in wanted)) or []
                sc.update({x.name: x for x in res})
            if "sf0.1" in wanted:
                res = _scenario("sf0.1", lambda: demo_and_incremental(spark, tmp, settings, 0.1, "sf0.1", False)) or []
                sc.update({x.name: x for x in res})
            if "bare_spark" in wanted and (b := _scenario(
                    "bare_spark", lambda: bare_spark(spark, tmp, settings, 0.1 if a.scale == "full" else 0.01))):
                sc["bare_spark"] = b
            if "sf1_day" in wanted and (d := _scenario("sf1_day", lambda: sf1_day(spark, tmp, settings))):
                sc["sf1_day"] = d
    finally:
        spark.stop()
    figs = figures(sc)
    host = pyplatform.node() or "host"
    # the default run is <date>-<host>; a full-scale or partial run is named apart so it never
    # overwrites the day's default figures
    suffix = "".join(f"-{x}" for x in ([a.scale] if a.scale != "quick" else []) + sorted(a.only or []))
    stem = RESULTS / f"{started:%Y-%m-%d}-{host}{suffix}"
    RESULTS.mkdir(exist_ok=True)
    header = (f"govlake bench {started:%Y-%m-%d %H:%M} UTC on {host} ({os.cpu_count()} cores, "
              f"{psutil.virtual_memory().total / GB:.0f} GB), scale {a.scale}")
    md = markdown(figs, sc, header) + "".join(f"\n**{k} failed**: {v}\n" for k, v in FAILED.items())
    stem.with_suffix(".md").write_text(md, encoding="utf-8")
    stem.with_suffix(".json").write_text(json.dumps(
        {"started": started.isoformat(), "host": host, "scale": a.scale, "figures": [asdict(x) for x in figs],
         "scenarios": {k: asdict(v) for k, v in sc.items()}, "failed": FAILED}, indent=2, default=str),
        encoding="utf-8")
    chart(sc, stem.with_suffix(".png"))
    print("\n" + md)
    print(f"results: {stem.with_suffix('.json').relative_to(project_root())} (.md, .png beside it)")
    return 1 if FAILED else 0


if __name__ == "__main__":
    raise SystemExit(main())
