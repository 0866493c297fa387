"""Benchmark: latency of the analyst questions (dbt_project/analyses, `govlake ask`) through Trino.

    .venv/bin/python bench/bench_analyst_queries.py                 # every question, 10 runs each
    .venv/bin/python bench/bench_analyst_queries.py -n 30 --schema gold --only police-hotspot-grids

Needs the platform (`make up`) and a built gold (`govlake run … --through gold` or `govlake dbt
build`). Reads the questions from dbt_project/analyses (govlake/analyst_questions.py), runs each once to warm
Trino's metadata and plan caches, then N times through the DB-API client (a fresh cursor per run,
all rows fetched), and prints rows, median, p95 and max milliseconds per question, plus the total.
``--schema`` points ``lakehouse.gold`` elsewhere (a sandbox's prefixed gold).
"""

from __future__ import annotations

import argparse
import statistics
import time

from govlake import analyst_questions, trino_client
from govlake.settings import load_settings


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * len(s) + 0.5) - 1))
    return s[k]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--runs", type=int, default=10)
    ap.add_argument("--schema", default="gold")
    ap.add_argument("--only", nargs="*", help="question ids")
    a = ap.parse_args(argv)
    s = load_settings()
    questions = [q for q in analyst_questions.load(settings=s) if not a.only or q.id in a.only]
    unknown = sorted(set(a.only or []) - {q.id for q in questions})
    if unknown:
        ap.error(f"unknown question ids {unknown}; `govlake ask` lists them")
    conn = trino_client.connect(s)
    print(f"Trino {s.trino.host}:{s.trino.port}, {s.trino.catalog}.{a.schema}, "
          f"{len(questions)} questions × {a.runs} runs")
    print(f"{'question':45} {'rows':>6} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    medians = []
    try:
        for q in questions:
            sql = q.for_schema(s.trino.catalog, a.schema)
            cur = conn.cursor()
            cur.execute(sql)
            n_rows = len(cur.fetchall())  # warm-up
            took = []
            for _ in range(a.runs):
                cur = conn.cursor()
                t0 = time.perf_counter()
                cur.execute(sql)
                cur.fetchall()
                took.append((time.perf_counter() - t0) * 1000)
            med = statistics.median(took)
            medians.append(med)
            print(f"{q.id:45} {n_rows:>6} {med:>10.0f} {percentile(took, 95):>8.0f} {max(took):>8.0f}")
    finally:
        conn.close()
    if medians:
        print(f"{'all questions: median of medians':45} {'':>6} {statistics.median(medians):>10.0f} "
              f"{'':>8} {max(medians):>8.0f} (slowest median)")


if __name__ == "__main__":
    main()
